"""A class on one server: what N watching browsers cost while the degradation experiment trains.

    .venv/bin/python bench/bench_classroom.py [--viewers 0,1,10,30,60] [--steps 300] [--json out.json]
    .venv/bin/python bench/bench_classroom.py --press 50 [--press-window 5]   (bench/classroom_press.py)
    .venv/bin/python bench/bench_classroom.py --poll 30      (the pause banner's poll, idle tabs)

For each N it starts the app as the README does (``bash scripts/run_app.sh``, so the same command,
``.streamlit/config.toml`` and defaults; here on 127.0.0.1, a free port and a fresh temporary
``RESNET_EXPLORER_DB``), and then, over the websocket a browser uses (scripts/st_client.py):

1. warms the server up: one tab opens each live page once (the first visit imports torch and
   builds the pages; a class's first student pays that, not every round's measurement), then
   waits (at most --settle s) until the server's processes are quiet: its training workers have
   started, as on a server that has been up a while;
2. a teacher's tab opens Degradation (``?u=<teacher>``), presses "Train all four" (the page's
   300 steps unless --steps) and closes: the four runs train in the server's job queue;
3. N students' tabs open, spread over Degradation, Build & Train, Gradient flow, Shortcuts and
   BatchNorm, all with the teacher's ``?u=`` (a shared link): Degradation and Gradient flow then
   show the experiment; Build students switch "show the class's runs" on; Shortcuts and BatchNorm
   have no run of their own and only sit there. Each tab reruns its fragments when the server's
   AutoRerun says so, as the browser does;
4. everything is measured until the four runs have ended (or --round-timeout).

Printed per N (no asserts; on a shared 2-core machine expect noise of 10-20 %):

- train: wall time of the experiment (first run queued -> last run ended, from the run store) and
  its ratio to N = 0; when a round times out, the ratio of training steps per second instead;
- cpu/viewer: extra server CPU per viewer in % of one core,
  (server CPU seconds at N - at N = 0) / wall time at N / N, where server CPU counts every
  process under the server (the web process and any worker or helper it started), sampled from
  /proc every half second;
- gaps: for each live viewer (one whose page polls), the time between updates that changed what
  it shows, while the experiment trains; p50 / p95 / max over all live viewers. Degradation tabs
  watch all four runs, so their gaps also run from the start of training and to its end; other
  live pages watch only some runs, so only gaps between their own changes count;
- MB/session: growth of the web process's resident memory with N tabs open, less that of N = 0,
  per tab;
- per page: gaps p50/p95/max and when the longest ended (--trace writes every script run each
  viewer saw and the runs' steps over time, to read a long gap afterwards);
- errors (exception elements, st.error, compile errors, cache misses, closed sockets) and
  dropped sessions; idle viewers' received bytes (they should cost about nothing);
- the harness's own CPU: it runs on the same machine and competes with the server.

``--predict N`` measures /predict instead (bench/bench_predict.py): N students' tabs watching,
the teacher opening a question while training runs, every student voting within --vote-window s.

Bounded: at most 200 viewers a round, --round-timeout per round and --max-total overall.
Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "scripts"))

from st_client import StSession, health  # noqa: E402  (scripts/st_client.py)

LIVE_PAGES = ("degradation", "build", "gradients", "shortcuts", "batchnorm")
TERMINAL = ("finished", "diverged", "cancelled", "failed", "interrupted")   # resnet_core.store.runs.TERMINAL
MAX_VIEWERS = 200
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


# --- the server and its processes ------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def process_tree(root: int) -> list[int]:
    """root and every descendant (workers, spawn helpers, resource trackers)."""
    kids, out, todo = _children_map(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def proc_cpu(pid: int) -> tuple[int, float] | None:
    """(start time in ticks: tells a reused pid apart, user + system CPU seconds)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2:].split()
    return int(fields[19]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE_SIZE
    except OSError:
        return 0


class Server:
    """The app started as the README starts it, in its own process group."""

    def __init__(self, port: int, db: Path, log: Path, direct: bool, extra_env: dict[str, str]) -> None:
        self.port, self.log_path = port, log
        opts = ["--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true"]
        cmd = ([str(ROOT / ".venv/bin/streamlit"), "run", "app.py"] if direct
               else ["bash", "scripts/run_app.sh"]) + opts
        env = {**os.environ, "RESNET_EXPLORER_DB": str(db), **extra_env}
        self.log = open(log, "wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self.seen: set[int] = {self.proc.pid}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def ready(self, timeout: float = 300.0) -> None:
        # run_app.sh may first check (and once install) the pinned packages.
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}); log: {self.log_path}")
            if await health(self.url):
                return
            await asyncio.sleep(0.5)
        raise TimeoutError(f"the server did not answer /_stcore/health in {timeout:.0f} s; log: {self.log_path}")

    def tree(self) -> list[int]:
        pids = process_tree(self.proc.pid)
        self.seen.update(pids)
        return pids

    def stop(self) -> None:
        """SIGTERM to its group, then SIGKILL to the group and to every process seen under it."""
        pids = self.tree()
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        for pid in [self.proc.pid] + pids:
            try:
                os.killpg(pid, signal.SIGKILL) if pid == self.proc.pid else os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.log.close()


class Sampler(threading.Thread):
    """Every `period` seconds: CPU seconds of each process of the server (counted from when it is
    first seen, so a worker started mid-round counts whole), and resident memory."""

    def __init__(self, server: Server, period: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.server, self.period = server, period
        self.first: dict[tuple[int, int], float] = {}
        self.last: dict[tuple[int, int], float] = {}
        self.root_rss_peak = self.tree_rss_peak = 0
        self._halt = threading.Event()
        self._started_at = time.monotonic()
        self.sample(initial=True)

    def sample(self, initial: bool = False) -> None:
        tree_rss = 0
        for pid in self.server.tree():
            got = proc_cpu(pid)
            if got is None:
                continue
            key = (pid, got[0])
            if key not in self.first:
                self.first[key] = got[1] if initial else 0.0
            self.last[key] = got[1]
            tree_rss += proc_rss(pid)
        self.root_rss_peak = max(self.root_rss_peak, proc_rss(self.server.proc.pid))
        self.tree_rss_peak = max(self.tree_rss_peak, tree_rss)

    def run(self) -> None:
        while not self._halt.wait(self.period):
            self.sample()

    def finish(self) -> float:
        """Stop; the CPU seconds the server spent since the sampler was made."""
        self._halt.set()
        self.join(2)
        self.sample()
        return sum(self.last[k] - self.first[k] for k in self.last)

    def web_cpu(self) -> float:
        pid = self.server.proc.pid
        return sum(self.last[k] - self.first[k] for k in self.last if k[0] == pid)


# --- the run store, read-only ----------------------------------------------------------------

@dataclass
class RunRow:
    id: int
    status: str
    created: float
    started: float | None
    finished: float | None
    steps_done: int
    total_steps: int
    seconds: float | None


def read_runs(db: Path, owner: str, group: str = "degradation") -> list[RunRow]:
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        rows = con.execute("SELECT id, status, created, started, finished, steps_done, total_steps, seconds "
                           "FROM runs WHERE owner = ? AND grp = ? ORDER BY id", (owner, group)).fetchall()
    except sqlite3.Error:
        return []
    finally:
        con.close()
    return [RunRow(*r) for r in rows]


# --- one round --------------------------------------------------------------------------------

@dataclass
class Round:
    n: int
    wall: float | None = None           # experiment wall time, s (None: did not end in time)
    run_seconds: list = field(default_factory=list)
    timeline: list = field(default_factory=list)   # per run: (queued -> started, started -> ended) s
    steps_per_s: float = 0.0
    server_cpu: float = 0.0             # CPU seconds of the server's processes, click -> end
    web_cpu: float = 0.0
    elapsed: float = 0.0                # click -> end, s
    rss_base: int = 0
    rss_peak: int = 0
    tree_rss_peak: int = 0
    live: int = 0
    idle: int = 0
    gaps: list = field(default_factory=list)
    page_gaps: dict = field(default_factory=dict)   # page -> [(gap s, its end - train start s)]
    live_without_update: int = 0
    idle_bytes: list = field(default_factory=list)
    live_bytes: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    dropped: int = 0
    load_times: list = field(default_factory=list)
    harness_cpu: float = 0.0
    statuses: list = field(default_factory=list)
    settled: float = 0.0                # s waited after the warm-up for the server to go quiet


def page_of(i: int, pages: tuple[str, ...]) -> str:
    return pages[i % len(pages)]


async def open_viewer(url: str, page: str, owner: str, name: str) -> StSession:
    s = StSession(url, page=page, query=f"u={owner}", name=name)
    try:
        await s.connect()
        await s.loaded(timeout=180)
        if page == "build":   # a student who wants to see the class's runs flips the switch
            await s.set_value("build_show_class", bool_value=True, timeout=180)
    except Exception as exc:   # recorded, the round goes on: a class does not stop for one tab
        s.stats.errors.append(f"open: {type(exc).__name__}: {exc}")
    return s


def tree_cpu(server: Server) -> float:
    return sum(got[1] for pid in server.tree() if (got := proc_cpu(pid)) is not None)


async def settle(server: Server, limit: float, quiet: float = 0.1, window: float = 2.0) -> float:
    """Wait until the server's processes together use under `quiet` of a core over `window`
    seconds (its training workers have imported torch and wait for jobs, as on a server that has
    been up a while), at most `limit` s; returns the seconds waited. Without this, a click in the
    first seconds after start-up would time the workers' start-up as training."""
    start = time.monotonic()
    samples = [(start, tree_cpu(server))]
    while time.monotonic() - start < limit:
        await asyncio.sleep(0.5)
        now = time.monotonic()
        samples.append((now, tree_cpu(server)))
        old = [x for x in samples if now - x[0] >= window]    # the newest sample `window` s back
        if old and (samples[-1][1] - old[-1][1]) / (now - old[-1][0]) < quiet:
            break
    return time.monotonic() - start


async def run_round(n: int, args, tmp: Path) -> Round:
    result = Round(n)
    db = tmp / f"round-{n}" / "runs.db"
    db.parent.mkdir(parents=True)
    server = Server(free_port(), db, tmp / f"round-{n}" / "server.log", args.direct, dict(args.env))
    owner = "teach" + secrets.token_hex(3)
    viewers: list[StSession] = []
    try:
        await server.ready()
        for page in args.pages:   # warm-up: first visits, not part of any measurement
            async with StSession(server.url, page=page, query=f"u={owner}", name=f"warm-{page}") as s:
                await s.loaded(timeout=300)
                result.errors += [f"warm-up {page}: {e}" for e in s.stats.errors]
        result.settled = await settle(server, args.settle)
        result.rss_base = proc_rss(server.proc.pid)

        for attempt in (1, 2):   # a page caught mid-edit in a shared tree gets one reload
            driver = StSession(server.url, page="degradation", query=f"u={owner}", name="teacher")
            await driver.connect()
            await driver.loaded(timeout=180)
            if "degradation_start" in driver.widget_ids or attempt == 2:
                break
            await driver.close()
        if args.steps != 300:
            await driver.set_value("degradation_steps", string_array_value=[str(args.steps)])
        sampler = Sampler(server)
        sampler.start()
        cpu0, t_click = os.times(), time.monotonic()
        offset = time.time() - t_click     # store times are epoch seconds; ours are monotonic
        await driver.click("degradation_start", timeout=180)
        await driver.close()
        result.errors += [f"teacher: {e}" for e in driver.stats.errors]
        runs = []
        for _ in range(120):
            runs = read_runs(db, owner)
            if len(runs) >= 4:
                break
            await asyncio.sleep(0.25)
        if not runs:
            raise RuntimeError("the click queued no run (see the server log: %s)" % server.log_path)

        async def staggered(i: int) -> StSession:
            await asyncio.sleep(i * args.stagger)
            return await open_viewer(server.url, page_of(i, args.pages), owner, f"v{i:02d}")

        opening = [asyncio.create_task(staggered(i)) for i in range(n)]
        deadline = t_click + args.round_timeout
        trace = []
        while time.monotonic() < deadline:
            runs = read_runs(db, owner)
            trace.append((time.monotonic(), [(r.status, r.steps_done) for r in runs]))
            if runs and all(r.status in TERMINAL for r in runs) and all(t.done() for t in opening):
                break
            await asyncio.sleep(0.2)
        t_end = time.monotonic()
        viewers = [t.result() for t in opening if t.done()]
        for t in opening:
            t.cancel()
        result.server_cpu = sampler.finish()
        result.web_cpu = sampler.web_cpu()
        cpu1 = os.times()
        result.harness_cpu = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
        result.rss_peak, result.tree_rss_peak = sampler.root_rss_peak, sampler.tree_rss_peak
        result.elapsed = t_end - t_click
        result.statuses = [r.status for r in runs]
        if runs and all(r.status in TERMINAL for r in runs):
            result.wall = max(r.finished or r.created for r in runs) - min(r.created for r in runs)
        result.run_seconds = [r.seconds for r in runs]
        t0 = min((r.created for r in runs), default=0.0)
        result.timeline = [(r.started - t0, r.finished - r.started) for r in runs if r.started and r.finished]
        result.steps_per_s = sum(r.steps_done for r in runs) / max(result.elapsed, 1e-9)

        # The window in which the experiment's runs changed, on our clock.
        starts = [r.started for r in runs if r.started]
        train0 = (min(starts) - offset) if starts else t_click
        train1 = (max(r.finished for r in runs if r.finished) - offset) if result.wall is not None else t_end
        for s in viewers:
            result.errors += [f"{s.stats.name} ({s.page}): {e}" for e in s.stats.errors]
            result.dropped += s.stats.dropped
            if s.stats.loaded:
                result.load_times.append(s.stats.loaded - s.stats.opened)
            if not s.stats.saw_auto_rerun:
                result.idle += 1
                result.idle_bytes.append(s.stats.bytes_in)
                continue
            result.live += 1
            result.live_bytes.append(s.stats.bytes_in)
            w0 = max(train0, s.stats.loaded or train1)
            times = [u for u in s.stats.update_times() if w0 < u <= train1]
            if not times:
                result.live_without_update += 1
                if s.page == "degradation" and train1 > w0:
                    result.gaps.append(train1 - w0)
                continue
            if s.page == "degradation":
                times = [w0] + times + [train1]
            result.gaps += [b - a for a, b in zip(times, times[1:])]
            result.page_gaps.setdefault(s.page, []).extend((b - a, b - train0) for a, b in zip(times, times[1:]))
        if args.trace:   # for reading a long gap afterwards: every script run each viewer saw, and the runs' steps
            runs_seen = {s.stats.name: [dataclasses.asdict(r) for r in s.stats.runs] for s in viewers}
            args.trace.with_name(f"{args.trace.stem}-{n}{args.trace.suffix}").write_text(json.dumps(
                {"train0": train0, "train1": train1, "epoch_offset": offset, "store": trace,
                 "pages": {s.stats.name: s.page for s in viewers}, "script_runs": runs_seen}))
    finally:
        await close_round(viewers, server)
    return result


# --- report -----------------------------------------------------------------------------------

async def close_round(sessions: list[StSession], server: Server) -> None:
    """The end of a round, however it ended: every browser session closed, then the server."""
    for s in sessions:
        await s.close()
    server.stop()


def pct(values: list, q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def report(rounds: list[Round]) -> list[dict]:
    base = next((r for r in rounds if r.n == 0), None)
    rows = []
    for r in rounds:
        row = {"viewers": r.n, "train_wall_s": r.wall, "run_seconds": r.run_seconds, "timeline": r.timeline, "statuses": r.statuses,
               "steps_per_s": r.steps_per_s, "server_cpu_s": r.server_cpu, "web_cpu_s": r.web_cpu,
               "elapsed_s": r.elapsed, "live_viewers": r.live, "idle_viewers": r.idle,
               "live_without_update": r.live_without_update,
               "gap_p50_s": pct(r.gaps, 0.5), "gap_p95_s": pct(r.gaps, 0.95),
               "gap_max_s": max(r.gaps) if r.gaps else float("nan"), "page_gaps": r.page_gaps,
               "web_rss_base_mb": r.rss_base / 2**20, "web_rss_peak_mb": r.rss_peak / 2**20,
               "tree_rss_peak_mb": r.tree_rss_peak / 2**20,
               "errors": len(r.errors), "error_samples": r.errors[:5], "dropped": r.dropped,
               "load_p50_s": pct(r.load_times, 0.5), "load_max_s": max(r.load_times) if r.load_times else None,
               "idle_kb_per_viewer": (statistics.mean(r.idle_bytes) / 1024) if r.idle_bytes else None,
               "live_kb_per_viewer": (statistics.mean(r.live_bytes) / 1024) if r.live_bytes else None,
               "harness_cpu_pct": 100 * r.harness_cpu / max(r.elapsed, 1e-9), "settled_s": r.settled}
        if base is not None:
            if r.wall and base.wall:
                row["train_ratio"] = r.wall / base.wall
            elif r.steps_per_s and base.steps_per_s:
                row["train_ratio"] = base.steps_per_s / r.steps_per_s   # a round that ran out of time
            if r.n:
                extra = r.server_cpu - base.server_cpu
                row["cpu_per_viewer_pct"] = 100 * extra / max(r.elapsed, 1e-9) / r.n
                row["mb_per_session"] = ((r.rss_peak - r.rss_base) - (base.rss_peak - base.rss_base)) / 2**20 / r.n
        rows.append(row)
    return rows


def fmt(x, spec: str = ".2f", none: str = "–") -> str:
    if x is None or (isinstance(x, float) and x != x):
        return none
    return format(x, spec)


def print_table(rows: list[dict]) -> None:
    print("\n  N | train wall s  x N=0 | server CPU s (web) | CPU/viewer %core | gaps p50/p95/max s "
          "| live/idle (no upd) | MB/session | errors dropped | harness CPU %")
    for r in rows:
        print(f"{r['viewers']:>3} | {fmt(r['train_wall_s'], '8.1f'):>8}  {fmt(r.get('train_ratio'), '5.2f'):>5} "
              f"| {r['server_cpu_s']:7.1f} ({r['web_cpu_s']:6.1f}) | {fmt(r.get('cpu_per_viewer_pct'), '8.1f'):>8} "
              f"| {fmt(r['gap_p50_s'])}/{fmt(r['gap_p95_s'])}/{fmt(r['gap_max_s'])} "
              f"| {r['live_viewers']}/{r['idle_viewers']} ({r['live_without_update']}) "
              f"| {fmt(r.get('mb_per_session'), '6.1f'):>6} | {r['errors']:>3} {r['dropped']:>3} "
              f"| {r['harness_cpu_pct']:5.1f}")
    for r in rows:
        extras = (f"N={r['viewers']}: click {r['settled_s']:.1f} s after the warm-up; per-run seconds {[fmt(s, '.1f') for s in r['run_seconds']]} "
                  f"(started at +s, took s: {', '.join(f'{a:.1f}/{b:.1f}' for a, b in r['timeline'])}) "
                  f"statuses {r['statuses']}; web RSS {r['web_rss_base_mb']:.0f} -> {r['web_rss_peak_mb']:.0f} MB "
                  f"(all processes peak {r['tree_rss_peak_mb']:.0f} MB); first load p50 {fmt(r['load_p50_s'])} s "
                  f"max {fmt(r['load_max_s'])} s; received per live viewer {fmt(r['live_kb_per_viewer'], '.0f')} KB, "
                  f"per idle viewer {fmt(r['idle_kb_per_viewer'], '.0f')} KB")
        print(extras)
        for page, gaps in sorted(r["page_gaps"].items()):
            sizes = [g for g, _ in gaps]
            worst = sorted(gaps, reverse=True)[:3]
            print(f"    {page}: gaps p50/p95/max {fmt(pct(sizes, 0.5))}/{fmt(pct(sizes, 0.95))}/{fmt(max(sizes))} s; "
                  f"longest end at +{', +'.join(f'{at:.1f}' for _, at in worst)} s of training")
        for e in r["error_samples"]:
            print(f"    error: {e}")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--viewers", default="0,1,10,30,60", help="comma-separated N; 0 is the baseline")
    p.add_argument("--steps", type=int, default=300, choices=[150, 300, 600, 1200],
                   help="the Degradation page's steps (its slider's values)")
    p.add_argument("--pages", default=",".join(LIVE_PAGES), help="pages the viewers are spread over")
    p.add_argument("--stagger", type=float, default=0.1, help="seconds between two students opening their tabs")
    p.add_argument("--round-timeout", type=float, default=900.0, help="seconds one round may take")
    p.add_argument("--max-total", type=float, default=3600.0, help="seconds all rounds together may take")
    p.add_argument("--direct", action="store_true",
                   help="start .venv/bin/streamlit run app.py directly, not via scripts/run_app.sh")
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                   help="extra environment for the server, e.g. RESNET_EXPLORER_WORKERS=2")
    p.add_argument("--settle", type=float, default=60.0,
                   help="after the warm-up, wait at most this long for the server to go quiet before the click")
    p.add_argument("--press", type=int, default=0,
                   help="instead: N students on Degradation press 'Train all four' (bench/classroom_press.py)")
    p.add_argument("--press-window", type=float, default=5.0, help="seconds within which the N students press")
    p.add_argument("--keep-log", type=Path, help="--press: copy the server's log here when it holds a traceback")
    p.add_argument("--poll", type=int, default=0,
                   help="instead: what N idle tabs cost a server with a teacher key (the pause banner's poll)")
    p.add_argument("--predict", type=int, metavar="N", help="instead: N students on /predict vote while training "
                   "runs (bench/bench_predict.py)")
    p.add_argument("--vote-window", type=float, default=10.0, help="--predict: seconds in which every student votes")
    p.add_argument("--idle", type=float, default=15.0, help="--predict: seconds each CPU measurement lasts")
    p.add_argument("--json", type=Path, help="also write the figures here")
    p.add_argument("--trace", type=Path, help="also write each round's script runs and store steps here (-N added)")
    args = p.parse_args(argv)
    args.viewers = [int(x) for x in args.viewers.split(",") if x.strip()]
    if any(n < 0 or n > MAX_VIEWERS for n in args.viewers) or not 0 <= args.press <= MAX_VIEWERS \
            or not 0 <= args.poll <= MAX_VIEWERS:
        p.error(f"viewers must be 0..{MAX_VIEWERS}")
    if 0 not in args.viewers:
        args.viewers.insert(0, 0)   # every ratio and per-viewer figure is against N = 0
    args.pages = tuple(x.strip() for x in args.pages.split(",") if x.strip())
    args.env = [tuple(e.split("=", 1)) for e in args.env]
    return args


async def main_async(args) -> list[dict]:
    rounds: list[Round] = []
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-classroom-") as tmp:
        for n in args.viewers:
            if time.monotonic() - start > args.max_total:
                print(f"N={n}: skipped, --max-total reached", flush=True)
                continue
            print(f"N={n}: starting a fresh server ...", flush=True)
            r = await run_round(n, args, Path(tmp))
            rounds.append(r)
            print(f"N={n}: experiment {fmt(r.wall, '.1f')} s, server CPU {r.server_cpu:.1f} s, "
                  f"{len(r.errors)} errors, {r.dropped} dropped", flush=True)
    rows = report(rounds)
    print_table(rows)
    return rows


async def press_main(args) -> dict:
    from classroom_press import press_round, report as press_report

    with tempfile.TemporaryDirectory(prefix="bench-press-") as tmp:
        print(f"{args.press} students: starting a fresh server ...", flush=True)
        return press_report(await press_round(args.press, args, Path(tmp)))


async def poll_main(args) -> dict:
    from classroom_press import poll_cost

    with tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp:
        return await poll_cost(args.poll, args, Path(tmp))


def main(argv=None) -> None:
    args = parse_args(argv)
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at start "
          "(other work on this machine makes these figures noisy)", flush=True)
    if args.poll:
        rows = [asyncio.run(poll_main(args))]
    elif args.press:
        rows = [asyncio.run(press_main(args))]
    elif args.predict is not None:
        import bench_predict

        with tempfile.TemporaryDirectory(prefix="bench-predict-") as tmp:
            rows = asyncio.run(bench_predict.run(args.predict, args, Path(tmp)))
        bench_predict.print_report(rows)
    else:
        rows = asyncio.run(main_async(args))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))


if __name__ == "__main__":
    main()
