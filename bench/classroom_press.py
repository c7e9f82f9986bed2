"""A class pressing the same button: N students on Degradation press "Train all four" with the
page's defaults within a few seconds (bench_classroom.py --press N).

Each student is a real websocket session (scripts/st_client.py) with their own ``?u=``, on a
fresh server started as the README starts it. After a warm-up, the N tabs open, then each
presses at a random moment within --press-window seconds. Measured:

- runs queued: rows the store holds for the Degradation page (equal requests share one run,
  resnet_core.jobs.sharing, so the page's defaults should give 4);
- refusals: students whose page answered the click with a full queue, the per-student limit or
  a pause;
- live: students whose page changed while the runs trained (curves drawn as they train);
- time until every student sees the result: from the first press until the last student's page
  shows the final table ("Final results beside the paper"), and per student p50 / max;
- per student, when each stage arrived (p50 / p95 / max after the first press): the click's
  answer, the first update while training, the progress rows with all four runs finished, the
  final table; whether the table came in the live fragment's tick that saw the runs end or in the
  full run after it, how often it was drawn, and for a student who never got it, what they got
  last; the web process's CPU over the round and the machine's load average (--keep-log keeps the
  server's log when it holds a traceback).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import sqlite3
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXTS = json.loads((ROOT / "assets/i18n/runs.json").read_text(encoding="utf-8"))
RESULT = json.loads((ROOT / "assets/i18n/degradation.json").read_text(encoding="utf-8"))["degradation.final_title"]["en"]
# The English start of each refusal, up to its first placeholder.
REFUSALS = [TEXTS[k]["en"].split("{")[0] for k in ("runs.queue_full", "runs.owner_limit", "runs.paused")]


@dataclass
class PressRound:
    n: int
    window: float
    runs: int = 0
    statuses: list = field(default_factory=list)
    refused: int = 0
    live: int = 0
    saw_result: int = 0
    first_press: float = 0.0
    to_result: list = field(default_factory=list)   # per student: first press -> their final table, s
    train_wall: float | None = None
    runs_after_press: list = field(default_factory=list)   # per student: script runs finished after the press
    errors: list = field(default_factory=list)
    stages: dict = field(default_factory=dict)   # per stage: students reached, p50 / p95 / max s after the first press
    web_cpu_s: float = 0.0     # the web process's CPU seconds from the first press to the end
    wall_s: float = 0.0        # ... over this many seconds
    load: tuple = ()           # the machine's load average at the end


AFTER_S = 10.0   # after the last student's final table, the pages are watched this long more

# The progress rows' status of a finished run (ui/progress.py: "<b>label</b> — status").
FINISHED_ROW = "</b> — " + TEXTS["runs.status.finished"]["en"]


def _watch(session, seen: dict) -> None:
    """Record, per session, when each stage first reached it: a refusal, the curves' first
    change after the press ("live"), the progress rows with all four runs finished
    ("all_done"), each full script run after that ("full_runs"), and the final table
    ("result"); and the last message of any kind ("last_msg")."""
    original, original_new = session._delta, session._new_session

    def delta(msg, content_hash, run, now):
        original(msg, content_hash, run, now)
        seen["last_msg"] = now
        d = msg.delta
        if d.WhichOneof("type") != "new_element":
            return
        el = d.new_element
        which = el.WhichOneof("type")
        text = el.alert.body if which == "alert" else el.heading.body if which == "heading" else \
            el.markdown.body if which == "markdown" else ""
        if text and any(text.startswith(r) for r in REFUSALS):
            seen.setdefault("refused", now)
        if text and RESULT in text:
            seen.setdefault("result", now)
            # By the live fragment's tick that saw the runs end, or by the full run after it.
            seen.setdefault("result_by", "fragment" if run is not None and run.fragment_ids else "full run")
            seen["tables"] = seen.get("tables", 0) + 1
        if which == "markdown" and text.count(FINISHED_ROW) == 4:
            seen.setdefault("all_done", now)
        if "pressed" in seen and which in ("plotly_chart", "vega_lite_chart", "arrow_vega_lite_chart", "imgs",
                                           "markdown", "html") and now > seen["pressed"] + 1:
            seen.setdefault("live", now)

    def new_session(msg):
        original_new(msg)
        if not msg.metadata.run.fragment_ids and "all_done" in seen:
            seen.setdefault("full_runs", []).append(time.monotonic())

    session._delta, session._new_session = delta, new_session


def stages(seen: list[dict], t0: float) -> dict:
    """Per stage, over the students who reached it: how many, and p50 / p95 / max seconds after
    the first press."""
    out = {}
    for stage in ("clicked", "live", "all_done", "result"):
        times = sorted(x[stage] - t0 for x in seen if stage in x)
        out[stage] = {"n": len(times), "p50": _pct(times, 0.5), "p95": _pct(times, 0.95),
                      "max": times[-1] if times else None}
    by = [x.get("result_by") for x in seen if "result_by" in x]
    out["result_by"] = {kind: by.count(kind) for kind in sorted(set(by))}
    out["tables_drawn"] = sorted(x.get("tables", 0) for x in seen)
    out["full_runs_after_done"] = sorted(len(x.get("full_runs", [])) for x in seen)
    stuck = [x for x in seen if "result" not in x and "refused" not in x]
    out["without_result"] = {"n": len(stuck), "saw_all_done": sum("all_done" in x for x in stuck),
                             "full_runs_after_done": sorted(len(x.get("full_runs", [])) for x in stuck),
                             "last_msg_s": sorted(round(x.get("last_msg", t0) - t0, 1) for x in stuck)[-5:]}
    return out


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, int(q * len(values)))]


def _runs(db: Path) -> list[tuple]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute("SELECT id, status, created, finished FROM runs WHERE grp='degradation'").fetchall()
    except sqlite3.Error:
        return []
    finally:
        con.close()


def _web_pid(server) -> int:
    """The web process: the streamlit process under the run command (or the server itself)."""
    for pid in [server.proc.pid, *server.tree()]:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"streamlit" in cmd and b"run" in cmd:
            return pid
    return server.proc.pid


def _cpu_s(pid: int) -> float:
    from bench_classroom import proc_cpu

    got = proc_cpu(pid)
    return got[1] if got else 0.0


async def press_round(n: int, args, tmp: Path) -> PressRound:
    from bench_classroom import TERMINAL, Server, close_round, free_port, settle
    from st_client import StSession

    result = PressRound(n, args.press_window)
    db = tmp / f"press-{n}" / "runs.db"
    db.parent.mkdir(parents=True)
    server = Server(free_port(), db, tmp / f"press-{n}" / "server.log", args.direct, dict(args.env))
    students: list[StSession] = []
    seen: list[dict] = [{} for _ in range(n)]
    try:
        await server.ready()
        async with StSession(server.url, page="degradation", query="lang=en", name="warm") as s:
            await s.loaded(timeout=300)
        await settle(server, args.settle)

        async def open_one(i: int) -> StSession:
            await asyncio.sleep(i * args.stagger)
            s = StSession(server.url, page="degradation", query=f"lang=en&u=s{i:02d}{secrets.token_hex(6)}",
                          name=f"s{i:02d}")
            _watch(s, seen[i])
            await s.connect()
            await s.loaded(timeout=300)
            return s

        students = list(await asyncio.gather(*(open_one(i) for i in range(n))))
        rng = random.Random(0)
        web_pid = _web_pid(server)
        cpu0 = _cpu_s(web_pid)
        t0 = time.monotonic()
        result.first_press = t0

        async def press(i: int, s: StSession) -> None:
            await asyncio.sleep(rng.uniform(0, args.press_window))
            seen[i]["pressed"] = time.monotonic()
            try:
                await s.click("degradation_start", timeout=300)
                seen[i]["clicked"] = time.monotonic()
            except Exception as exc:
                result.errors.append(f"s{i:02d}: {type(exc).__name__}: {exc}")

        await asyncio.gather(*(press(i, s) for i, s in enumerate(students)))
        deadline = t0 + args.round_timeout
        while time.monotonic() < deadline:
            rows = _runs(db)
            if rows and all(r[1] in TERMINAL for r in rows) and all("result" in x or "refused" in x for x in seen):
                break
            await asyncio.sleep(0.25)
        result.wall_s, result.web_cpu_s = time.monotonic() - t0, _cpu_s(web_pid) - cpu0
        result.load = os.getloadavg()
        await asyncio.sleep(AFTER_S)   # what the pages still draw once every student has the table
        result.stages = stages(seen, t0)
        rows = _runs(db)
        result.runs, result.statuses = len(rows), sorted(r[1] for r in rows)
        if rows and all(r[1] in TERMINAL for r in rows):
            result.train_wall = max(r[3] or r[2] for r in rows) - min(r[2] for r in rows)
        result.refused = sum("refused" in x for x in seen)
        result.saw_result = sum("result" in x for x in seen)
        result.to_result = sorted(x["result"] - t0 for x in seen if "result" in x)
        # Live: the page changed at least twice between the press and the result (curves drawn while training).
        for x, s in zip(seen, students):
            end = x.get("result", time.monotonic())
            if len([u for u in s.stats.update_times() if x.get("pressed", t0) + 1 < u < end]) >= 2:
                result.live += 1
            result.errors += [f"{s.stats.name}: {e}" for e in s.stats.errors]
            result.runs_after_press.append(sum(1 for r in s.stats.runs if r.finished and r.first_msg > x.get("pressed", t0)))
        log = server.log_path.read_text(errors="replace") if server.log_path.exists() else ""
        result.errors += [line[:200] for line in log.splitlines() if "Traceback" in line or "Error" in line][:5]
        if "Traceback" in log and getattr(args, "keep_log", None):
            Path(args.keep_log).write_text(log)
    finally:
        await close_round(students, server)
    return result


def report(r: PressRound) -> dict:
    out = {"students": r.n, "press_window_s": r.window, "runs_queued": r.runs, "run_statuses": r.statuses,
           "refused": r.refused, "live": r.live, "saw_result": r.saw_result,
           "train_wall_s": r.train_wall,
           "result_p50_s": statistics.median(r.to_result) if r.to_result else None,
           "result_all_s": r.to_result[-1] if len(r.to_result) == r.n else None,
           "errors": len(r.errors), "error_samples": r.errors[:5]}
    print(f"{r.n} students pressed 'Train all four' within {r.window:.0f} s: {r.runs} runs queued "
          f"({', '.join(r.statuses)}), {r.refused} refused, {r.live} saw the curves move while training, "
          f"{r.saw_result} saw the final table")
    if r.to_result:
        every = f"{r.to_result[-1]:.1f} s" if len(r.to_result) == r.n else "not every student"
        print(f"  first press -> final table: p50 {statistics.median(r.to_result):.1f} s, all students {every}; "
              f"the four runs' wall time {r.train_wall or float('nan'):.1f} s")
    if r.runs_after_press:
        print(f"  script runs each student saw after pressing: p50 {statistics.median(r.runs_after_press):.0f}, "
              f"min {min(r.runs_after_press)}, max {max(r.runs_after_press)}")
    for stage, got in r.stages.items():
        if stage in ("result_by", "tables_drawn", "full_runs_after_done"):
            shown = got if isinstance(got, dict) else f"min {min(got)}, max {max(got)}" if got else "-"
            print(f"  {stage.replace('_', ' ')}: {shown}")
        elif stage == "without_result":
            print(f"  without the final table: {got['n']} (of them saw all four runs finished: {got['saw_all_done']}; "
                  f"full page runs after that: {got['full_runs_after_done']}; last message at +{got['last_msg_s']} s)")
        elif got["n"]:
            print(f"  {stage}: {got['n']} students, p50 {got['p50']:.1f} s, p95 {got['p95']:.1f} s, "
                  f"max {got['max']:.1f} s after the first press")
    if r.wall_s:
        print(f"  web process CPU {r.web_cpu_s:.0f} s over {r.wall_s:.0f} s ({100 * r.web_cpu_s / r.wall_s:.0f} % of "
              f"one core); load average at the end {', '.join(f'{x:.1f}' for x in r.load)}")
    out.update(stages=r.stages, web_cpu_s=r.web_cpu_s, wall_s=r.wall_s, load=list(r.load))
    for e in r.errors[:5]:
        print(f"  error: {e}")
    return out


async def poll_cost(n: int, args, tmp: Path, seconds: float = 30.0) -> dict:
    """What the pause banner's poll costs: a server with a teacher key, N students' tabs open on
    Home doing nothing, the web process's CPU over `seconds` against the same server with no tab
    open (run with --direct, so that the server's pid is the web process)."""
    from bench_classroom import Server, close_round, free_port, proc_cpu, settle

    def web_cpu() -> float:   # the web process alone (--direct: the server's own pid); workers excluded
        got = proc_cpu(server.proc.pid)
        return got[1] if got else 0.0
    from st_client import StSession

    db = tmp / f"poll-{n}" / "runs.db"
    db.parent.mkdir(parents=True)
    env = {**dict(args.env), "RESNET_EXPLORER_TEACHER_KEY": "bench key"}
    server = Server(free_port(), db, tmp / f"poll-{n}" / "server.log", args.direct, env)
    tabs: list[StSession] = []
    try:
        await server.ready()
        async with StSession(server.url, page="", query="lang=en", name="warm") as s:
            await s.loaded(timeout=300)
        await settle(server, args.settle)
        cpu0, t0 = web_cpu(), time.monotonic()
        await asyncio.sleep(seconds)
        idle = (web_cpu() - cpu0) / (time.monotonic() - t0)
        tabs = [StSession(server.url, page="", query=f"lang=en&u=p{i:02d}{secrets.token_hex(6)}", name=f"p{i}")
                for i in range(n)]
        for s in tabs:
            await s.connect()
        await asyncio.gather(*(s.loaded(timeout=300) for s in tabs))
        await asyncio.sleep(3)
        bytes0 = sum(s.stats.bytes_in for s in tabs)
        reruns0 = sum(s.stats.auto_reruns_sent for s in tabs)
        cpu0, t0 = web_cpu(), time.monotonic()
        await asyncio.sleep(seconds)
        wall = time.monotonic() - t0
        busy = (web_cpu() - cpu0) / wall
        out = {"tabs": n, "seconds": seconds, "server_cpu_idle_pct": 100 * idle, "server_cpu_pct": 100 * busy,
               "cpu_per_tab_pct": 100 * (busy - idle) / n,
               "polls_per_tab_s": (sum(s.stats.auto_reruns_sent for s in tabs) - reruns0) / wall / n,
               "bytes_per_tab_s": (sum(s.stats.bytes_in for s in tabs) - bytes0) / wall / n}
        print(f"{n} idle tabs on a server with a teacher key: web process CPU {out['server_cpu_pct']:.1f} % of a core "
              f"(no tab: {out['server_cpu_idle_pct']:.1f} %), {out['cpu_per_tab_pct']:.2f} % per tab; "
              f"{out['polls_per_tab_s']:.2f} polls/s and {out['bytes_per_tab_s']:.0f} B/s per tab")
        return out
    finally:
        await close_round(tabs, server)
