"""Two students ask for the same experiment on Degradation and the same net on Build & Train: the
second is served by the first's runs, sees them as their own ("started by ..."), and nothing new
is queued; a different seed queues its own. (In Korean, tests/browser/test_teacher.py: AppTest
cannot press a button on a Korean page whose selects translate their options.)"""

import pytest
from apptest_helpers import APP, assert_clean, own_store
from streamlit.testing.v1 import AppTest
from test_jobs import Gate

from resnet_core.jobs import runner as jobs
from resnet_core.jobs.runner import JobRunner
from resnet_core.store.runs import RunStore
from ui.page import nav
from ui.users import teacher_key

ANA, BOB = "a1a1a1a1a1a1a1a1", "b2b2b2b2b2b2b2b2"


@pytest.fixture
def runner(tmp_path_factory):
    with own_store(tmp_path_factory, "sharing") as db:
        gate = Gate()   # runs wait, queued or running, while the pages look at them
        jobs._RUNNER = JobRunner(RunStore(db), train_fn=gate, max_run_seconds=None)
        yield jobs._RUNNER
        gate.release.set()


def open_app(owner: str, page: str, lang: str, name: str = "", **settings) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"lang": lang, "u": owner, **({"n": name} if name else {}), **settings})
    at.run()
    at.switch_page(nav.file_of(page)).run()
    assert_clean(at)
    return at


def markdown(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def test_the_second_student_watches_the_first_students_degradation_runs(runner):
    ana = open_app(ANA, "degradation", "en", name="Ana")
    ana.button(key="degradation_start").click().run()
    assert_clean(ana)
    ids = sorted(r.id for r in runner.store.list_runs(owner=ANA))
    assert len(ids) == 4

    bob = open_app(BOB, "degradation", "en")
    bob.button(key="degradation_start").click().run()
    assert_clean(bob)
    assert len(runner.store.list_runs()) == 4 and runner.store.list_runs(owner=BOB) == []   # served, not queued
    assert "started by Ana" in markdown(bob)                                        # whose runs these are
    assert list(bob.selectbox(key="degradation_pick").value) == ids
    assert "started by" not in markdown(ana)                                        # Ana's own: no note
    again = open_app(BOB, "degradation", "en")                                      # Bob reloads the page
    assert list(again.selectbox(key="degradation_pick").value) == ids

    bob = open_app(BOB, "degradation", "en", seed="1")          # a link with another seed
    bob.button(key="degradation_start").click().run()
    assert_clean(bob)
    mine = runner.store.list_runs(owner=BOB)
    assert len(mine) == 4 and not {r.id for r in mine} & set(ids)                    # another seed: runs of its own


def test_a_served_build_run_is_listed_among_the_students_runs(runner):
    ana = open_app(ANA, "build", "en")
    ana.button(key="build_start").click().run()
    (run,) = runner.store.list_runs(owner=ANA)
    bob = open_app(BOB, "build", "en")
    bob.button(key="build_start").click().run()
    assert_clean(bob)
    assert len(runner.store.list_runs()) == 1
    assert bob.multiselect(key="build_overlay").value == [run.id]
    assert "started by student 1" in markdown(bob)


def _teacher_with_a_run(runner, monkeypatch):
    """The teacher unlocks on Build & Train, sets 40 steps and starts a run: the run."""
    from resnet_core.classroom import class_state
    monkeypatch.setenv(teacher_key.KEY_ENV, "front row")
    monkeypatch.setattr(teacher_key, "MIN_INTERVAL", 0.0)
    for name in ("teacher_view", "teacher_owner", "teacher_runs"):
        class_state().publish(name, None)
    teacher = open_app("7eac7eac7eac7eac", "build", "en")
    teacher.text_input(key="teacher_key_input").input("front row")
    next(b for b in teacher.button if b.label == "Unlock").click().run()
    teacher.number_input(key="build_steps").set_value(40).run()
    teacher.button(key="build_start").click().run()
    assert_clean(teacher)
    (run,) = runner.store.list_runs(owner="7eac7eac7eac7eac")
    return run


def _empty_class() -> None:
    from resnet_core.classroom import class_state

    for name in ("teacher_view", "teacher_owner", "teacher_runs"):   # the next test's class starts empty
        class_state().publish(name, None)


def test_the_follow_switch_survives_the_page_change_it_causes(runner, monkeypatch):
    """The student switches following on where they are (a widget value, as a browser sends it):
    the page change to the teacher's page must not drop the switch, or that page shows the
    student's runs, not the teacher's (st.switch_page's rerun carries no widget values, and
    Streamlit drops widget values at a page change)."""
    run = _teacher_with_a_run(runner, monkeypatch)
    try:
        student = open_app(BOB, "gap-fc", "en")
        student.toggle(key="class_follow").set_value(True).run()
        assert_clean(student)
        assert student.number_input(key="build_steps").value == 40     # on the teacher's page
        assert student.toggle(key="class_follow").value
        assert run.id in student.multiselect(key="build_overlay").value
        assert "started by the teacher" in markdown(student)
    finally:
        _empty_class()


def test_a_student_who_follows_the_teacher_gets_the_teachers_page_settings_and_runs(runner, monkeypatch):
    run = _teacher_with_a_run(runner, monkeypatch)

    student = AppTest.from_file(APP, default_timeout=120)
    student.query_params.update({"lang": "en", "u": BOB})
    student.session_state["class_follow"] = True
    student.run()                                  # opened Home: taken to the teacher's page
    assert_clean(student)
    assert student.number_input(key="build_steps").value == 40
    assert run.id in student.multiselect(key="build_overlay").value
    assert "started by the teacher" in markdown(student)
    assert runner.store.list_runs(owner=BOB) == []
    student.session_state["class_follow"] = False
    student.run()
    assert run.id not in (student.multiselect(key="build_overlay").value if student.multiselect else [])
    _empty_class()
