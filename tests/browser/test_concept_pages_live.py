"""Feature maps, Attribution and Augmentation in a real browser: both languages without an error
(check_page, on the walk of every page in tests/browser/test_share_links.py), uploads that must
be refused (too large, not an image, truncated, a pixel bomb) get a clear message while the
server keeps serving everyone else, and a twin setting that does not ship is trained through the
queue and drawn when its runs finish."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

import harness

# The default twin ships trained (assets/checkpoints), so no page run trains; this only leaves
# room for two busy CPU cores.
FIRST_RUN_MS = 90_000
QUEUED_TWIN_MS = 300_000   # two small nets trained by the server's workers, on busy cores
TITLES = {
    ("features", "en"): "Feature maps", ("features", "ko"): "특징 맵",
    ("attribution", "en"): "Attribution", ("attribution", "ko"): "입력 기여도",
    ("augmentation", "en"): "Augmentation", ("augmentation", "ko"): "데이터 증강",
}


def open_slow(page, app_server, url_path: str, lang: str):
    page.goto(harness.page_url(app_server.url, url_path, lang))
    harness.wait_for_app(page, FIRST_RUN_MS)
    harness.wait_for_charts(page, FIRST_RUN_MS)


def title(page) -> str:
    return page.locator("h1").first.inner_text()


def pictures_shown(page) -> list[tuple[int, float, str]]:
    """Each inline PNG picture: its own width in pixels, its width on the page, its rendering."""
    return page.evaluate("""() => [...document.querySelectorAll('.rx-pictures img')].map(i =>
        [i.naturalWidth, i.getBoundingClientRect().width, getComputedStyle(i).imageRendering])""")


def check_page(page, url_path: str, lang: str) -> None:
    """The page in `lang`, as the walk of every page in both languages finds it
    (tests/browser/test_share_links.py, which calls this after its own check for errors)."""
    assert title(page) == TITLES[url_path, lang]
    # The pictures are PNG (ui/draw/pictures.py), the statistics and component charts SVG: no plotly.
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 0
    charts = page.locator('[data-testid="stMain"] svg[role="img"]:not(.rx-colour-bar)')
    assert charts.count() == {"features": 1, "attribution": 0, "augmentation": 1}[url_path]
    shown = pictures_shown(page)
    assert len(shown) == {"features": 2 + 2 * 16, "attribution": 2 * 5, "augmentation": 9 + 1}[url_path]
    for natural, width, rendering in shown:      # decoded, and enlarged with sharp pixels
        assert natural > 0 and width >= 3 * natural and rendering == "pixelated", (natural, width, rendering)
    # The nets' names beside the rows read bottom to top, Hangul turned with them, not upright.
    turned = page.evaluate("""() => [...document.querySelectorAll('.rx-pictures div')]
        .filter(d => getComputedStyle(d).writingMode === 'vertical-rl').map(d => getComputedStyle(d).textOrientation)""")
    assert turned == (["sideways"] * 2 if url_path == "attribution" else []), turned
    assert page.locator(".rx-colour-bar").count() == {"features": 2, "attribution": 1, "augmentation": 0}[url_path]
    body = page.inner_text("body")
    if lang == "ko":
        assert "What to look for" not in body and "눈여겨볼 점" in body
    else:
        assert "What to look for" in body


# --- uploads ---------------------------------------------------------------------------------

def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def noise(side: int, seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8), "RGB")


GOOD = png_bytes(noise(64))
# A real photograph-sized PNG of noise: about 6 MB, over the 5 MB limit but under the server's 10 MB.
OVERSIZED = png_bytes(noise(1420, seed=1))
REFUSED = [
    ("oversized", "big.png", OVERSIZED, "The file is too large", "파일이 너무 큽니다"),
    ("pixel-bomb", "bomb.png", png_declaring(30_000, 30_000), "too many pixels", "픽셀 수가 너무 많습니다"),
    ("not-an-image", "notes.png", b"Homework notes, definitely not a picture.\n" * 50,
     "This file is not an image", "이미지가 아닙니다"),
    ("truncated", "cut.png", GOOD[: len(GOOD) // 2], "incomplete or damaged", "손상되어"),
]


WARNING = '[data-testid="stAlertContentWarning"]'


def choose_file(page, name: str, data: bytes, expect: str | None) -> None:
    """Upload a file, then wait for the run it starts: until the expected warning shows, or
    (expect None) until no warning is left."""
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": name, "mimeType": "image/png", "buffer": data}])
    if expect is None:
        page.locator(WARNING).first.wait_for(state="detached", timeout=FIRST_RUN_MS)
    else:
        page.locator(WARNING, has_text=expect).wait_for(timeout=FIRST_RUN_MS)
    harness.wait_for_app(page, FIRST_RUN_MS)


def warnings(page) -> list[str]:
    return page.locator(WARNING).all_inner_texts()


# Each refusal once in a real browser, the two pages and languages sharing them out
# (tests/test_app_features.py gives every refusal on both pages in both languages).
@pytest.mark.parametrize("url_path, lang, cases", [("features", "en", ("oversized", "truncated")),
                                                   ("attribution", "ko", ("pixel-bomb", "not-an-image"))])
def test_refused_uploads_get_a_clear_message_and_the_server_keeps_serving(
        page, new_page, app_server, assert_no_error, url_path, lang, cases):
    assert len(OVERSIZED) > 5_000_000
    open_slow(page, app_server, url_path, lang)
    page.get_by_role("radio", name={"en": "Upload my own", "ko": "직접 올리기"}[lang]).click()
    harness.wait_for_app(page)
    for case, name, data, en, ko in [r for r in REFUSED if r[0] in cases]:
        expected = en if lang == "en" else ko
        choose_file(page, name, data, expected)
        assert_no_error(page)
        shown = warnings(page)
        assert len(shown) == 1 and expected in shown[0], (case, shown)

    # Someone else, in another browser, is served as usual meanwhile.
    other = new_page()
    harness.open_page(other, app_server.url, "augmentation", "en")
    harness.wait_for_charts(other)
    assert_no_error(other)
    assert title(other) == "Augmentation"

    # And this user can go on with a good picture.
    choose_file(page, "photo.png", GOOD, None)
    harness.wait_for_charts(page)
    assert_no_error(page)
    assert not warnings(page)
    assert len(pictures_shown(page)) == {"features": 2 + 2 * 16, "attribution": 2 * 5}[url_path]


def test_a_setting_that_does_not_ship_trains_in_the_queue_then_draws(page, app_server, assert_no_error):
    # depth, width and steps ride in the address (ui/page/links.py): a small twin, quick to train.
    page.goto(f"{app_server.url}/features?lang=en&depth=8&width=8&steps=20")
    harness.wait_for_app(page, FIRST_RUN_MS)
    assert_no_error(page)
    assert "No trained pair for this setting yet" in page.inner_text("body")
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 0
    page.get_by_role("button", name="Train this pair").click()
    page.get_by_text("Training plain-8 and ResNet-8").wait_for(timeout=FIRST_RUN_MS)
    # A progress bar per net still training, drawn by the live part under the message.
    page.wait_for_function("() => document.querySelectorAll('.rx-run').length >= 1", timeout=FIRST_RUN_MS,
                           polling=harness.POLL_MS)
    # When both runs end the page reruns itself and draws the pair (no click, no reload).
    page.get_by_role("heading", name="ResNet-8", exact=True).wait_for(timeout=QUEUED_TWIN_MS)
    harness.wait_for_app(page, FIRST_RUN_MS)
    harness.wait_for_charts(page, FIRST_RUN_MS)
    assert_no_error(page)
    body = page.inner_text("body")
    assert "Trained in the training queue" in body and "plain-8" in body
    assert len(pictures_shown(page)) == 2 + 2 * 16       # both inputs and both channel grids
