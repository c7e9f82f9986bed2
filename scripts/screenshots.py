"""Screenshots of every page in the navigation, in both languages: screenshots/<page>-<lang>.png.

    .venv/bin/python scripts/screenshots.py            # all pages, full length
    .venv/bin/python scripts/screenshots.py --docs     # also docs/screenshot-home-en.png (small)
    .venv/bin/python scripts/screenshots.py --phone    # only docs/phone-*.png: three pages at 390 px

Starts the app exactly as the browser tests do (tests/browser/harness.py), in the same Chromium
(its headless shell where installed, else /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "browser"))

import harness  # noqa: E402

LANGS = ("en", "ko")
MAX_HEIGHT = 8000   # pixels; a very long page is cut here rather than making a huge file


def nav_pages(page, base: str) -> list[str]:
    """The url_paths listed in the sidebar navigation, Home ("home") first."""
    harness.open_page(page, base, "home", "en")
    hrefs = page.eval_on_selector_all('[data-testid="stSidebarNav"] a', "links => links.map(a => a.href)")
    paths = [href.split("?")[0].rstrip("/").rsplit("/", 1)[-1] for href in hrefs]
    paths = ["home" if (p == "" or base.endswith(p)) else p for p in paths]
    return list(dict.fromkeys(paths)) or ["home"]


def full_page(page, path: Path) -> None:
    """Streamlit scrolls inside its main block, so grow the window to the content's height first."""
    height = page.evaluate(
        """() => document.querySelector('[data-testid="stMain"]').scrollHeight""")
    page.set_viewport_size({"width": harness.VIEWPORT["width"], "height": min(max(height, 600), MAX_HEIGHT)})
    page.wait_for_timeout(800)   # charts re-lay out to the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(harness.VIEWPORT)


def docs_shot(page, base: str, path: Path) -> None:
    """Home in English at a modest size, reduced to a palette so it stays small in git."""
    from PIL import Image

    page.set_viewport_size({"width": 1280, "height": 860})
    harness.open_page(page, base, "home", "en")
    harness.wait_for_charts(page)
    page.wait_for_timeout(500)
    page.screenshot(path=str(path))
    with Image.open(path) as image:
        small = image.convert("RGB").resize((1024, 688), Image.LANCZOS).quantize(colors=128)
    small.save(path, optimize=True)
    page.set_viewport_size(harness.VIEWPORT)


# Three pages as a student's phone shows them (issue 29): 390x844 at device scale 2, touch, in
# Korean; each scrolled to the figure it is about. (page, element to scroll to, file)
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
PHONE_SHOTS = (("home", '.rx-narrow svg[role="img"]', "phone-home-ko.png"),
               ("shortcuts", '.rx-narrow svg[role="img"]', "phone-shortcuts-ko.png"),
               ("bottleneck", '.rx-narrow svg[role="img"]', "phone-bottleneck-ko.png"))


def phone_shots(browser, base: str) -> None:
    """docs/phone-*.png, each reduced to a palette so it stays small in git."""
    from PIL import Image

    page = browser.new_context(**PHONE).new_page()
    for url_path, anchor, name in PHONE_SHOTS:
        harness.open_page(page, base, url_path, "ko")
        harness.wait_for_charts(page)
        harness.assert_no_error(page)
        page.locator(anchor).first.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        target = ROOT / "docs" / name
        page.screenshot(path=str(target))
        with Image.open(target) as image:
            small = image.convert("RGB").quantize(colors=64)   # the phone's own pixels, sharp
        small.save(target, optimize=True)
        print(target.relative_to(ROOT))
    page.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots", help="folder (default screenshots/)")
    parser.add_argument("--docs", action="store_true", help="also write docs/screenshot-home-en.png")
    parser.add_argument("--phone", action="store_true", help="only docs/phone-*.png (three pages at 390 px)")
    args = parser.parse_args()
    if not Path(harness.CHROMIUM).exists():
        print(f"{harness.CHROMIUM} not found: apt-get install -y chromium fonts-noto-cjk", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="explorer-shots-"))   # the server's store, removed at the end
    server = harness.start_app(workdir)
    try:
        with sync_playwright() as playwright:
            browser = harness.launch_browser(playwright)
            if args.phone:
                phone_shots(browser, server.url)
                browser.close()
                return 0
            page = browser.new_context(viewport=harness.VIEWPORT).new_page()
            for url_path in nav_pages(page, server.url):
                for lang in LANGS:
                    harness.open_page(page, server.url, url_path, lang)
                    harness.wait_for_charts(page)
                    harness.assert_no_error(page)
                    target = args.out / f"{url_path}-{lang}.png"
                    full_page(page, target)
                    print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)
            if args.docs:
                target = ROOT / "docs" / "screenshot-home-en.png"
                target.parent.mkdir(exist_ok=True)
                docs_shot(page, server.url, target)
                print(target.relative_to(ROOT))
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
