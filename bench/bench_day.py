"""A school day on one server: hundreds of tabs open pages, watch, train and leave; does anything grow?

    .venv/bin/python bench/bench_day.py [--sessions 500] [--runs 300] [--hours 6] [--hour-s 120]
                                        [--open 30] [--steps 10] [--kill-at 3] [--json out.json]

It starts the app as the README does (``bash scripts/run_app.sh``, on 127.0.0.1, a free port, a
fresh temporary store) and compresses a day of `--hours` lessons into `--hour-s` seconds each. Over
the day `--sessions` tabs arrive, evenly per hour, at most `--open` at once (a class or two); each
is a real websocket session (scripts/st_client.py) with its own ``?u=``, opens one page (Home, the
concept pages, the live pages) and watches it for a few seconds (its live fragments rerun as the
browser's do), and `--runs` of them (spread over the day) press "Start training" on Build & Train
with a small net (`--steps` steps), then watch that run a while, and leave. `--kill-at H` kills
the server with SIGKILL at the start of hour H and starts it again with the same command (the
tabs open then are lost; their runs are interrupted).

Every `--sample-s` seconds it records the web process's resident memory, threads and open file
descriptors, the sessions the server holds (Streamlit's /_stcore/metrics), the size of the run
store (database, WAL and shared memory) and of the checkpoint folder. Printed: those per hour
(the hour's last sample; RSS also its peak), then the checks:

- after the first hour, RSS stays within 10 % of its plateau (the median of the second half of
  the day's samples), i.e. no hour's peak above 1.1x the plateau;
- once every tab has closed (and Streamlit's keep-alive for a closed tab has passed), sessions and
  file descriptors are back to their baseline (before the first tab) and threads to theirs;
- the checkpoint folder stays within its bound (RESNET_EXPLORER_MAX_CHECKPOINT_MB, set with --env).

Loopback only; every process it starts is ended (the server's whole process group).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_classroom import Server, free_port, proc_rss  # noqa: E402
from st_client import StSession  # noqa: E402

PAGES = ("", "build", "degradation", "gradients", "bottleneck", "gap-fc", "shortcuts", "batchnorm",
         "features", "augmentation", "evidence")
SESSION_METRIC = "active_sessions"          # /_stcore/metrics: the sessions the server holds open


@dataclass
class Sample:
    t: float               # seconds since the day began
    hour: int
    rss_mb: float
    threads: int
    fds: int
    sessions: int          # -1 when the metric could not be read
    open_tabs: int         # tabs the simulation has open (what the sessions should follow)
    store_mb: float
    checkpoints_mb: float
    runs: int              # runs the store holds


def threads_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("Threads:"))
    except (OSError, StopIteration):
        return 0


def fds_of(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def sessions_of(url: str) -> int:
    """The sessions the server holds, from Streamlit's metrics endpoint (-1: unreadable)."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return -1
    for line in text.splitlines():
        if line.startswith(SESSION_METRIC):
            return int(float(line.split()[-1]))
    return -1


def folder_mb(path: Path, pattern: str = "*") -> float:
    return sum(p.stat().st_size for p in path.glob(pattern) if p.is_file()) / 2**20 if path.exists() else 0.0


def store_runs(db: Path) -> int:
    import sqlite3

    try:
        with sqlite3.connect(db, timeout=10) as conn:
            return conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    except sqlite3.Error:
        return 0


def sample(pid: int, url: str, db: Path, t: float, hour: int, open_tabs: int) -> Sample:
    return Sample(round(t, 1), hour, proc_rss(pid) / 2**20, threads_of(pid), fds_of(pid), sessions_of(url), open_tabs,
                  folder_mb(db.parent, db.name + "*"), folder_mb(db.parent / f"{db.stem}.checkpoints"), store_runs(db))


async def warmed(server, limit: float) -> None:
    """Wait (at most `limit` s) until the run command's warm-up (scripts/warm_up.py, a child of the
    server) has opened every page and ended, and its sessions have closed."""
    from bench_classroom import process_tree

    def warming() -> bool:
        for pid in process_tree(server.proc.pid):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"warm_up.py" in f.read():
                        return True
            except OSError:
                pass
        return False

    end = time.monotonic() + limit
    while warming() and time.monotonic() < end:
        await asyncio.sleep(1)
    await asyncio.sleep(3)


async def tab(url: str, page: str, watch_s: float, train: bool, steps: int, errors: list[str]) -> None:
    """One student's tab: open, (train,) watch, leave."""
    owner = secrets.token_hex(8)
    query = f"u={owner}" + (f"&steps={steps}&depth=8&width_cifar=4" if train else "")
    s = StSession(url, page="build" if train else page, query=query, name=f"tab {owner[:4]}")
    try:
        await s.connect()
        await s.loaded(timeout=180)
        if train:
            await s.click("build_start", timeout=180)
        await asyncio.sleep(watch_s)
    except Exception as exc:   # recorded; the day goes on
        errors.append(f"{page or 'home'}: {type(exc).__name__}: {exc}")
    finally:
        errors.extend(f"{page or 'home'}: {e}" for e in s.stats.errors)
        await s.close()


async def day(args, server_factory, db: Path) -> dict:
    rng = random.Random(args.seed)
    server = server_factory()
    await server.ready()
    url = server.url
    samples: list[Sample] = []
    errors: list[str] = []
    open_tabs: set[asyncio.Task] = set()
    start = time.monotonic()
    await warmed(server, args.settle)
    baseline = sample(server.proc.pid, url, db, 0.0, 0, 0)
    per_hour = [args.sessions // args.hours + (h < args.sessions % args.hours) for h in range(args.hours)]
    trains = set(rng.sample(range(args.sessions), min(args.runs, args.sessions)))
    n, killed = 0, False
    start = time.monotonic()
    next_sample = 0.0

    async def tick(hour: int) -> None:
        nonlocal next_sample
        now = time.monotonic() - start
        if now >= next_sample:
            samples.append(sample(server.proc.pid, url, db, now, hour, len(open_tabs)))
            next_sample = now + args.sample_s

    for hour in range(args.hours):
        if args.kill_at == hour and not killed:            # mid-day: the server is killed, then started again
            os.kill(server.proc.pid, 9)
            server.proc.wait(30)
            for task in open_tabs:
                task.cancel()
            await asyncio.gather(*open_tabs, return_exceptions=True)
            open_tabs.clear()
            server.stop()
            server = server_factory(port=server.port)
            await server.ready()
            await warmed(server, args.settle)
            killed = True
        hour_end = start + (hour + 1) * args.hour_s
        gap = args.hour_s * 0.8 / max(1, per_hour[hour])   # tabs arrive over the first 80 % of the hour
        for _ in range(per_hour[hour]):
            while len(open_tabs) >= args.open:
                await asyncio.sleep(0.2)
                await tick(hour)
            train = n in trains
            watch = rng.uniform(args.watch_s / 2, args.watch_s * 1.5) * (2 if train else 1)
            task = asyncio.create_task(tab(url, rng.choice(PAGES), watch, train, args.steps, errors))
            open_tabs.add(task)
            task.add_done_callback(open_tabs.discard)
            n += 1
            await tick(hour)
            await asyncio.sleep(gap)
        while time.monotonic() < hour_end:
            await asyncio.sleep(0.5)
            await tick(hour)
    while open_tabs:                                       # the last lesson ends
        await asyncio.sleep(0.5)
        await tick(args.hours - 1)
    closed_at = time.monotonic()
    while time.monotonic() - closed_at < args.after_s:      # Streamlit keeps a closed tab's session a while
        await asyncio.sleep(1)
        await tick(args.hours)
    after = sample(server.proc.pid, url, db, time.monotonic() - start, args.hours, 0)
    server.stop()
    return {"baseline": asdict(baseline), "after": asdict(after), "samples": [asdict(s) for s in samples],
            "errors": errors, "tabs": n, "killed": killed, "statuses": statuses(db)}


def statuses(db: Path) -> dict[str, int]:
    """How the day's runs ended (interrupted: training when the server was killed)."""
    import sqlite3

    with sqlite3.connect(db, timeout=10) as conn:
        return dict(conn.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall())


def verdicts(result: dict, hours: int, limit_mb: float | None) -> dict:
    samples = result["samples"]
    day_samples = [s for s in samples if s["hour"] < hours]
    half = [s["rss_mb"] for s in day_samples[len(day_samples) // 2:]] or [0.0]
    plateau = statistics.median(half)
    later_peaks = [max(s["rss_mb"] for s in day_samples if s["hour"] == h)
                   for h in range(1, hours) if any(s["hour"] == h for s in day_samples)]
    base, after = result["baseline"], result["after"]
    out = {
        "plateau_rss_mb": round(plateau, 1),
        "max_later_rss_mb": round(max(later_peaks, default=plateau), 1),
        "rss_within_10pct": max(later_peaks, default=plateau) <= 1.1 * plateau,
        "sessions_back": after["sessions"] <= base["sessions"],
        "fds_back": after["fds"] <= base["fds"] + 2,
        # The runner's threads start with the first run and stay: compare with the first hour's end.
        "threads_steady": after["threads"] <= max([s["threads"] for s in day_samples if s["hour"] == 0] or [0]),
    }
    if limit_mb:
        out["checkpoints_within_bound"] = max(s["checkpoints_mb"] for s in samples) <= limit_mb + 5
    return out


def print_report(result: dict, hours: int, checks: dict) -> None:
    print(f"{result['tabs']} tabs, {result['after']['runs']} runs in the store, "
          f"{len(result['errors'])} errors{' (server killed once)' if result['killed'] else ''}; "
          f"runs ended: {result['statuses']}")
    print(" hour | RSS MB (peak) | threads | fds | sessions held | tabs open | store MB | checkpoints MB | runs")
    b = result["baseline"]
    print(f"  base | {b['rss_mb']:7.0f}       | {b['threads']:7d} | {b['fds']:3d} | {b['sessions']:13d} | "
          f"{0:9d} | {b['store_mb']:8.1f} | {b['checkpoints_mb']:14.1f} | {b['runs']}")
    for h in range(hours):
        rows = [s for s in result["samples"] if s["hour"] == h]
        if not rows:
            continue
        last, peak = rows[-1], max(s["rss_mb"] for s in rows)
        print(f"{h + 1:5d} | {last['rss_mb']:7.0f} ({peak:4.0f}) | {last['threads']:7d} | {last['fds']:3d} | "
              f"{last['sessions']:13d} | {last['open_tabs']:9d} | {last['store_mb']:8.1f} | "
              f"{last['checkpoints_mb']:14.1f} | {last['runs']}")
    a = result["after"]
    print(f"after | {a['rss_mb']:7.0f}       | {a['threads']:7d} | {a['fds']:3d} | {a['sessions']:13d} | "
          f"{0:9d} | {a['store_mb']:8.1f} | {a['checkpoints_mb']:14.1f} | {a['runs']}")
    for name, value in checks.items():
        print(f"  {name}: {value}")
    for e in result["errors"][:8]:
        print(f"  error: {e}")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", type=int, default=500)
    p.add_argument("--runs", type=int, default=300)
    p.add_argument("--hours", type=int, default=6)
    p.add_argument("--hour-s", type=float, default=120.0, help="wall seconds of one compressed hour")
    p.add_argument("--open", type=int, default=30, help="tabs open at once, at most")
    p.add_argument("--watch-s", type=float, default=6.0, help="how long a tab watches (x2 for one that trains)")
    p.add_argument("--steps", type=int, default=10, help="steps of each run (small nets: depth 8, width 4)")
    p.add_argument("--kill-at", type=int, default=-1, help="hour at whose start the server is killed (-1: never)")
    p.add_argument("--sample-s", type=float, default=2.0)
    p.add_argument("--settle", type=float, default=600.0, help="at most this long for the run command's warm-up")
    p.add_argument("--after-s", type=float, default=150.0, help="seconds to wait after the last tab closed")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--json", type=Path)
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    env = dict(e.split("=", 1) for e in args.env)
    env.setdefault("RESNET_EXPLORER_MAX_RUN_SECONDS", "0")
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at start", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-day-") as tmp:
        db = Path(tmp) / "runs.db"
        count = [0]

        def server_factory(port: int | None = None) -> Server:
            count[0] += 1
            return Server(port or free_port(), db, Path(tmp) / f"server-{count[0]}.log", False, env)

        result = asyncio.run(day(args, server_factory, db))
    limit = env.get("RESNET_EXPLORER_MAX_CHECKPOINT_MB")
    checks = verdicts(result, args.hours, float(limit) if limit else None)
    print_report(result, args.hours, checks)
    if args.json:
        args.json.write_text(json.dumps({**result, "checks": checks}, indent=1))


if __name__ == "__main__":
    main()
