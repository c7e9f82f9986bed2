"""Warm a freshly started explorer: run app.py once on the server before the first visitor.

    .venv/bin/python scripts/warm_up.py [the streamlit options the server was started with]

scripts/run_app.sh starts this beside the server. It waits until the server answers, then asks
for Streamlit's script health check, which runs app.py once in a session of the server's own.
That run loads torch and the other heavy libraries, starts the training workers and sets the
app's navigation, so the first student's page is quick, and the sidebar never shows Streamlit's
list of the files in pages/ (what a server shows until app.py has set its navigation once).
"""

from __future__ import annotations

import sys
import time
import urllib.request

WAIT_FOR_SERVER_S = 120
WARM_UP_S = 300


def server_url(argv: list[str]) -> str:
    """The server's address from its options (--server.port 8501 or --server.port=8501)."""
    options = {"--server.port": "8501", "--server.address": "127.0.0.1"}
    for i, arg in enumerate(argv):
        name, eq, value = arg.partition("=")
        if name in options:
            if eq:
                options[name] = value
            elif i + 1 < len(argv):
                options[name] = argv[i + 1]
    host = options["--server.address"]
    if host in ("", "0.0.0.0", "::"):   # listening everywhere: this machine is one of them
        host = "127.0.0.1"
    return f"http://{host}:{options['--server.port']}"


def warm_up(url: str, wait_s: float = WAIT_FOR_SERVER_S) -> str:
    """Wait for `url` to answer, then run app.py once there; returns the health check's answer."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            return "no server"
        time.sleep(0.3)
    try:
        with urllib.request.urlopen(f"{url}/_stcore/script-health-check", timeout=WARM_UP_S) as response:
            return response.read().decode(errors="replace")
    except OSError as exc:   # a failing app answers 503: the first visitor will see why
        return f"app.py did not run cleanly ({exc})"


if __name__ == "__main__":
    answer = warm_up(server_url(sys.argv[1:]))
    if answer != "ok":
        print(f"warm-up: {answer}", file=sys.stderr)
