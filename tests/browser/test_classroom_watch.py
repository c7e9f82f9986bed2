"""A class watching one experiment: the teacher starts Degradation's four runs, and three other
browsers (two on the teacher's link to Degradation, one on Build & Train with the class's runs
shown) keep receiving updates while the runs train, without an error; only the owner sees Stop."""

import time

from playwright.sync_api import TimeoutError as PlaywrightTimeout

OWNER = "c1a55c1a55c1a55c"

# Every run's progress on the page (ui.progress.progress_rows): label -> percent done.
PROGRESS_JS = """() => Object.fromEntries([...document.querySelectorAll('.rx-run')].map(
    el => [el.getAttribute('aria-label'), parseFloat(el.getAttribute('aria-valuenow'))]))"""


# The Stop buttons on a page (the owner's, one per queued or running run).
STOPS_JS = """[...document.querySelectorAll('[data-testid="stMain"] button')]
    .filter(b => b.innerText.includes('Stop')).length"""


def _progress(page) -> dict:
    return page.evaluate(PROGRESS_JS)


def _total(page) -> float:
    return sum(_progress(page).values())


def test_three_browsers_watch_one_experiment(app_server, new_page, assert_no_error, wait_for_app):
    teacher = new_page()
    # The longest setting: the runs must still train while three more browsers open.
    teacher.goto(f"{app_server.url}/degradation?lang=en&u={OWNER}&steps=1200")
    wait_for_app(teacher)
    teacher.get_by_role("button", name="Train all four").click()
    teacher.wait_for_function("() => document.querySelectorAll('.rx-run').length === 4", timeout=120_000)

    watchers = []
    for url_path in ("degradation", "degradation", "build"):
        page = new_page()
        page.goto(f"{app_server.url}/{url_path}?lang=en&u={OWNER}")
        # A page that shows training runs changes every tick and is never quiet: wait for what
        # each page must show, not for wait_for_app's stillness.
        if url_path == "build":
            wait_for_app(page)   # nothing of its own trains, so this page does settle
            page.get_by_text("Show the whole class's runs").click()
        watchers.append(page)

    # Each watcher's page moves on by itself (fragment reruns), several times, while runs train.
    for page in watchers:
        page.wait_for_function("() => document.querySelectorAll('.rx-run').length >= 1", timeout=120_000)
    seen = [[_total(p)] for p in watchers]
    deadline = time.monotonic() + 240
    while any(len(set(s)) < 3 for s in seen) and time.monotonic() < deadline:
        time.sleep(1.0)
        for page, history in zip(watchers, seen):
            history.append(_total(page))
    assert all(len(set(s)) >= 3 for s in seen), f"a watcher stopped getting updates: {seen}"
    assert all(s == sorted(s) for s in seen), "progress went backwards"
    # While the nets train, Degradation's curves are SVG (cheap for a watching browser to redraw).
    for page in watchers[:2]:
        assert page.locator('[data-testid="stMain"] svg[role="img"]').count() == 2
        assert page.locator('[data-testid="stPlotlyChart"]').count() == 0

    # The viewers on the owner's link may stop the runs (it is the owner's link); the class view
    # on Build shows other people's runs, so no Stop there for runs of another owner.
    for page in [teacher] + watchers:
        assert_no_error(page)
    for page in watchers:   # their sessions end: the server redraws only the teacher's page now
        page.close()

    # Stop the experiment so later tests get the workers back. A Stop button counted here may be
    # gone by the click (its run ended and the page redrew), so a missed click is tried again.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        stops = teacher.locator('[data-testid="stMain"]').get_by_role("button", name="Stop")
        left = stops.count()
        if not left:
            break
        try:
            stops.first.click(timeout=10_000)
            # The page redraws without that button (a rerun follows each stop).
            teacher.wait_for_function(f"() => {STOPS_JS} < {left}", timeout=10_000)
        except PlaywrightTimeout:
            pass
    teacher.wait_for_function(
        "() => [...document.querySelectorAll('.rx-run')].every(el => !/training|waiting/.test(el.innerText))",
        timeout=120_000)
    assert_no_error(teacher)


def test_another_owners_runs_show_no_stop(app_server, new_page, wait_for_app):
    owner = new_page()
    owner.goto(f"{app_server.url}/build?lang=en&u=0a0a0a0a0a0a0a0a")
    wait_for_app(owner)
    box = owner.get_by_label("Training steps", exact=True)
    box.fill("3000")
    box.press("Enter")
    wait_for_app(owner)
    owner.get_by_role("button", name="Start training").click()
    owner.wait_for_function("() => document.querySelectorAll('.rx-run').length === 1", timeout=120_000)
    # In the page itself: while a slow rerun runs, Streamlit's own status widget shows a "Stop" too.
    stops = owner.locator('[data-testid="stMain"]').get_by_role("button", name="Stop")
    stops.first.wait_for(timeout=60_000)
    assert stops.count() == 1

    other = new_page()
    other.goto(f"{app_server.url}/build?lang=en&u=0b0b0b0b0b0b0b0b")
    wait_for_app(other)
    other.get_by_text("Show the whole class's runs").click()
    other.wait_for_function("() => document.querySelectorAll('.rx-run').length >= 1", timeout=60_000)
    assert other.locator('[data-testid="stMain"]').get_by_role("button", name="Stop").count() == 0

    stops.first.click()
    owner.wait_for_function("() => document.body.innerText.includes('stopped')", timeout=60_000)
