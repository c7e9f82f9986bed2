"""A Korean reader's choices, made the way AppTest makes them.

AppTest sends a choice back as its label, made with the page's format_func after the page's run
and outside its session. A format_func that asked for the language when called spoke English
there, and the English label is not among a Korean page's options: a selectbox or radio raised
"... is not in list" and a segmented control kept its old value, so no test could pick a
translated choice on a Korean page. Every format_func now keeps the language of the run that drew
its widget (ui.page.i18n.in_run_language)."""

import pytest

from apptest_helpers import assert_clean, open_page
from resnet_core.predict.bank import QUESTIONS
from ui.page import nav
from ui.page.i18n import table

CHOICES = ("selectbox", "radio", "multiselect", "button_group", "select_slider")


def _sent_back(widget) -> list[str]:
    """The label(s) AppTest sends for the widget's value; each must be one the page shows."""
    kind = type(widget).__name__
    if kind in ("Selectbox", "Radio"):
        value = widget.value
        return [] if value is None else [widget.format_func(value)]
    if kind == "SelectSlider":
        value = widget.value
        return [widget.format_func(v) for v in (value if isinstance(value, (tuple, list)) else [value])]
    return list(widget.formatted_values)   # a multiselect, pills or a segmented control


@pytest.mark.parametrize("code", nav.routes())
def test_every_choice_on_a_korean_page_names_its_value_as_a_shown_option(code):
    at = open_page(code, "ko")
    checked = []
    for kind in CHOICES:
        for widget in getattr(at, kind):
            sent = _sent_back(widget)
            assert set(sent) <= set(widget.options), f"{code}: {widget.key} sends {sent}, shows {widget.options}"
            checked.append(widget.key)
    assert checked, f"{code}: no choice found to check"


def _ko(key: str) -> str:
    return table()[key]["ko"]


@pytest.mark.parametrize("code, kind, key, value, label, state", [
    ("build", "selectbox", "build_block", "bottleneck", _ko("build.blocks.bottleneck"), {}),
    ("predict", "selectbox", "predict_question", list(QUESTIONS)[-1], _ko(f"predict.topic.{list(QUESTIONS)[-1]}"), {}),
    # The layout choice is open to bottleneck nets only.
    ("shortcuts", "radio", "shortcuts_layout", "v1.5", _ko("shortcuts.layout.v1.5"), {"shortcuts_arch": "resnet50"}),
    ("evidence", "segmented_control", "evidence_section", "myths", _ko("evidence.section.myths"), {}),
], ids=["build", "predict", "shortcuts", "evidence"])
def test_a_korean_reader_picks_a_translated_choice_and_the_page_keeps_it(code, kind, key, value, label, state):
    at = open_page(code, "ko", state=state)
    widget = getattr(at, kind)(key=key)
    assert widget.value != value, "the test must pick a choice other than the one shown"
    widget.set_value(value).run()
    assert_clean(at)
    widget = getattr(at, kind)(key=key)
    assert widget.value == value
    assert label in widget.options and widget.format_func(value) == label
