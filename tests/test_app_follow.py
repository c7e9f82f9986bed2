"""A student who follows the teacher and is already on the teacher's page takes each setting the
teacher publishes there, without a click, and keeps it although their browser, a moment behind,
sends the old value back; once they stop following, their own changes hold.

(English only: no text is involved, and AppTest cannot rerun a Korean Degradation page, whose
dataset select translates its options; the Korean follower is in tests/browser/test_teacher.py.)"""

import pytest
from apptest_helpers import assert_clean
from streamlit.testing.v1 import AppTest
from test_app_sharing import _empty_class, open_app, runner  # noqa: F401  (the runner fixture)

from ui.page import nav
from ui.users import teacher_key

TEACHER, STUDENT = "7eac7eac7eac7eac", "c3c3c3c3c3c3c3c3"
SEED = "degradation_seed"


@pytest.fixture
def keyed(monkeypatch):
    monkeypatch.setenv(teacher_key.KEY_ENV, "front row")
    monkeypatch.setattr(teacher_key, "MIN_INTERVAL", 0.0)
    _empty_class()
    yield
    _empty_class()


def _teacher_on(page: str) -> AppTest:
    teacher = open_app(TEACHER, page, "en")
    teacher.text_input(key="teacher_key_input").input("front row")
    next(b for b in teacher.button if b.label == "Unlock").click().run()
    assert_clean(teacher)
    return teacher


def _seed(at: AppTest) -> tuple[int, str]:
    """The seed the page shows and the one in its address."""
    raw = at.query_params.get("seed")
    return at.number_input(key=SEED).value, raw[0] if isinstance(raw, list) else raw


def test_a_follower_on_the_teachers_page_takes_each_new_setting_and_keeps_it(runner, keyed):  # noqa: F811
    teacher = _teacher_on("degradation")            # publishes Degradation with seed 0
    student = open_app(STUDENT, "gap-fc", "en")
    student.toggle(key="class_follow").set_value(True).run()
    assert_clean(student)
    assert _seed(student) == (0, "0")                # taken to the teacher's page
    student.switch_page(nav.file_of("degradation"))   # where the browser now is (AppTest forgets)

    teacher.number_input(key=SEED).set_value(7).run()     # the teacher publishes seed 7
    student.run()                                    # the banner's rerun of the app, no click
    assert_clean(student)
    assert _seed(student) == (7, "7")

    # The student's browser, a moment behind, sends the seed it still shows (0) with its next
    # rerun (the banner's tick): a follower keeps the teacher's seed, on the page and in the address.
    student.number_input(key=SEED).set_value(0)
    student.query_params["seed"] = "0"
    student.run()
    assert _seed(student) == (7, "7")
    teacher.button(key="degradation_start").click().run()  # the teacher trains: the class state moves
    student.run()
    assert_clean(student)
    assert _seed(student) == (7, "7")

    # No longer following: the student's own seed holds, through the next change of the class state.
    student.toggle(key="class_follow").set_value(False).run()
    student.number_input(key=SEED).set_value(3).run()
    assert _seed(student) == (3, "3")
    teacher.number_input(key=SEED).set_value(5).run()
    student.run()
    assert_clean(student)
    assert _seed(student) == (3, "3")
