"""The teacher's controls in a real browser, on a server started with a teacher key: the key goes
into a password field and never into the address; a wrong key is refused; the right one unlocks
the controls; a pause reaches a student's browser as the teacher's message, and the student's
click on "Start training" is refused with it. The session-wide server, which has no key, shows
no teacher controls at all."""

import os

import pytest

import harness

KEY = "blue whale 42"
MESSAGE = "Eyes on the projector please"
STUDENT = "5e5e5e5e5e5e5e5e"


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory, chromium):
    before = os.environ.get("RESNET_EXPLORER_TEACHER_KEY")
    os.environ["RESNET_EXPLORER_TEACHER_KEY"] = KEY
    try:
        server = harness.start_app(tmp_path_factory.mktemp("teacher"))
    finally:
        if before is None:
            os.environ.pop("RESNET_EXPLORER_TEACHER_KEY", None)
        else:
            os.environ["RESNET_EXPLORER_TEACHER_KEY"] = before
    yield server
    server.stop()


def _unlock(page, key: str, wait_for_app) -> None:
    field = page.get_by_label("Teacher key")
    assert field.get_attribute("type") == "password"
    field.fill(key)
    # Leave the field first, as a user's Tab or click does: the form takes its value on blur, and
    # on a loaded machine a click's own blur could reach the server after the submit.
    field.press("Tab")
    page.get_by_role("button", name="Unlock").click()
    wait_for_app(page)


def test_no_key_no_controls(app_server, page, open_page, assert_no_error):
    if os.environ.get("RESNET_EXPLORER_TEACHER_KEY"):
        pytest.skip("this shell sets a teacher key for every server")
    open_page(page, "home")
    assert_no_error(page)
    assert page.get_by_label("Teacher key").count() == 0
    assert "Teacher" not in page.locator('[data-testid="stSidebar"]').inner_text()


def test_the_teacher_pauses_the_class(keyed_server, new_page, assert_no_error, wait_for_app, wait_for_text):
    teacher = harness.open_page(new_page(), keyed_server.url, "home", "en")
    teacher.locator('[data-testid="stSidebar"]').get_by_text("Teacher", exact=True).click()
    _unlock(teacher, "not it", wait_for_app)
    wait_for_text(teacher, "That is not the teacher key.")
    teacher.wait_for_timeout(2300)               # the first lock-out after a wrong key
    _unlock(teacher, KEY, wait_for_app)
    wait_for_text(teacher, "Teacher controls unlocked")
    wait_for_text(teacher, "Pause new runs")
    assert KEY not in teacher.url and "blue" not in teacher.url
    assert KEY not in keyed_server.log_tail(100_000)

    teacher.get_by_label("Message to the class while paused").fill(MESSAGE)
    teacher.get_by_label("Message to the class while paused").press("Enter")
    wait_for_app(teacher)
    teacher.get_by_role("button", name="Pause new runs").click()
    wait_for_app(teacher)
    wait_for_text(teacher, "New runs are paused")

    student = new_page()
    student.goto(f"{keyed_server.url}/build?lang=en&u={STUDENT}")
    wait_for_app(student)
    wait_for_text(student, MESSAGE, '[data-testid="stSidebar"]')
    assert "about" in student.inner_text("body") and "on this server" in student.inner_text("body")
    student.get_by_role("button", name="Start training").click()
    wait_for_app(student)
    wait_for_text(student, f"The teacher has paused new runs: {MESSAGE}", '[data-testid="stMain"]')
    assert_no_error(student)

    teacher.get_by_role("button", name="Let new runs in again").click()
    wait_for_app(teacher)
    wait_for_text(teacher, "New runs are accepted again.")
    assert_no_error(teacher, allow_error_alerts=0)
