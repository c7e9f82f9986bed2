"""Sixty students predict at once over the real websocket (scripts/st_client.py) on the test
process's app server: every vote is counted exactly once, a changed vote replaces the old one, and
a reloaded tab (the same ?u=) is the same owner, not a second vote. Timings are
bench/bench_classroom.py --predict's business, not asserted here."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

import pytest
from loops import run_apart

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
pytest.importorskip("websockets")
from st_client import StSession  # noqa: E402

pytestmark = pytest.mark.timeout(300)

STUDENTS = 60
QUESTION = "macs"


async def student(url: str, owner: str, option: str) -> StSession:
    s = StSession(url, page="predict", query=f"u={owner}&question={QUESTION}", name=owner)
    await s.connect()
    await s.loaded(timeout=180)
    await s.click(f"predict_alone_{QUESTION}_{option}", timeout=180)
    return s


def alone_votes(db: Path, owners: list[str]) -> dict[str, str]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        marks = ",".join("?" * len(owners))
        rows = con.execute(f"SELECT owner, option FROM votes WHERE round = 0 AND question = ? AND owner IN ({marks})",
                           (QUESTION, *owners)).fetchall()
    finally:
        con.close()
    assert len(rows) == len({o for o, _ in rows}), "an owner has two votes"
    return dict(rows)


async def classroom(server) -> None:
    owners = [f"predictws{i:03d}" for i in range(STUDENTS)]
    first = {o: ("vgg19" if i % 3 else "resnet152") for i, o in enumerate(owners)}
    tabs = await asyncio.gather(*(student(server.url, o, first[o]) for o in owners))
    try:
        for s in tabs:
            assert not s.stats.errors and not s.stats.dropped, (s.stats.name, s.stats.errors)
        db = server.workdir / "runs.sqlite"
        assert alone_votes(db, owners) == first
        # Ten change their minds in their open tab; ten others reload and vote the same again.
        changed = {o: ("resnet152" if first[o] == "vgg19" else "vgg19") for o in owners[:10]}
        await asyncio.gather(*(s.click(f"predict_alone_{QUESTION}_{changed[s.stats.name]}", timeout=180)
                               for s in tabs[:10]))
        reloaded = await asyncio.gather(*(student(server.url, o, first[o]) for o in owners[10:20]))
        tabs += reloaded
        assert alone_votes(db, owners) == {**first, **changed}
        for s in reloaded:
            assert not s.stats.errors, (s.stats.name, s.stats.errors)
    finally:
        await asyncio.gather(*(s.close() for s in tabs))


def test_sixty_students_vote_at_once(app_server):
    run_apart(classroom(app_server))
