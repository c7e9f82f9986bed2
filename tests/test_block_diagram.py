"""Home's block diagram (ui/draw/diagrams.py): well-formed SVG with the parts of He et al.'s Figure 2,
in the reader's language, and boxes wide enough for their text."""

import xml.etree.ElementTree as ET

import pytest

from ui.draw import canvas, diagrams
from ui.draw.words import Words
from ui.page import i18n

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(params=["en", "ko"])
def lang(request, monkeypatch):
    monkeypatch.setattr(i18n, "lang", lambda: request.param)
    return request.param


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    return [" ".join(s.text or "" for s in el.iter(f"{SVG}tspan")) for el in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("view, titles", [("both", 2), ("plain", 1), ("residual", 1)])
@pytest.mark.parametrize("show_grad", [False, True])
def test_each_view_draws_its_blocks(lang, view, titles, show_grad):
    root = parse(diagrams.block_diagram(i18n.words(diagrams.WORDS), view, show_grad))
    words = texts(root)
    plain, residual = i18n.t("diagram.plain_title"), i18n.t("diagram.residual_title")
    assert residual == {"en": "Residual block", "ko": "잔차 블록"}[lang]
    assert (plain in words) == (view != "residual") and (residual in words) == (view != "plain")
    assert words.count(i18n.t("diagram.weight")) == 2 * titles          # two weight layers a block
    adders = root.findall(f"{SVG}circle")
    assert len(adders) == (view != "plain")                              # the (+) only where x is added back
    # As in the paper's Figure 2: F(x) + x labels the sum, and the ReLU after it gives the output.
    assert ("F(x) + x" in words and "y = ReLU(F(x) + x)" in words) == (view != "plain")
    assert "H(x) = F(x) + x" not in words
    # The plain block's H(x) sits where the residual block's F(x) + x does, before its last ReLU: one H
    # on both blocks, the one the page writes as H(x) = F(x) + x under the diagram.
    assert ("H(x)" in words and "y = ReLU(H(x))" in words and "y = H(x)" not in words) == (view != "residual")
    formulas = [w for w in words if w.startswith("∂L/∂x")]
    assert len(formulas) == (titles if show_grad else 0)
    # The clean 1 + ∂F/∂x is pre-activation's; the 2015 block's gradient also passes the ReLU.
    assert all("ReLU′" in f for f in formulas if "1 + ∂F/∂x" in f)
    preact = [w for w in words if "(1 + ∂F/∂x)" in w and not w.startswith("∂L/∂x")]
    assert len(preact) == (show_grad and view != "plain")
    assert all("He et al. 2016" in w for w in preact)
    assert root.find(f"{SVG}title").text == " · ".join(
        [plain] * (view != "residual") + [residual] * (view != "plain"))
    # Every arrow's head is defined, in the arrow's own colour.
    heads = {m.get("id") for m in root.iter(f"{SVG}marker")}
    for line in root.iter(f"{SVG}line"):
        assert line.get("marker-end") == f"url(#rx-head-{line.get('stroke')[1:]})"
        assert line.get("marker-end")[5:-1] in heads


def test_boxes_fit_their_text(lang):
    root = parse(diagrams.block_diagram(i18n.words(diagrams.WORDS), "both"))
    word = i18n.t("diagram.weight")
    for rect in root.iter(f"{SVG}rect"):
        assert float(rect.get("width")) >= canvas.text_width(word, 16) + 16
    width = float(root.get("viewBox").split()[2])
    assert all(0 <= float(r.get("x")) and float(r.get("x")) + float(r.get("width")) <= width
               for r in root.iter(f"{SVG}rect"))


def test_korean_takes_a_whole_em_per_character_and_text_is_escaped():
    assert canvas.text_width("가중치 층", 16) == pytest.approx(4 * 16 + 0.55 * 16)
    assert canvas.text_width("weight", 10) == pytest.approx(6 * 5.5)
    said = Words("en", {key: "<b>&" if key == "diagram.weight" else key for key in diagrams.WORDS})
    root = parse(diagrams.block_diagram(said, "plain"))                         # still well-formed
    assert texts(root).count("<b>&") == 2
