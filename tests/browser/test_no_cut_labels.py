"""No label cut short on the pages with the most settings, buttons and metrics side by side:
at a teacher's laptop width (1280 px, the sidebar open) and a phone's (390 px), in both
languages. A cut label is any text the browser ends with "…" (a button's, switch's, link's,
metric's), a select's or field's value clipped in its box, or a segment row wider than its
column (tests/browser/layout_checks.py measures them from the DOM); the page must not scroll
sideways either, and no Korean word may be broken between two syllables. Each page is loaded
once: the width changes with the window, the language with the sidebar's toggle, as a reader
changes them.

Gradient flow cut four labels in Korean at 1280 px (a preset button, the "0 (nothing arrives)"
metric, the BN switch, the "He (Kaiming)" select); Build & Train cut its family, head and
schedule choices and its MACs metric; Shortcuts its start button.
"""

from layout_checks import problems

from ui.page.i18n import table

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PAGES = ("gradients", "build", "shortcuts")


def _cut(page, where: str) -> list[str]:
    page.wait_for_timeout(300)   # the columns re-lay out to the new width
    # Figure text sizes have their own tests (test_phone.py, test_teacher.py): 0 leaves them out.
    return [f"{where}: {p}" for p in problems(page, 0, labels=True, korean_words=True)]


def test_no_widget_label_or_metric_is_cut_at_1280_or_390_px_in_either_language(page, open_page, switch_language,
                                                                                assert_no_error):
    found = []
    for path in PAGES:
        page.set_viewport_size(LAPTOP)
        open_page(page, path, "en")
        for lang in ("en", "ko"):
            if lang == "ko":
                page.set_viewport_size(LAPTOP)
                switch_language(page, "ko", table()[f"page.{path}.title"]["ko"])
            assert_no_error(page)
            found += _cut(page, f"{path} ({lang}, 1280 px)")
            page.set_viewport_size(PHONE)
            found += _cut(page, f"{path} ({lang}, 390 px)")
    assert not found, "\n".join(found)
    # The check itself sees a cut: the last page's first button, squeezed to 40 px with an ellipsis.
    squeezed = page.evaluate("""() => {
        const text = document.querySelector('[data-testid="stMain"] [data-testid="stButton"] [data-testid="stMarkdownContainer"]');
        for (const el of [text, ...text.querySelectorAll('*')])
            for (const [name, value] of [['white-space', 'nowrap'], ['overflow', 'hidden'], ['text-overflow', 'ellipsis'],
                                         ['display', 'block'], ['width', '40px']])
                el.style.setProperty(name, value, 'important');
        return text.textContent.trim(); }""")
    assert any(p.startswith(f'label "{squeezed[:20]}') for p in problems(page, 0, labels=True)), squeezed
    # And a Korean paragraph set as the browser sets Korean by default, between any two syllables.
    split = page.evaluate("""() => {
        const p = [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stMarkdownContainer"] p')]
            .find(p => /[\uac00-\ud7a3]{4}/.test(p.textContent));
        p.style.setProperty('word-break', 'normal', 'important');
        p.style.setProperty('width', '7.3em', 'important');
        return p.textContent.trim(); }""")
    assert any(p.startswith("Korean word") for p in problems(page, 0, korean_words=True)), split

