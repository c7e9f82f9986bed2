"""Citations come from the table of sources (resnet_core.paper.SOURCES), never typed by hand.

A catalog string names a source by key ("{src:he2015.table3}"); these tests fail on a section,
table or figure number, or an "et al. 2015" citation, written into either language, on a key the
table lacks, and on a place in the table that disagrees with shared/PAPER.md.
"""

import re
from pathlib import Path

import pytest

from resnet_core import paper, text
from ui.page import i18n

PAPER_MD = Path(__file__).resolve().parents[2] / "shared" / "PAPER.md"

# A place typed by hand: "section 4.1", "Table 3", "Figures 3 and 5", "4.1절", "표 3", "그림 6".
BARE_EN = re.compile(r"\b(sections?|tables?|figures?|figs?\.|eqs?\.|equations?)\s*\(?\d|§\s*\d", re.I)
BARE_KO = re.compile(r"\d+(\.\d+)*\s*절|(?<![가-힣])(표|그림)\s*\d|(?<![가-힣])식\s*\(\d")
BARE_CITE = re.compile(r"\b[A-Z][a-z]+(?: et al\.| & [A-Z][a-z]+),? \(?(19|20)\d\d")


def _entries():
    for name, entries in i18n.load_files().items():
        for key, entry in entries.items():
            yield name, key, entry


def _without_marks(s: str) -> str:
    return text.SOURCE.sub(" ", s)


def test_no_string_types_a_section_table_or_figure_by_hand():
    bad = []
    for name, key, entry in _entries():
        for lang in ("en", "ko"):
            s = _without_marks(entry[lang])
            for pattern in (BARE_EN, BARE_KO, BARE_CITE):
                hit = pattern.search(s)
                if hit:
                    bad.append(f"{name} {key} ({lang}): {hit.group(0)!r}")
    assert not bad, "cite by key from resnet_core/paper.py, e.g. {src:he2015.sec4.1}:\n" + "\n".join(bad)


def test_every_cited_key_is_in_the_table_and_both_languages_cite_the_same():
    cited = 0
    for name, key, entry in _entries():
        found = {lang: sorted(m.group(2) for m in text.SOURCE.finditer(entry[lang])) for lang in ("en", "ko")}
        assert found["en"] == found["ko"], f"{name} {key} cites {found['en']} in English, {found['ko']} in Korean"
        for form, source in (m.groups() for m in text.SOURCE.finditer(entry["en"])):
            assert source in paper.SOURCES or (form == "cite" and source in paper.PAPERS), f"{key}: no source {source!r}"
            cited += 1
    assert cited > 40, "the catalogs should cite through the table"


def test_every_source_names_a_known_paper_and_a_place():
    for key, source in paper.SOURCES.items():
        assert key.split(".")[0] == source.paper and source.paper in paper.PAPERS, key
        assert source.kind in ("section", "table", "figure") and re.fullmatch(r"\d+(\.\d+)*", source.number), key
        assert source.title and source.shows, key


def test_a_source_reads_as_each_language_writes_it():
    assert paper.cite("he2015.sec4.1", "en") == "section 4.1"
    assert paper.cite("he2015.sec4.1", "ko") == "4.1절"
    assert paper.cite("he2015.table3", "ko", "cite") == "He et al. 2015, 표 3"
    assert paper.cite("he2015.fig6", "en", "cite") == "He et al. 2015, Figure 6"
    assert paper.cite("li2018", "en", "cite") == paper.cite("li2018", "ko", "cite") == "Li et al. 2018"
    assert "Deeper Bottleneck Architectures" in paper.cite("he2015.sec4.1.bottleneck", "en", "titled")
    # A sentence that opens with a section capitalises it; Korean particles follow the reading.
    assert text.render("{src:he2015.sec4.1} argues. See {src:he2015.sec3.3}.", "en") == \
        "Section 4.1 argues. See section 3.3."
    assert text.render("{src:he2015.table2}{와/과} {src:he2015.sec4.1}{은/는}", "ko") == "표 2와 4.1절은"
    with pytest.raises(KeyError):
        paper.cite("he2015.sec9.9", "en")


def test_every_string_with_a_source_renders_in_both_languages():
    for name, key, entry in _entries():
        for lang in ("en", "ko"):
            if text.SOURCE.search(entry[lang]):
                out = text.sources(entry[lang], lang)
                assert "{src:" not in out and "{cite:" not in out and "{titled:" not in out, key


def test_the_places_agree_with_the_reference():
    """shared/PAPER.md: options A and B in section 3.3, C and Table 3 in 4.1; global average
    pooling in 3.3; the bottleneck example in 4.1; Table 6 and Figure 7 in 4.2."""
    if not PAPER_MD.exists():
        pytest.skip("shared/PAPER.md is not beside this checkout")
    md = " ".join(PAPER_MD.read_text(encoding="utf-8").split())
    assert "A and B are defined in section 3.3; C and the comparison (Table 3) are in section 4.1" in md
    assert paper.SOURCES["he2015.sec3.3"].number == "3.3" and "option" in paper.SOURCES["he2015.sec3.3"].shows
    assert paper.SOURCES["he2015.sec4.1.shortcuts"].number == "4.1" and "Table 3" in paper.SOURCES["he2015.sec4.1.shortcuts"].shows
    assert 'section 3.3 ("Network Architectures") ends the network with global average pooling' in md
    assert paper.SOURCES["he2015.sec3.3"].title == "Network Architectures"
    assert 'Section 4.1 ("Deeper Bottleneck Architectures")' in md
    assert paper.SOURCES["he2015.sec4.1.bottleneck"].title == "Deeper Bottleneck Architectures"
    assert "CIFAR-10 (section 4.2, Table 6)" in md and 'Figure 7 (section 4.2, "Analysis of Layer Responses")' in md
    assert paper.SOURCES["he2015.sec4.2.responses"].title == "Analysis of Layer Responses"
    assert "VGG-19: 19.6 x 10^9" in md and "19.6" in paper.SOURCES["he2015.fig3"].shows
    assert "Table 1" not in paper.SOURCES["he2015.fig3"].shows
