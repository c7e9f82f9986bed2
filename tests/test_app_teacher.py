"""The teacher's controls under AppTest: absent without a configured key; a wrong key refused and
the next try slowed; the right key unlocks stopping anyone's run, clearing the queue, pausing
new runs (a student's submit then shows the teacher's message) and a fresh class store that
archives the old one. Also the cost line before the click and the cap's refusal on Build."""

import time

import pytest
from apptest_helpers import APP, assert_clean, open_page, own_store
from streamlit.testing.v1 import AppTest
from test_jobs import Gate, wait_for

from resnet_core import arch_config
from resnet_core.jobs import runner as jobs
from resnet_core.jobs.runner import JobRunner
from resnet_core.nets.config import TrainConfig
from resnet_core.store.runs import RunStore
from ui.page import nav
from ui.users import teacher_key

KEY = "correct horse battery staple"
MODEL = arch_config("resnet20", base_width=4, input_size=8, in_channels=1)
TRAIN = TrainConfig(dataset="digits", steps=12, batch_size=32, device="cpu")
ANA, BOB, TEACHER = "a" * 16, "b" * 16, "c" * 16


@pytest.fixture
def setup(tmp_path_factory, monkeypatch):
    """A runner whose runs wait at a gate (no training), the key set, quick lock-outs."""
    monkeypatch.setattr(teacher_key, "MIN_INTERVAL", 0.3)
    monkeypatch.setattr(teacher_key, "FIRST_DELAY", 5.0)
    monkeypatch.setattr(teacher_key, "_last_check", [0.0])
    with own_store(tmp_path_factory, "teacher") as db:
        gate = Gate()
        jobs._RUNNER = JobRunner(RunStore(db), train_fn=gate, max_run_seconds=600)
        monkeypatch.setenv(teacher_key.KEY_ENV, KEY)
        yield jobs._RUNNER, gate
        gate.release.set()


def open_app(owner: str, page: str = "", lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": lang, "u": owner})
    at.run()
    if page:
        from ui.page import nav

        at.switch_page(nav.file_of(page)).run()
    assert_clean(at)
    return at


def enter_key(at: AppTest, key: str) -> AppTest:
    at.text_input(key="teacher_key_input").input(key)
    next(b for b in at.button if b.label in ("Unlock", "잠금 해제")).click()
    return at.run()


def texts(at: AppTest) -> str:
    return " ".join(e.value for kind in ("error", "warning", "success", "info") for e in getattr(at, kind))


def test_without_a_key_there_are_no_teacher_controls(setup, monkeypatch):
    monkeypatch.delenv(teacher_key.KEY_ENV)
    at = open_app(TEACHER)
    assert not [e for e in at.expander if e.label == "Teacher"]
    with pytest.raises(KeyError):
        at.text_input(key="teacher_key_input")


def test_a_wrong_key_is_refused_and_the_next_try_slowed(setup, monkeypatch):
    from ui.page import nav

    now = [1000.0]                      # a clock this test moves: no waiting for the lock-out
    monkeypatch.setattr(teacher_key, "clock", lambda: now[0])
    monkeypatch.setattr(teacher_key, "sleep", lambda s: now.__setitem__(0, now[0] + s))
    at = open_app(TEACHER)
    assert [e for e in at.expander if e.label == "Teacher"]
    assert at.text_input(key="teacher_key_input").value == ""
    enter_key(at, "guess")
    assert "That is not the teacher key." in texts(at)
    assert at.text_input(key="teacher_key_input").value == ""   # the typed key does not stay
    enter_key(at, KEY)                           # at once: locked out, not even checked
    assert "try again in" in texts(at) and at.session_state["_teacher_failures"] == 1
    with pytest.raises(KeyError):
        at.button(key="teacher_clear")
    enter_key(at, "guess again")                 # still locked out
    assert "try again in" in texts(at)
    now[0] += 4.9                                # the first lock-out is 5 s here: not yet over
    enter_key(at, "guess again")
    assert "try again in" in texts(at) and at.session_state["_teacher_failures"] == 1
    now[0] += 0.2
    enter_key(at, "guess again")
    assert "That is not the teacher key." in texts(at) and at.session_state["_teacher_failures"] == 2
    assert at.session_state["_teacher_locked_until"] - now[0] == 10.0    # twice as long now
    for value in at.query_params.values():
        assert "guess" not in str(value) and KEY not in str(value)


def test_checks_keep_a_minimum_interval_across_sessions(setup):
    one, two = open_app(ANA), open_app(BOB)
    started = time.monotonic()
    enter_key(one, "nope")
    enter_key(two, "nope")
    assert time.monotonic() - started >= 0.3


def test_the_right_key_unlocks_the_controls(setup, tmp_path_factory):
    runner, gate = setup
    running = runner.submit(MODEL, TRAIN, owner=ANA, label="ResNet-20", display_name="Ana")
    wait_for(lambda: gate.started == [running])
    waiting = runner.submit_many([("plain-20", MODEL, TRAIN)] * 2, owner=BOB)

    at = enter_key(open_app(TEACHER), KEY)
    assert "Teacher controls unlocked" in texts(at)
    assert at.session_state["_teacher_digest"] != KEY
    options = at.selectbox(key="teacher_stop_pick").options
    assert any("Ana" in o for o in options) and any("student 2" in o for o in options)
    assert not any(ANA in o or BOB in o for o in options)             # names, never ids

    at.selectbox(key="teacher_stop_pick").set_value(running).run()
    at.button(key="teacher_stop").click().run()
    assert runner.wait(running, timeout=10) == "cancelled"          # another's run, stopped
    wait_for(lambda: len(gate.started) == 2)                         # bob's first run took the worker
    at.run()
    assert at.button(key="teacher_clear").label == "Clear the queue (1 waiting)"
    at.button(key="teacher_clear").click().run()
    assert runner.job(waiting[1]).status == "cancelled" and runner.queue_length() == 0
    assert runner.job(waiting[0]).status == "running"                    # clearing leaves running runs alone

    at.text_input(key="teacher_pause_msg").input("Eyes on the projector").run()
    at.button(key="teacher_pause").click().run()
    assert runner.paused == "Eyes on the projector"
    student = open_app(BOB, "build")
    assert any("Eyes on the projector" in i.value for i in student.main.info)        # at the top, not the sidebar
    at.switch_page(nav.file_of("build")).run()
    at.button(key="build_start").click().run()                                      # the teacher's demo goes in
    assert not any("paused" in i.value for i in at.main.info)
    assert len(runner.store.list_runs(owner=TEACHER)) == 1
    student.button(key="build_start").click().run()
    assert any("paused new runs: Eyes on the projector" in i.value for i in student.info)
    assert runner.store.list_runs(owner=BOB, status="queued") == []
    at.button(key="teacher_resume").click().run()
    assert runner.paused is None

    old = runner.store.path
    at.checkbox(key="teacher_fresh_sure").check().run()
    at.button(key="teacher_fresh").click().run()
    assert "A fresh class store has started" in texts(at)
    archives = [p for p in old.parent.glob(f"{old.stem}-*{old.suffix}")]
    assert len(archives) == 1 and {r.id for r in RunStore(archives[0]).list_runs()} >= {running, *waiting}
    assert runner.store.list_runs() == [] and old.exists()


def test_the_build_page_says_the_cost_before_the_click_and_refuses_a_run_too_long(setup):
    at = open_app(ANA, "build")
    assert any("Training takes about" in c.value and "on this server" in c.value for c in at.caption)
    at.number_input(key="build_steps").set_value(100_000).run()
    warning = " ".join(w.value for w in at.warning)
    assert "one run may take 10 min at most" in warning and "Reduce the steps (now 100,000)" in warning
    assert "the first stage's channels (" in warning   # the Build page's label, not "width"
    assert "the width multiplier (1)" in warning        # it sizes the run too (Build's "Width multiplier")
    at.button(key="build_start").click().run()
    assert setup[0].store.list_runs(owner=ANA) == []                 # refused at the runner too
    ko = open_page("build", "ko", owner=ANA, state={"build_steps": 100_000})
    assert any("단계 수(지금 100,000)" in w.value and "첫 스테이지 채널 수(" in w.value and "너비 배수(1)" in w.value
               for w in ko.warning)


@pytest.mark.parametrize("lang, switch, leave", [("en", "Projector view", "Leave projector view"),
                                                 ("ko", "프로젝터 보기", "프로젝터 보기 끝내기")])
def test_the_projector_view_is_the_teachers_and_sizes_figures_for_the_room(setup, lang, switch, leave):
    """Only behind the key; on, the page gets its stylesheet and a way back at the top, and each
    inline figure is drawn wide enough that its smallest text shows at 14 px (ui/draw/canvas.py)."""
    import math
    import re

    from apptest_helpers import svg_charts

    from ui.draw.canvas import ROOM_TEXT_PX

    student = open_app(ANA, "bottleneck", lang)
    assert not [w for w in student.toggle if w.label == switch]        # no switch without the key

    at = enter_key(open_app(TEACHER, "bottleneck", lang), KEY)
    [toggle] = [w for w in at.toggle if w.label == switch]
    assert not [b for b in at.button if b.label == leave]
    toggle.set_value(True).run()
    assert_clean(at)
    assert [b for b in at.button if b.label == leave]
    assert any("font-size: 20px" in h.proto.body for h in at.get("html")), "the projector stylesheet is missing"
    assert svg_charts(at), "no figure to size"
    for svg in svg_charts(at):
        width = float(svg.get("viewBox").split()[2])
        sizes = [float(el.get("font-size")) for el in svg.iter() if el.get("font-size")]
        floor = re.search(r"--rx-room:(\d+)px", svg.get("style"))
        assert floor, f"{svg.get('aria-label')}: no width for the projector"
        assert int(floor.group(1)) == math.ceil(width * ROOM_TEXT_PX / min(sizes))
    rule = 'svg[style*="--rx-room"] { min-width: var(--rx-room) !important; }'
    assert any(rule in h.proto.body for h in at.get("html")), "the projector does not size the figures"

    next(b for b in at.button if b.label == leave).click().run()
    assert_clean(at)
    assert not [b for b in at.button if b.label == leave]
    assert not any("font-size: 20px" in h.proto.body for h in at.get("html"))
