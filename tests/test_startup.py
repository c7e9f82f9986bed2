"""ui.server.startup: sessions that start together get complete modules, imported once."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Eight session threads reach app.py's import line at the same moment, then draw at once: each
# must find pandas and torch whole (a half-built pandas has no Series), and a plotly figure built
# right away must work.
SCRIPT = """
import sys, threading
from ui.server import startup
barrier = threading.Barrier(8)
problems = []
def session():
    barrier.wait()
    try:
        startup.load("ui.training.page_runs")
        import pandas, torch, plotly.graph_objects as go
        assert hasattr(pandas, "Series") and hasattr(torch, "nn")
        go.Figure().add_scatter(x=[1, 2], y=[3, 4])
    except Exception as e:
        problems.append(repr(e))
threads = [threading.Thread(target=session) for _ in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
print("problems", problems)
print("loaded", startup._loaded, "ui.training.page_runs" in sys.modules)
"""


def test_sessions_that_start_together_get_whole_modules():
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "problems []" in out.stdout, out.stdout
    assert "loaded True True" in out.stdout, out.stdout

