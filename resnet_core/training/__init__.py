"""Training one run: the loop (engine), what it measures (recorders) and where that goes (sinks),
the paper's experiments shrunk to run live, cost estimates, twins and provenance."""
