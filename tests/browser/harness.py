"""Drive the real app in Chromium: start the server, open a page, check it shows no error.

Used by the browser tests (through conftest.py's fixtures) and by scripts/screenshots.py, so a
screenshot and a test see the app started the same way.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import warm_up  # noqa: E402  (scripts/warm_up.py: what run_app.sh runs beside the server)
from ui.server import preload  # noqa: E402
# Chromium's headless shell (Debian's chromium-headless-shell: the same Blink and V8, without the
# desktop browser's windowing and extensions) loads a page with about a tenth less CPU and starts
# with half the CPU (two cores, 2026-12); the full browser serves where it is not installed.
# TEST_CHROMIUM=PATH picks another.
CHROMIUM = os.environ.get("TEST_CHROMIUM") or next(
    (path for path in ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium") if Path(path).exists()),
    "/usr/bin/chromium")
# The test browser runs JavaScript without V8's optimising compilers (Maglev, TurboFan): the
# same code, on the interpreter and the baseline compiler, with less CPU. The browser tests, run
# twice each way in turns (three processes, two cores, 2026-12): Chromium's renderers took 149.8
# and 158.7 CPU-s with the flag, against 160.4 and 173.3 without it, and the files 215 and 224 s
# against 219 and 228 s.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--js-flags=--no-opt --no-maglev"]
VIEWPORT = {"width": 1440, "height": 1000}
START_TIMEOUT_S = 90      # a cold start imports torch; two slow CPU cores take a while
RUN_TIMEOUT_MS = 90_000   # a page's script run, first run of a page included


@dataclass
class AppServer:
    url: str
    process: subprocess.Popen
    log_path: Path
    group: bool = False   # the process leads a group of its own (started by the run command)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    @property
    def workdir(self) -> Path:
        """The folder holding its run store (runs.sqlite), data and log."""
        return self.log_path.parent

    def alive(self) -> bool:
        if self.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def active_runs(self) -> int:
        """Runs its store holds as queued or running (read from the store file, as any page does)."""
        db = self.workdir / "runs.sqlite"
        if not db.exists():
            return 0
        with closing(sqlite3.connect(db, timeout=10)) as conn:
            try:
                return conn.execute("SELECT count(*) FROM runs WHERE status IN ('queued', 'running')").fetchone()[0]
            except sqlite3.OperationalError:   # no runs table yet: nothing was ever queued
                return 0

    def runs_ended(self, timeout: float) -> bool:
        """Wait up to `timeout` s until its store holds no queued or running run; whether none is left."""
        deadline = time.monotonic() + timeout
        while self.active_runs() and time.monotonic() < deadline:
            time.sleep(0.5)
        return not self.active_runs()

    def stop(self) -> None:
        if self.group:   # the run command: its warm-up and the server, together
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(workdir: Path, warm: bool = True, port: int | None = None, run_command: bool = False,
              settings: dict[str, str] | None = None) -> AppServer:
    """`streamlit run app.py` on a free port (or `port`), with the run store and data folders in
    `workdir`; returns once /_stcore/health answers and (`warm`) app.py has run once, as the run
    command does. Without `warm`, the first browser's request is the server's first script run, as
    under a bare `streamlit run app.py`. `run_command`: started with the README's command
    (scripts/run_app.sh, in a process group of its own, which `stop` ends whole). `settings`: environment
    variables of this server only (a teacher key, a cluster address), over the test process's own."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "data").mkdir(exist_ok=True)
    port = port or free_port()
    env = dict(os.environ,
               RESNET_EXPLORER_DB=str(workdir / "runs.sqlite"),
               RESNET_EXPLORER_DATA=str(workdir / "data"),
               PYTHONUNBUFFERED="1",
               # One training worker per test server: the suite runs a server per core already,
               # and more trainers than cores only makes every page slower to answer.
               RESNET_EXPLORER_WORKERS=os.environ.get("RESNET_EXPLORER_WORKERS", "1"),
               # Tests start long runs on purpose, to watch and stop them; on a loaded machine the
               # server's own estimate may call them too long. The cap has its own tests.
               RESNET_EXPLORER_MAX_RUN_SECONDS=os.environ.get("RESNET_EXPLORER_MAX_RUN_SECONDS", "0"))
    env.update(settings or {})
    log_path = workdir / "streamlit.log"
    log = log_path.open("a")
    options = ["--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    if run_command:
        process = subprocess.Popen(["bash", "scripts/run_app.sh", *options], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        warm = False   # the command warms itself up, in the background
    else:
        process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", *options], cwd=ROOT,
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    server = AppServer(f"http://127.0.0.1:{port}", process, log_path, group=run_command)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        server.stop()
        raise RuntimeError(f"streamlit did not answer within {START_TIMEOUT_S} s:\n{server.log_tail()}")
    if not warm:
        return server
    # What scripts/run_app.sh does beside the server: run app.py once before the first visitor.
    answer = warm_up.warm_up(server.url)
    if answer != "ok":
        server.stop()
        raise RuntimeError(f"app.py did not run at start-up ({answer}):\n{server.log_tail()}")
    return server


def served(tmp_path_factory, name: str, settings: dict[str, str]) -> Iterator[AppServer]:
    """A test module's own server with `settings` (a teacher key, a cluster address), stopped
    when the module is done: `yield from harness.served(...)` in a module-scoped fixture."""
    server = start_app(tmp_path_factory.mktemp(name), settings=settings)
    try:
        yield server
    finally:
        server.stop()


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


# How often a wait_for_function checks its condition. Playwright's default checks it on every
# animation frame, which keeps an idle tab drawing 60 frames a second: 0.056 CPU-s of Chromium a
# second of waiting, against 0.005 at this interval (a page left still for 8 s, two cores, 2026-12),
# so a wait for a run to finish costs the tab a few CPU-s. Use it in every wait_for_function.
POLL_MS = 100

QUIET_MS = 400   # no DOM change for this long after a run: lazily loaded elements have drawn
# A click sends its rerun to the server, and the page only learns that the script runs when the
# server says so: on a busy server that takes longer than a fixed pause. wait_for_app waits up to
# this long for a run that began after the click, then waits for quiet as before (a click that
# reruns nothing costs this much, once).
RUN_START_MS = 1500
# A run that began this long before wait_for_app was called is the click's own (a fast server);
# shorter than QUIET_MS, so the run the previous wait_for_app saw end never counts.
RUN_START_SLACK_MS = 250

# Watches the page from its first frame (conftest adds it to every browser context; otherwise
# the first wait_for_app installs it): when the DOM last changed, and when the app's script, or
# a fragment of it, last began to run. Returns true when it was installed by this call.
WATCH_JS = """() => {
    if (window.__explorerWatch) return false;
    const w = window.__explorerWatch = {lastChange: performance.now(), runStart: -1e9, runs: 0,
                                        running: false, settled: null};
    new MutationObserver(() => {
        w.lastChange = performance.now();
        const app = document.querySelector('[data-testid="stApp"]');
        const running = !!app && app.getAttribute('data-test-script-state') === 'running';
        if (running && !w.running) { w.runs += 1; w.runStart = performance.now(); }
        w.running = running;
    }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
    return true;
}"""
WATCH_INIT = f"({WATCH_JS})()"

# Every page asks the browser, 3 s after it has drawn, to compile the chart library for the next
# page (ui/server/preload.py): 1.2-1.4 s of Chromium's CPU on two cores, paid again by every tab a
# test opens, about a third of all Chromium's CPU in the suite. The flag the preload checks
# (set once per tab) skips it; tests/browser/test_home.py checks the preload itself.
NO_PRELOAD_INIT = f"window.{preload.FLAG} = true;"

# A run began for the action just before this call: one that began at most `slack` ms before it,
# or, on a page that no wait_for_app has seen settle yet (just opened), any run at all.
_RUN_BEGAN = """([since, slack]) => {
    const w = window.__explorerWatch;
    return w.running || w.runStart >= since - slack || (w.settled === null && w.runs > 0);
}"""

_SETTLED = """(quietMs) => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')
        && !document.querySelector('[data-stale="true"]')
        && document.querySelector('[data-testid="stMainBlockContainer"]')
        && ![...document.querySelectorAll('[data-testid="stSkeleton"]')]
               .some(s => !s.closest('details:not([open]), [hidden]'))
        && performance.now() - window.__explorerWatch.lastChange > quietMs;
}"""


def wait_for_app(page, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Wait until the app is connected, the run the last action started has begun and finished,
    nothing is stale, no element still shows its loading skeleton, and the page has stopped
    changing. Streamlit loads most element types lazily, after the run ends; until an element's
    code has arrived it draws a skeleton, and on a busy server that can take a second or more."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]',
                           timeout=timeout_ms)
    called = page.evaluate("() => performance.now()")
    if page.evaluate(WATCH_JS):
        # Watching only from now: a run may have begun unseen. Give it time to start, as before.
        page.wait_for_timeout(300)
    else:
        try:
            page.wait_for_function(_RUN_BEGAN, arg=[called, RUN_START_SLACK_MS],
                                   timeout=min(RUN_START_MS, timeout_ms), polling=50)
        except PlaywrightTimeout:
            pass   # nothing reran, or a run began and ended between two frames: quiet decides
    page.wait_for_function(_SETTLED, arg=QUIET_MS, timeout=timeout_ms, polling=POLL_MS)
    page.evaluate("() => { window.__explorerWatch.settled = performance.now(); }")


def wait_for_text(page, text: str, selector: str = "body", timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Wait until `text` shows in the first element matching `selector` (as its innerText, the
    text a reader sees). After a click, check what the rerun draws with this rather than with one
    read of the page, which may come before the rerun has drawn."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            "([sel, text]) => { const el = document.querySelector(sel); return !!el && el.innerText.includes(text); }",
            arg=[selector, text], timeout=timeout_ms, polling=POLL_MS)
    except PlaywrightTimeout:
        shown = page.locator(selector).first.inner_text() if page.locator(selector).count() else "(nothing)"
        raise AssertionError(f"{text!r} did not show in {selector} within {timeout_ms / 1000:.0f} s; "
                             f"it shows: ...{shown[-1500:]}") from None


def wait_for_charts(page, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Plotly loads lazily: wait until every chart on the page has drawn its SVG."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                   .every(chart => chart.querySelector('.main-svg'))
                 && ![...document.querySelectorAll('[data-testid="stSkeleton"]')]
                       .some(s => !s.closest('details:not([open]), [hidden]'))""",
        timeout=timeout_ms, polling=POLL_MS)


def page_url(base: str, url_path: str, lang: str | None) -> str:
    # Home is the default page: Streamlit serves it at the root, and /home would be "not found".
    path = "" if url_path in ("", "home") else url_path
    query = f"?lang={lang}" if lang else ""
    return f"{base}/{path}{query}"


def open_page(page, base: str, url_path: str, lang: str | None = "en"):
    page.goto(page_url(base, url_path, lang))
    wait_for_app(page)
    return page


LANGUAGES = {"en": "English", "ko": "한국어"}


def switch_language(page, lang: str, title: str):
    """Switch an open page to `lang` with the sidebar's language toggle, as a reader does, and
    wait until it has redrawn under its title in that language. One page load then serves both
    languages: a load costs a fresh browser session about twice what the rerun does."""
    page.locator('[data-testid="stSidebar"]').get_by_role("radio", name=LANGUAGES[lang]).click()
    wait_for_app(page)
    wait_for_text(page, title, "h1")
    wait_for_charts(page)
    return page


def assert_no_error(page, allow_error_alerts: int = 0) -> None:
    """No Streamlit exception box, no error alert (unless a test expects some), no traceback."""
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, f"exception on the page: {exceptions.first.inner_text()}"
    errors = page.locator('[data-testid="stAlertContentError"]')
    assert errors.count() <= allow_error_alerts, \
        "error message on the page: " + " | ".join(errors.all_inner_texts())
    body = page.inner_text("body")
    assert "Traceback" not in body, "a traceback is visible on the page"
