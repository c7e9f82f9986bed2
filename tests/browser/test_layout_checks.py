"""The layout checks (layout_checks.py) see what they look for. The walks that use them find
nothing on the app's pages (test_share_links.py at 1280 px, test_phone.py at 390 px,
test_teacher.py's projector view), so here each check is shown a case it must report: a button
label cut with an ellipsis, and a Korean paragraph set as the browser sets Korean by default,
between any two syllables. The page is Streamlit's markup for a button and a paragraph, styled by
the app's own assets/layout.css, in a blank tab: no server is needed."""

import re
from pathlib import Path

from layout_checks import problems

from ui.page.i18n import table

CSS = Path(__file__).resolve().parents[2] / "assets" / "layout.css"
BUTTON = "Train all four nets, one after another"
# Home's lead in Korean (without its source marks): long enough to wrap many times in a narrow box.
KOREAN = re.sub(r"\(\{src:[^}]*\}\)", "", table()["home.lead"]["ko"])

MARKUP = f"""<!doctype html><html lang="ko"><head><meta charset="utf-8"><style>{{css}}</style></head>
<body style="font: 16px 'Noto Sans CJK KR', sans-serif; margin: 0">
<div data-testid="stMain" style="width: 600px">
  <div data-testid="stButton"><button data-testid="stBaseButton-secondary">
    <div data-testid="stMarkdownContainer"><p id="label">{BUTTON}</p></div></button></div>
  <div data-testid="stMarkdownContainer" style="width: 7.3em"><p id="lead">{KOREAN}</p></div>
</div></body></html>"""


def test_each_check_reports_what_it_looks_for(page):
    page.set_content(MARKUP.replace("{css}", CSS.read_text()))
    assert problems(page, 0, labels=True, korean_words=True) == []   # as the app sets them: nothing

    # The label, squeezed to 40 px with an ellipsis (the app's CSS lets it wrap instead).
    page.evaluate("""() => { for (const el of [document.getElementById('label').parentElement,
                                                  document.getElementById('label')])
        for (const [name, value] of [['white-space', 'nowrap'], ['overflow', 'hidden'],
                                     ['text-overflow', 'ellipsis'], ['display', 'block'], ['width', '40px']])
            el.style.setProperty(name, value, 'important'); }""")
    found = problems(page, 0, labels=True)
    assert any(p.startswith(f'label "{BUTTON[:20]}') for p in found), found

    # The paragraph as the browser sets Korean without the app's rule: broken between syllables.
    assert not any(p.startswith("Korean word") for p in problems(page, 0, korean_words=True))
    page.evaluate("() => document.getElementById('lead').style.setProperty('word-break', 'normal', 'important')")
    found = problems(page, 0, korean_words=True)
    assert any(p.startswith("Korean word") for p in found), found
