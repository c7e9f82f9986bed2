"""What a reader at a given screen size cannot read, measured from the DOM in one evaluate call.

Used by the every-page walk (test_share_links.py, 1280 px), the phone test (issue 29) and the
projector test (issue 31): each opens a page at its viewport and asks `problems(page, min_svg_px)`
for a list of sentences, empty when the page reads well; test_layout_checks.py shows each check a
case it must report. Each check is what a reader meets:

- sideways overflow: the page is wider than the screen (a reader has to pan the whole page);
- SVG text smaller than `min_svg_px`: a <text>'s font size times the SVG's scale on screen (its
  drawn width over its viewBox width), for text that is displayed;
- a clipped table cell: a cell whose content is wider than the cell, unless the table sits in a
  box that scrolls sideways;
- a button under `touch_px` high (on a phone: 44 px, a finger's tap);
- a cut label (`labels=True`): any text the browser cuts with an ellipsis (a button's, switch's,
  metric's, tab's label: its scrollWidth larger than its visible width), a select's or field's
  value clipped in its box, or a label clamped to fewer lines than it has;
- a Korean word broken between two of its syllables (`korean_words=True`): Korean is set with
  line breaks between words, and a word that fits on a line must not be split across two (the
  browser's default for Korean breaks between any two syllables: "확인하/기"). A word wider than
  its line may break; text in SVG figures is placed, not wrapped, and is left out.
"""

from __future__ import annotations

PROBLEMS_JS = """([minSvgPx, labels, touchPx, koreanWords]) => {
    const out = [];
    const shown = el => { const r = el.getBoundingClientRect();
                          return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
    const doc = document.documentElement;
    const main = document.querySelector('[data-testid="stMain"]');
    for (const [name, el] of [['page', doc], ['main area', main]]) {
        if (el && el.scrollWidth > el.clientWidth + 1)
            out.push(`${name} overflows sideways: ${el.scrollWidth} px in ${el.clientWidth} px`);
    }
    for (const svg of document.querySelectorAll('[data-testid="stMain"] svg[viewBox]')) {
        if (!shown(svg) || svg.closest('[data-testid="stPlotlyChart"]')) continue;
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        let smallest = Infinity, which = '';
        for (const t of svg.querySelectorAll('text, tspan')) {
            if (!t.textContent.trim()) continue;
            const px = parseFloat(getComputedStyle(t).fontSize) * scale;
            if (px < smallest) { smallest = px; which = t.textContent.trim().slice(0, 40); }
        }
        if (smallest < minSvgPx - 0.05)
            out.push(`SVG "${svg.getAttribute('aria-label')}": text "${which}" at ${smallest.toFixed(1)} px`);
    }
    for (const plot of document.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg')) {
        for (const t of plot.querySelectorAll('text')) {
            if (!t.textContent.trim() || !shown(t)) continue;
            const px = parseFloat(getComputedStyle(t).fontSize);
            if (px < minSvgPx - 0.05) { out.push(`chart text "${t.textContent.trim().slice(0, 40)}" at ${px} px`); break; }
        }
    }
    const scrolls = el => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const o = getComputedStyle(p).overflowX;
        if ((o === 'auto' || o === 'scroll') && p.scrollWidth >= p.clientWidth) return true; }
        return false; };
    for (const cell of document.querySelectorAll('[data-testid="stMain"] td, [data-testid="stMain"] th')) {
        if (!shown(cell) || cell.scrollWidth <= cell.clientWidth + 1) continue;
        if (!scrolls(cell)) out.push(`table cell "${cell.innerText.slice(0, 40)}" clipped: ${cell.scrollWidth} px in ${cell.clientWidth} px`);
    }
    if (touchPx) {
        for (const b of document.querySelectorAll('[data-testid="stMain"] button[data-testid^="stBaseButton"], [data-testid="stSidebar"] button[data-testid^="stBaseButton"]')) {
            const r = b.getBoundingClientRect();
            if (shown(b) && r.height < touchPx - 0.5)
                out.push(`button "${b.innerText.trim().slice(0, 40)}" ${r.height.toFixed(0)} px high, under ${touchPx} px`);
        }
    }
    if (labels) {
        // Whatever the browser cuts with an ellipsis (a button's, switch's, metric's, tab's or
        // option's text: Streamlit sets text-overflow on the element or one around it), a
        // select's or field's value clipped in its box, and text clamped to fewer lines.
        const cut = el => el.scrollWidth > el.clientWidth + 1;
        const seen = new Set();
        const bar = document.querySelector('[data-testid="stSidebar"]');
        const open = bar && bar.getBoundingClientRect().right > 100;   // a folded sidebar is off the screen
        const scope = open ? '[data-testid="stMain"], [data-testid="stSidebar"]' : '[data-testid="stMain"]';
        for (const el of [...document.querySelectorAll(scope)].flatMap(root => [...root.querySelectorAll('*')])) {
            if (!el.textContent.trim() || getComputedStyle(el).textOverflow !== 'ellipsis' || !shown(el) || !cut(el)) continue;
            const text = el.textContent.trim().slice(0, 40);
            if (seen.has(text)) continue;
            seen.add(text);
            out.push(`label "${text}" cut: ${el.scrollWidth} px in ${el.clientWidth} px`);
        }
        for (const input of document.querySelectorAll('[data-testid="stMain"] input[type="text"], [data-testid="stMain"] input[role="combobox"]')) {
            if (input.value && shown(input) && cut(input))
                out.push(`value "${input.value.slice(0, 40)}" cut: ${input.scrollWidth} px in ${input.clientWidth} px`);
        }
        const sel = ['[data-testid="stButton"] button p', '[data-testid="stMetricValue"] div',
                     '[data-testid="stMetricLabel"] p', '[data-baseweb="tab"] p', '[data-testid="stWidgetLabel"] p',
                     '[data-testid="stRadio"] label p', '[data-testid="stButtonGroup"]'].join(',');
        for (const el of document.querySelectorAll(sel)) {
            if (!shown(el) || !el.textContent.trim() || !open && el.closest('[data-testid="stSidebar"]')) continue;
            if (cut(el) || el.scrollHeight > el.clientHeight + 2 && getComputedStyle(el).overflow === 'hidden')
                out.push(`label "${el.textContent.trim().slice(0, 40)}" cut: ${el.scrollWidth}x${el.scrollHeight} px in ${el.clientWidth}x${el.clientHeight} px`);
        }
    }
    if (koreanWords) {
        // Two Hangul syllables side by side in one text node, drawn on different lines, in a word
        // narrower than the block it wraps in.
        const hangul = c => c >= '\uac00' && c <= '\ud7a3';
        const range = document.createRange();
        const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const text = node.data;
            if (!/[\uac00-\ud7a3]{2}/.test(text) || node.parentElement.closest('svg')) continue;
            range.selectNodeContents(node);
            if (new Set([...range.getClientRects()].map(r => Math.round(r.top))).size < 2) continue;
            let above = null;
            for (let i = 0; i < text.length; i++) {
                range.setStart(node, i); range.setEnd(node, i + 1);
                const r = hangul(text[i]) ? range.getBoundingClientRect() : null;
                if (r && r.width > 0 && above !== null && r.top > above + r.height / 2) {
                    const start = text.lastIndexOf(' ', i) + 1;
                    const end = text.indexOf(' ', i) < 0 ? text.length : text.indexOf(' ', i);
                    range.setStart(node, start); range.setEnd(node, end);
                    const wide = [...range.getClientRects()].reduce((sum, q) => sum + q.width, 0);
                    let block = node.parentElement;
                    while (block.parentElement && getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
                    if (wide <= block.clientWidth)
                        out.push(`Korean word "${text.slice(start, end)}" broken across two lines (${wide.toFixed(0)} px, its line ${block.clientWidth} px)`);
                }
                above = r && r.width > 0 ? r.top : null;
            }
        }
    }
    return out;
}"""


def problems(page, min_svg_px: float, labels: bool = False, touch_px: float = 0,
             korean_words: bool = False) -> list[str]:
    return page.evaluate(PROBLEMS_JS, [min_svg_px, labels, touch_px, korean_words])
