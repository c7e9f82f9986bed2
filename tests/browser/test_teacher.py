"""The teacher's server in a real browser, started with a teacher key before class: its first
visitor sees the app's own navigation from the first paint; the key goes into a password field and
never into the address; a wrong key is refused; the right one unlocks the controls; a pause reaches
a student's browser as the teacher's message at the top of the page, and the student's click on "Start training" is
refused with it. The session-wide server, which has no key, shows no teacher controls at all.

Until a run calls ``st.navigation``, Streamlit serves a folder named ``pages/`` as its old menu:
every file by name ("app", "batchnorm", "gap fc", ...), and a fresh server does so until app.py
has run once. The run command runs it once as the server starts (scripts/warm_up.py, which the
test harness runs too), and app.py sets its navigation before torch loads, so that list never
reaches the screen. The keyed server is this file's own, so its first visitor is the first."""

import os
from urllib.parse import parse_qs, urlparse

import pytest

import harness
from apptest_helpers import wait_runs_ended

from resnet_core.store.runs import RunStore
from ui.page.i18n import table

KEY = "blue whale 42"
MESSAGE = "Eyes on the projector please"
STUDENT = "5e5e5e5e5e5e5e5e"
SIDEBAR = '[data-testid="stSidebar"]'   # where the teacher's box says what a key did

# Every text the sidebar menu shows, each time it changes, from the page's very first frame.
_RECORD_NAV = """
    window.__navLog = [];
    let last = null;
    const tick = () => {
        const nav = document.querySelector('[data-testid="stSidebarNav"]');
        const text = nav ? nav.innerText : null;
        if (text !== last) { window.__navLog.push(text); last = text; }
        requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
"""

# Entries only the file list has: the router itself and file names, never a page title.
RAW_FILE_ENTRIES = {"app", "batchnorm", "gap fc", "gap-fc", "gap_fc", "shortcuts", "evidence"}


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory, chromium):
    yield from harness.served(tmp_path_factory, "teacher", {"RESNET_EXPLORER_TEACHER_KEY": KEY})


# First in the file: the keyed server's first visitor.
def test_first_load_shows_the_app_navigation_not_the_file_list(keyed_server, new_page):
    page = new_page()
    page.add_init_script(_RECORD_NAV)
    page.goto(f"{keyed_server.url}/")
    harness.wait_for_app(page)
    harness.assert_no_error(page)

    shown = [text for text in page.evaluate("window.__navLog") if text]
    assert shown, "the sidebar never showed a navigation menu"
    for text in shown:
        entries = {line.strip() for line in text.splitlines() if line.strip()}
        raw = entries & RAW_FILE_ENTRIES
        assert not raw, f"the sidebar showed the raw file list ({sorted(raw)}): {text!r}"
    first = shown[0]
    assert "Home" in first and "Explore live" in first and "Concepts" in first, first


FOLLOWER = "f0110e0f0110e0f0"


def test_a_following_student_sees_the_pause_and_the_teachers_demo_without_a_click(keyed_server, new_page,
                                                                                 assert_no_error, wait_for_app,
                                                                                 wait_for_text):
    """The teacher pauses the class and demonstrates: the student's page, left alone after they
    switched on "follow the teacher", shows the pause at the top of the first screen, goes to the
    teacher's page with the teacher's settings, and shows the teacher's runs; the teacher's own
    "Train all four" goes in although the class is paused. The student speaks Korean, the teacher English."""
    student = new_page()
    student.set_viewport_size({"width": 1280, "height": 720})
    student.goto(f"{keyed_server.url}/gap-fc?lang=ko&u={FOLLOWER}")
    wait_for_app(student)
    student.locator('[data-testid="stSidebar"]').get_by_text("선생님 화면 따라가기").click()
    wait_for_app(student)

    teacher = harness.open_page(new_page(), keyed_server.url, "home", "en")
    teacher.locator('[data-testid="stSidebar"]').get_by_text("Teacher", exact=True).click()
    _unlock(teacher, KEY, wait_for_app)
    wait_for_text(teacher, "Teacher controls unlocked", SIDEBAR)
    if teacher.get_by_role("button", name="Let new runs in again").count():   # left paused before
        teacher.get_by_role("button", name="Let new runs in again").click()
        wait_for_app(teacher)
    wait_for_text(teacher, "Pause new runs")
    # From here on the student's page is never touched: what it shows comes from the teacher.
    wait_for_text(student, "잔차 네트워크는 왜 잘 작동할까", "h1", timeout_ms=20_000)   # the teacher's page (Home)

    teacher.get_by_label("Message to the class while paused").fill(MESSAGE)
    teacher.get_by_label("Message to the class while paused").press("Enter")
    wait_for_app(teacher)
    teacher.get_by_role("button", name="Pause new runs").click()
    wait_for_app(teacher)
    # About a second on a quiet server (ui/class_state.POLL_S); generous here for a loaded machine.
    wait_for_text(student, f"선생님이 새 학습을 잠시 멈춰 두었습니다: {MESSAGE}", '[data-testid="stMain"]',
                  timeout_ms=15_000)
    banner = student.locator('[data-testid="stMain"] [data-testid="stAlert"]', has_text=MESSAGE).first
    box = banner.bounding_box()
    assert box and box["y"] + box["height"] <= 720, f"the pause is not on the first screen: {box}"
    assert box["y"] < student.locator("h1").first.bounding_box()["y"], "the pause is not above the page's title"

    teacher.locator('[data-testid="stSidebarNav"] a[href$="/degradation"]').click()
    wait_for_app(teacher)
    teacher.get_by_label("Seed").fill("7")
    teacher.get_by_label("Seed").press("Enter")
    wait_for_app(teacher)
    teacher.get_by_role("button", name="Train all four").click()
    wait_for_app(teacher)
    assert "paused new runs" not in teacher.locator('[data-testid="stMain"]').inner_text()
    wait_for_text(teacher, "plain-20")

    try:
        # The student may first arrive with the page's seed 0 (the teacher's first view of the page)
        # and take seed 7 a tick later: wait for the teacher's latest settings, whichever came first.
        student.wait_for_url(lambda url: "/degradation?" in url and "seed=7" in url, timeout=30_000)
        assert "lang=ko" in student.url                                   # the student's own language
        assert f"u={FOLLOWER}" in student.url                              # still the student, not the teacher
        assert MESSAGE in student.locator('[data-testid="stMain"]').inner_text()
        assert_no_error(student)
        assert_no_error(teacher)
        # The teacher's runs, on the follower's page, still untouched: the switch to following
        # survives the page change (it used to be dropped there, and the page said "no experiment yet").
        wait_for_text(student, "시작한 사람: 선생님", '[data-testid="stMain"]', timeout_ms=60_000)
        teacher_ids = keyed_server_runs(keyed_server, seed=7)
        assert len(teacher_ids) == 4
        main = student.locator('[data-testid="stMain"]').inner_text()
        assert main.count("시작한 사람: 선생님") == 4, main      # all four of the teacher's runs, one row each
        assert "seed=7" in student.url, student.url    # kept through the teacher's training (issue 31)
        assert student.get_by_label("시드").input_value() == "7"      # on the page, not only in the address
        for empty in ("degradation.none", "degradation.none_mine"):     # neither "no experiment" line
            assert table()[empty]["ko"].split(".")[0] not in main
        assert student.locator('[data-testid="stSidebar"]').get_by_role("switch", name="선생님 화면 따라가기").is_checked()
        # Shown, so the teacher stops the demonstration with the page's Stop buttons, as a teacher
        # would; left alone, its four runs trained on this server through the rest of the file.
        _stop_own_runs(teacher, wait_for_app)
        store = RunStore(keyed_server.workdir / "runs.sqlite")
        try:
            wait_runs_ended(store, teacher_ids, 60, "the teacher's Stop buttons left a run going")
            assert {store.get_run(i).status for i in teacher_ids} <= {"cancelled", "finished"}
        finally:
            store.close()
    finally:
        resume = teacher.get_by_role("button", name="Let new runs in again")     # the class goes on unpaused
        _open_teacher_box(teacher, "en")
        resume.click()
        wait_for_app(teacher)
        wait_for_text(teacher, "New runs are accepted again.")


def keyed_server_runs(server, seed: int) -> list[int]:
    """The ids of the server's Degradation runs with this seed, read from its run store file."""
    store = RunStore(server.workdir / "runs.sqlite")
    try:
        return sorted(r.id for r in store.list_runs(group="degradation", limit=100) if r.train_cfg.seed == seed)
    finally:
        store.close()


def _stop_own_runs(page, wait_for_app) -> None:
    """Click the page's "Stop · <net>" buttons (one per run of this user's still going) until none is left."""
    buttons = page.locator('[data-testid="stMain"] button', has_text="Stop · ")
    for _ in range(4):
        if not buttons.count():
            return
        buttons.first.click()
        wait_for_app(page)
    assert not buttons.count(), buttons.all_inner_texts()


def _unlock(page, key: str, wait_for_app) -> None:
    """Type the key into the teacher's box (just opened) and press Unlock. The field must still
    hold the key when Unlock is pressed: an empty key unlocks nothing and says nothing, and a
    later wait for "unlocked" would only time out. So the page's runs end before the key goes in."""
    field = page.get_by_label("Teacher key")
    field.wait_for()
    wait_for_app(page)
    assert field.get_attribute("type") == "password"
    field.fill(key)
    # Leave the field first, as a user's Tab or click does: the form takes its value on blur, and
    # on a loaded machine a click's own blur could reach the server after the submit.
    field.press("Tab")
    assert field.input_value() == key, "the key field was emptied before Unlock was pressed"
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
    wait_for_text(teacher, "That is not the teacher key.", SIDEBAR)
    teacher.wait_for_timeout(2300)               # the first lock-out after a wrong key
    _unlock(teacher, KEY, wait_for_app)
    wait_for_text(teacher, "Teacher controls unlocked", SIDEBAR)
    wait_for_text(teacher, "Pause new runs")
    wait_for_text(teacher, "Saved checkpoints")                # what the checkpoint folder holds, and its bound
    wait_for_text(teacher, "MB of 2,048.0 MB")
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
    wait_for_text(student, MESSAGE, '[data-testid="stMain"]')       # at the top of the page
    assert "about" in student.inner_text("body") and "on this server" in student.inner_text("body")
    student.get_by_role("button", name="Start training").click()
    wait_for_app(student)
    wait_for_text(student, f"The teacher has paused new runs: {MESSAGE}", '[data-testid="stMain"]')
    assert_no_error(student)

    teacher.get_by_role("button", name="Let new runs in again").click()
    wait_for_app(teacher)
    wait_for_text(teacher, "New runs are accepted again.")
    assert_no_error(teacher, allow_error_alerts=0)


def test_predict_then_observe_with_a_class(keyed_server, new_page, assert_no_error, wait_for_app, wait_for_text):
    """Two students (English, Korean) wait on Predict; the teacher opens a question and it reaches
    them without a reload; they vote, one changes her mind; the teacher sees the tally (counts,
    no names), closes, runs it and reveals; only then do the students see the outcome, and the
    link to the page that shows it in depth opens that page."""
    ana = harness.open_page(new_page(), keyed_server.url, "predict", "en")
    bob = harness.open_page(new_page(), keyed_server.url, "predict", "ko")
    wait_for_text(bob, "예측하고 확인하기", "h1")
    teacher = harness.open_page(new_page(), keyed_server.url, "predict", "en")
    teacher.locator('[data-testid="stSidebar"]').get_by_text("Teacher", exact=True).click()
    _unlock(teacher, KEY, wait_for_app)
    wait_for_text(teacher, "Class round (teacher)")
    teacher.locator('[data-testid="stMain"]').get_by_label("Question").click()
    teacher.get_by_role("option", name="Cost: ResNet-152 or VGG-19").click()   # the topic; the question below
    wait_for_app(teacher)
    wait_for_text(teacher, "ResNet-152 against VGG-19, one 224×224 image: which costs more multiply-adds?")
    teacher.get_by_role("button", name="Open for voting").click()
    wait_for_app(teacher)

    # No reload: each student's page finds the opened question by itself.
    wait_for_text(ana, "Your teacher has opened this question", timeout_ms=15_000)
    wait_for_text(bob, "선생님이 이 질문을 반 전체에 열었습니다", timeout_ms=15_000)
    ana.get_by_role("button", name="ResNet-152").click()
    wait_for_text(ana, "Your prediction: ResNet-152")
    ana.get_by_role("button", name="VGG-19").click()          # changed her mind: still one vote
    wait_for_text(ana, "Your prediction: VGG-19")
    bob.get_by_role("button", name="ResNet-152").click()
    wait_for_text(bob, "내 예측: ResNet-152")
    wait_for_text(teacher, "Votes: 2")
    ids = [parse_qs(urlparse(p.url).query)["u"][0] for p in (ana, bob)]
    assert not any(uid in teacher.inner_text("body") for uid in ids)   # counts, never who

    teacher.get_by_role("button", name="Close voting").click()
    wait_for_app(teacher)
    wait_for_text(ana, "Voting has closed")
    wait_for_text(bob, "투표가 마감되었습니다")
    teacher.get_by_role("button", name="Run it").click()
    wait_for_text(teacher, "What the measurement says")
    assert "What the measurement says" not in ana.inner_text("body")   # not before the reveal
    teacher.get_by_role("button", name="Reveal to the class").click()
    wait_for_app(teacher)
    wait_for_text(ana, "1 of 2 predicted right")
    wait_for_text(ana, "You predicted right.")
    wait_for_text(bob, "2명 중 1명이 맞혔습니다")
    assert "19.6" in bob.inner_text("body")
    for page in (ana, bob, teacher):
        assert_no_error(page)
    bob.get_by_role("link", name="자세히 보기: 병목 블록과 FLOPs").click()
    wait_for_app(bob)
    wait_for_text(bob, "병목 블록과 FLOPs", "h1")
    teacher.get_by_role("button", name="End the round").click()
    wait_for_app(teacher)


# --- the projector view (issue 31): 1280x720, large type, nothing cut short ---------------------

PROJECTOR = {"width": 1280, "height": 720}
PROJECTOR_TEXT_PX = 14


def _projector_problems(page) -> list[str]:
    from layout_checks import problems

    found = problems(page, PROJECTOR_TEXT_PX, labels=True, korean_words=True)
    first = page.evaluate("""() => { const el = document.querySelector(
        '[data-testid="stMain"] :is(svg[role="img"], table, [data-testid="stPlotlyChart"], [data-testid="stMetric"])');
        return el ? el.getBoundingClientRect().top : null; }""")
    if first is None or first > PROJECTOR["height"] - 120:
        found.append(f"the first result starts at {first} px, not on the first screen")
    return found


def _open_teacher_box(page, lang: str) -> None:
    """Open the teacher's box in the sidebar if it is closed (a closed expander's body is inert).
    Never a click on an open box: on a loaded machine its controls may not have drawn yet, and
    the click would close it."""
    label = {"en": "Teacher", "ko": "선생님"}[lang]
    body = page.locator('[data-testid="stSidebar"] [data-testid="stExpander"]') \
        .filter(has=page.get_by_text(label, exact=True)).locator('[data-testid="stExpanderDetails"]')
    if body.get_attribute("inert") is not None:
        page.locator('[data-testid="stSidebar"]').get_by_text(label, exact=True).click()


def _set_projector(page, on: bool, lang: str, wait_for_app) -> None:
    name = {"en": "Projector view", "ko": "프로젝터 보기"}[lang]
    if on:
        _open_teacher_box(page, lang)
        page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"] label').filter(has_text=name).click()
    else:
        page.get_by_role("button", name={"en": "Leave projector view", "ko": "프로젝터 보기 끝내기"}[lang]).click()
    wait_for_app(page)


def test_the_projector_view_at_1280x720_cuts_no_label_in_either_language(
        keyed_server, new_page, assert_no_error, wait_for_app):
    """The teacher switches the projector view on: the sidebar folds, the page's settings fold
    away, the first result is on the first screen, and no button, metric or tab label is cut
    short, with figure text at 14 px or more; in both languages, on the pages whose labels were
    cut (Shortcuts' buttons, Bottleneck's metrics). One page load: the language and the page
    change by the sidebar, as the teacher changes them."""
    page = new_page()
    page.set_viewport_size(PROJECTOR)
    harness.open_page(page, keyed_server.url, "shortcuts", "en")
    page.locator('[data-testid="stSidebar"]').get_by_text("Teacher", exact=True).click()
    _unlock(page, KEY, wait_for_app)
    found = []
    for path, lang in (("shortcuts", "en"), ("shortcuts", "ko"), ("bottleneck", "ko"), ("bottleneck", "en")):
        title = table()[f"page.{path}.title"][lang]
        if page.locator("h1").first.inner_text() != title:
            sidebar = page.locator('[data-testid="stSidebar"]')
            if sidebar.locator(f'[data-testid="stSidebarNavLink"][href$="/{path}"]').is_visible() and \
                    path not in page.url:
                sidebar.locator(f'[data-testid="stSidebarNavLink"][href$="/{path}"]').click()
                wait_for_app(page)
            else:
                harness.switch_language(page, lang, title)
        _set_projector(page, True, lang, wait_for_app)
        sidebar_box = page.locator('[data-testid="stSidebar"]').bounding_box()
        assert sidebar_box is None or sidebar_box["x"] + sidebar_box["width"] <= 1, "the sidebar is not folded"
        settings = page.locator('[data-testid="stMain"] :is([data-testid="stSelectbox"], [data-testid="stSlider"])')
        assert all(not s.is_visible() for s in settings.all()), "a setting still shows"
        found += [f"{path} ({lang}): {p}" for p in _projector_problems(page)]
        assert_no_error(page)
        _set_projector(page, False, lang, wait_for_app)
    assert not found, "\n".join(found)

