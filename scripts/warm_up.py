"""Warm a freshly started explorer: run app.py once on the server before the first visitor.

    .venv/bin/python scripts/warm_up.py [the streamlit options the server was started with]

scripts/run_app.sh starts this beside the server. It waits until the server answers, then asks
for Streamlit's script health check, which runs app.py once in a session of the server's own.
That run loads torch and the other heavy libraries, starts the training workers and sets the
app's navigation, so the first student's page is quick, and the sidebar never shows Streamlit's
list of the files in pages/ (what a server shows until app.py has set its navigation once).

Then it opens every page once in each language, over the websocket a browser uses
(scripts/st_client.py): what a page computes for its default settings (probes of the shipped
nets, activation statistics, figures) is cached for every session, so no student's first visit
waits for it. That takes a minute of CPU at start-up, in the background; the server answers
meanwhile.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from resnet_core import settings  # noqa: E402

WAIT_FOR_SERVER_S = 120
WARM_UP_S = 300
PAGE_S = 300             # one page's first run, on a busy 2-core machine
LANGS = ("en", "ko")


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


class ProtocolFailed(RuntimeError):
    """The websocket client failed as a client, not because of a page."""


def pages() -> list[str]:
    """Every page's url_path, in the app's own order (ui/page/nav.py)."""
    sys.path.insert(0, str(ROOT))
    from ui.page.nav import CATALOGUE

    return list(CATALOGUE)


def warm_pages(url: str, names: list[str] | None = None, langs=LANGS) -> list[str]:
    """Open each page once per language, one after another, as a fresh browser tab does; returns
    what went wrong (an error on a page, a page that did not finish), empty when nothing did."""
    import asyncio

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from st_client import StSession

    async def visit(name: str, lang: str) -> list[str]:
        where = f"{name} ({lang})"
        try:
            async with StSession(url, page="" if name == "home" else name, query=f"lang={lang}",
                                 name=f"warm-up {where}") as tab:
                await tab.loaded(timeout=PAGE_S)
                return [f"{where}: {e}" for e in tab.stats.errors]
        except (TimeoutError, asyncio.TimeoutError) as exc:   # a slow page; the others still warm
            return [f"{where}: {type(exc).__name__}: {exc}"]
        except Exception as exc:   # the protocol itself (a Streamlit upgrade): say so once, stop
            raise ProtocolFailed(f"{where}: {type(exc).__name__}: {exc}") from exc

    async def visit_all() -> list[str]:
        problems = []
        try:
            for lang in langs:
                for name in names if names is not None else pages():
                    problems += await visit(name, lang)
        except ProtocolFailed as exc:
            import streamlit

            problems.append(f"stopped: Streamlit {streamlit.__version__}'s websocket is not what "
                            f"scripts/st_client.py speaks ({exc}); pages compute on their first visit instead")
        return problems

    # In a thread of its own: the caller may already run an event loop (Playwright's sync API does).
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(visit_all())).result()


if __name__ == "__main__":
    url = server_url(sys.argv[1:])
    answer = warm_up(url)
    if answer != "ok":
        print(f"warm-up: {answer}", file=sys.stderr)
        sys.exit(1)
    if not settings.warm_pages():   # app.py ran; the pages wait for visitors
        sys.exit(0)
    for problem in warm_pages(url):
        print(f"warm-up: {problem}", file=sys.stderr)
