"""ui/page/tables.py: rows as an HTML table whose cells read back exactly as given (markup characters
escaped, so "μ_B", "<b>" or "$5" stay text), numbers right-aligned. The browser test
(tests/browser/test_concept_pages_train.py) checks how Chromium draws them."""

import xml.etree.ElementTree as ET

import pytest
from apptest_helpers import markdown_tables

from ui.page import tables


class Page:
    """What markdown_tables reads: the page's Markdown elements."""

    def __init__(self, *texts: str):
        self.markdown = [type("Markdown", (), {"value": text})() for text in texts]


def test_cells_read_back_as_given_whatever_their_characters():
    rows = [{"x − μ_B": "a|b", "net": "*plain*_20", "cost": "$5 [x] <b>"},
            {"x − μ_B": "back\\slash", "net": "`code` #1", "cost": "~ok~"}]
    (read,) = markdown_tables(Page("intro", tables.html(rows)))
    assert list(read.columns) == list(rows[0])
    assert read.to_dict("records") == rows


def test_columns_of_numbers_are_right_aligned():
    rows = [{"net": "ResNet-20", "params": "272,474", "error": "8.75%", "gain": "1.2e-3", "ratio": "3,600×",
             "mixed": "0.1 / 0.9", "n": 3},
            {"net": "plain-20", "params": "+0", "error": "−7.51%", "gain": "4", "ratio": "9.68×",
             "mixed": "1.0 / 2.0", "n": 18}]
    root = ET.fromstring(tables.html(rows))
    for tr in root.iter("tr"):
        right = [cell.get("style") == "text-align:right" for cell in tr]
        assert right == [False, True, True, True, True, False, True]


@pytest.mark.parametrize("value", ["", "–", "n/a", "1.2.3", "12 layers"])
def test_text_is_not_taken_for_a_number(value):
    assert not tables.is_number(value)


def test_no_rows_no_table():
    assert tables.html([]) == ""
    assert markdown_tables(Page(tables.html([]))) == []


def test_one_line_so_markdown_leaves_it_whole():
    text = tables.html([{"a": "two\n\nlines", "b": "1"}, {"a": "", "b": "2"}])
    assert "\n" not in text and "two  lines" in text
