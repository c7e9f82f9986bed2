"""The web process itself: its start-up (heavy imports one at a time, the garbage settled), the
one job runner and run store every session shares, the browser's early load of the chart
library, and every use of Streamlit's private internals, each behind one function."""
