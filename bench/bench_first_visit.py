"""First visit to each page on a fresh server, in a real browser.

For every page: start the app the way the README does (`streamlit run app.py`, then the warm-up
scripts/run_app.sh runs beside it: app.py once, then every page once per language; a fresh run
store in a temporary folder), open the page in headless Chromium, and time from navigation until the
page has finished its script, drawn its charts and stopped changing, and count the CPU seconds
the server (with its worker processes) spent meanwhile: on a shared machine the wall time follows
the load, the CPU seconds much less. One fresh server per page,
so no page warms another's caches. Prints one line per page and a JSON summary.

    .venv/bin/python bench/bench_first_visit.py                 # every page
    .venv/bin/python bench/bench_first_visit.py features attribution --lang ko --repeat 3
    .venv/bin/python bench/bench_first_visit.py features --root /tmp/old-checkout   # before a change
    .venv/bin/python bench/bench_first_visit.py features --after home   # the page's own first visit
    .venv/bin/python bench/bench_first_visit.py --cold          # without the run command's warm-up

Needs /usr/bin/chromium (never `playwright install`). Loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import warm_up  # noqa: E402  (what the run command does as the server starts)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PAGES = ["home", "build", "degradation", "gradients", "lesion", "landscape", "features", "bottleneck", "gap-fc",
         "shortcuts", "batchnorm", "attribution", "augmentation", "evidence"]
QUIET_MS = 1000        # the page counts as drawn once nothing has changed for this long
LIMIT_MS = 300_000

# Installed before any page script: remembers the time of the last DOM change, from navigation start.
_WATCH = """
window.__lastChange = 0;
new MutationObserver(() => { window.__lastChange = performance.now(); })
  .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
"""
_DONE = """(quiet) => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelector('h1')
    && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')
    && !document.querySelector('[data-stale="true"]')
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(c => c.querySelector('.main-svg'))
    && ![...document.querySelectorAll('[data-testid="stSkeleton"]')].some(s => !s.closest('details:not([open]), [hidden]'))
    && performance.now() - window.__lastChange > quiet;
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workdir: Path, root: Path = ROOT, warm: bool = True) -> tuple[subprocess.Popen, str]:
    """The app on a free port; with `warm`, run app.py once first, as scripts/run_app.sh does."""
    port = free_port()
    env = dict(os.environ, RESNET_EXPLORER_DB=str(workdir / "runs.db"), PYTHONUNBUFFERED="1")
    cmd = [str(ROOT / ".venv/bin/streamlit"), "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1"]
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=(workdir / "server.log").open("w"),
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((workdir / "server.log").read_text()[-3000:])
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                if warm:   # what scripts/run_app.sh does beside the server: app.py, then every page
                    warm_up.warm_up(url)
                    for problem in warm_up.warm_pages(url):
                        print(f"warm-up: {problem}", file=sys.stderr)
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not answer within 120 s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the server and its child processes (the training workers) so far."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    for p in [pid, *map(int, kids)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def settle(pid: int, quiet_s: float = 2.0, limit_s: float = 120.0) -> None:
    """Wait until the server and its workers use (almost) no CPU for `quiet_s` seconds."""
    deadline = time.monotonic() + limit_s
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = cpu_seconds(pid)
        if now - last < 0.1 * quiet_s:
            return
        last = now


def visit(browser, url: str, page_name: str, lang: str) -> dict:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.add_init_script(_WATCH)
    page = context.new_page()
    path = "" if page_name == "home" else page_name
    page.goto(f"{url}/{path}?lang={lang}")
    page.wait_for_function(_DONE, arg=QUIET_MS, timeout=LIMIT_MS, polling=50)
    seconds = page.evaluate("window.__lastChange") / 1000
    body = page.inner_text("body")
    errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()
    title = page.locator("h1").first.inner_text()
    context.close()
    return {"page": page_name, "seconds": round(seconds, 2), "title": title,
            "errors": errors + ("Traceback" in body)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", default=PAGES)
    parser.add_argument("--lang", default="en", choices=["en", "ko"])
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="another checkout to serve (e.g. a git worktree of an older commit)")
    parser.add_argument("--repeat", type=int, default=1, help="fresh servers per page")
    parser.add_argument("--after", default="", metavar="PAGE",
                        help="open PAGE first and let the server settle: times a page's own first "
                             "visit once the app's imports and worker processes are up")
    parser.add_argument("--cold", action="store_true",
                        help="skip the start-up warm-up the run command does (scripts/warm_up.py)")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} not found", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name in args.pages:
            for _ in range(args.repeat):
                with tempfile.TemporaryDirectory(prefix="first-visit-") as tmp:
                    proc, url = start_server(Path(tmp), args.root, warm=not args.cold)
                    try:
                        settle(proc.pid)     # fresh, and idle: whatever starts with it has started
                        if args.after:
                            visit(browser, url, args.after, args.lang)
                            settle(proc.pid)
                        before = cpu_seconds(proc.pid)
                        row = visit(browser, url, name, args.lang)
                        row["server_cpu_s"] = round(cpu_seconds(proc.pid) - before, 2)
                    finally:
                        stop(proc)
                rows.append(row)
                print(f"{name:14s} {row['seconds']:7.2f} s  server CPU {row['server_cpu_s']:6.2f} s  "
                      f"errors={row['errors']}  {row['title']}", flush=True)
        browser.close()
    print(json.dumps({"lang": args.lang, "pages": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
