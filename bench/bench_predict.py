"""Predict, then observe with a class: what /predict viewers cost, and how fast votes and questions
travel, while the degradation experiment trains. Run through bench_classroom:

    .venv/bin/python bench/bench_classroom.py --predict 60 [--vote-window 10] [--json out.json]

One server started as the README does, with a teacher key (its own temporary store), then:

1. idle: the server's CPU over --idle s with no tab open (after the warm-up has settled);
2. watching: N students open /predict (alone: nothing opened yet) and sit there; the server's CPU
   over --idle s again. Each tab polls for a newly opened question (ui/predict/rounds.py):
   cost per viewer = (CPU watching - CPU idle) / s / N, in % of one core;
3. the teacher presses Degradation's "Train all four" (training runs from here on), unlocks
   /predict with the key and opens the first question. For each student: the time from the
   teacher's click returning to the student's page showing the question (its first full run with
   new content after the click);
4. every student votes at a random moment within --vote-window s (a fifth change their vote a
   moment later, a tenth reload their tab and vote again): vote latency is the time from a vote's
   click being sent to the first tally the teacher's page received from a tally run that began
   after the vote was stored (the teacher's fragment redraws every second);
5. the store is read: every student has exactly one vote, their last choice, and the tally sums
   to N.

Printed: viewer cost, question-reach p50/p95/max, tally p50/p95/max, votes stored vs expected,
errors and dropped sockets. No asserts: on a shared 2-core machine expect noise.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import sqlite3
import time
from pathlib import Path

from bench_classroom import Sampler, Server, close_round, free_port, pct, settle   # noqa: E402
from st_client import StSession   # noqa: E402

KEY = "bench " + secrets.token_hex(8)


def _votes(db: Path, round_id: int) -> list[tuple[str, str]]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute("SELECT owner, option FROM votes WHERE round = ?", (round_id,)).fetchall()
    finally:
        con.close()


def _current_round(db: Path) -> tuple[int, str] | None:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        row = con.execute("SELECT id, question FROM rounds WHERE state = 'open' ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        con.close()
    return row


async def _cpu_over(server: Server, seconds: float) -> float:
    """CPU seconds of the server's processes over `seconds`, per second (cores busy)."""
    sampler = Sampler(server)
    sampler.start()
    t0 = time.monotonic()
    await asyncio.sleep(seconds)
    return sampler.finish() / (time.monotonic() - t0)


async def run(n: int, args, tmp: Path) -> dict:
    db = tmp / "predict" / "runs.db"
    db.parent.mkdir(parents=True)
    server = Server(free_port(), db, tmp / "predict" / "server.log", args.direct,
                    {**dict(args.env), "RESNET_EXPLORER_TEACHER_KEY": KEY})
    owner = "teach" + secrets.token_hex(3)
    tabs: list[StSession] = []
    out: dict = {"viewers": n, "errors": [], "dropped": 0}
    try:
        await server.ready()
        for page in ("predict", "degradation"):
            async with StSession(server.url, page=page, query=f"u={owner}", name=f"warm-{page}") as s:
                await s.loaded(timeout=300)
        await settle(server, args.settle)
        idle = await _cpu_over(server, args.idle)

        async def open_student(i: int) -> StSession:
            await asyncio.sleep(i * args.stagger)
            s = StSession(server.url, page="predict", query=f"u=student{i:04d}", name=f"s{i:02d}")
            await s.connect()
            await s.loaded(timeout=180)
            return s

        tabs = list(await asyncio.gather(*(open_student(i) for i in range(n))))
        await asyncio.sleep(3)   # every tab's first run has ended; their watches tick
        watching = await _cpu_over(server, args.idle)
        out.update(idle_cores=idle, watching_cores=watching,
                   cpu_per_viewer_pct=100 * (watching - idle) / max(n, 1))

        driver = StSession(server.url, page="degradation", query=f"u={owner}", name="trainer")
        await driver.connect()
        await driver.loaded(timeout=180)
        await driver.click("degradation_start", timeout=180)
        await driver.close()
        teacher = StSession(server.url, page="predict", query=f"u={owner}", name="teacher")
        tabs.append(teacher)
        await teacher.connect()
        await teacher.loaded(timeout=180)
        await teacher.set_value("teacher_key_input", string_value=KEY, rerun=False)
        await teacher.click("FormSubmitter:teacher_unlock", timeout=180)
        await teacher.click("predict_teacher_open", timeout=180)
        t_open = time.monotonic()
        found = _current_round(db)
        if found is None:
            raise RuntimeError(f"the teacher's click opened no round (log: {server.log_path})")
        round_id, question = found
        students = tabs[:n]
        await asyncio.sleep(3)
        reach = []
        for s in students:
            full = [r for r in s.stats.runs if not r.fragment_ids and r.first_msg > t_open - 1.5
                    and r.first_change is not None]
            reach.append(max(0.0, full[0].first_change - t_open) if full else float("inf"))
        out.update(reach_p50_s=pct(reach, 0.5), reach_p95_s=pct(reach, 0.95), reach_max_s=max(reach, default=0))

        options = {"degradation": ("plain-20", "plain-56")}.get(question) or ("plain", "residual")
        rng = random.Random(0)
        last: dict[str, str] = {}
        sent: list[tuple[float, float]] = []     # (sent, stored by) per vote

        async def vote(i: int, s: StSession) -> StSession:
            await asyncio.sleep(rng.uniform(0, args.vote_window))
            choice = options[i % 2]
            if i % 10 == 9:    # a reload: a new tab with the same address, then the vote
                await s.close()
                s = StSession(server.url, page="predict", query=f"u=student{i:04d}", name=f"s{i:02d}r")
                await s.connect()
                await s.loaded(timeout=180)
            t0 = time.monotonic()
            await s.click(f"predict_class_{round_id}_{choice}", timeout=180)
            sent.append((t0, time.monotonic()))
            if i % 5 == 0:      # changed their mind
                choice = options[(i + 1) % 2]
                t0 = time.monotonic()
                await s.click(f"predict_class_{round_id}_{choice}", timeout=180)
                sent.append((t0, time.monotonic()))
            last[f"student{i:04d}"] = choice
            return s

        t_votes = time.monotonic()
        students = list(await asyncio.gather(*(vote(i, s) for i, s in enumerate(students))))
        out["votes_wall_s"] = time.monotonic() - t_votes
        await asyncio.sleep(2.5)
        tally_runs = sorted(r.first_msg for r in teacher.stats.runs if r.fragment_ids and r.first_delta is not None)
        lat = []
        for t_sent, t_stored in sent:
            after = [t for t in tally_runs if t > t_stored]
            lat.append(after[0] - t_sent if after else float("inf"))
        out.update(tally_p50_s=pct(lat, 0.5), tally_p95_s=pct(lat, 0.95), tally_max_s=max(lat, default=0),
                   votes_sent=len(sent))
        stored = _votes(db, round_id)
        out.update(votes_stored=len(stored), owners=len({o for o, _ in stored}),
                   votes_right=dict(stored) == last, expected=len(last))
        tabs = students + [teacher]
        for s in tabs:
            out["errors"] += [f"{s.stats.name}: {e}" for e in s.stats.errors]
            out["dropped"] += s.stats.dropped
    finally:
        await close_round(tabs, server)
    return out


def print_report(r: dict) -> None:
    print(f"\n/predict with {r['viewers']} students (a teacher key; degradation training during the vote)")
    print(f"  server CPU idle {r['idle_cores']:.3f} cores, with {r['viewers']} /predict viewers watching "
          f"{r['watching_cores']:.3f} cores: {r['cpu_per_viewer_pct']:.2f}% of a core per viewer")
    print(f"  question opened -> on each student's page: p50 {r['reach_p50_s']:.2f} s, p95 {r['reach_p95_s']:.2f} s, "
          f"max {r['reach_max_s']:.2f} s")
    print(f"  {r['votes_sent']} votes in {r['votes_wall_s']:.1f} s; vote -> teacher's tally: p50 {r['tally_p50_s']:.2f} s, "
          f"p95 {r['tally_p95_s']:.2f} s, max {r['tally_max_s']:.2f} s")
    print(f"  stored: {r['votes_stored']} votes from {r['owners']} owners (expected {r['expected']}); "
          f"each the student's last choice: {r['votes_right']}")
    print(f"  errors {len(r['errors'])}, dropped sockets {r['dropped']}")
    for e in r["errors"][:5]:
        print(f"    error: {e}")
