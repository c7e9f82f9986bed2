"""The app shell and Home, run headless with Streamlit's AppTest; plus the shell's helpers."""

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.draw import style
from ui.page import nav, presets
from ui.page.i18n import table
from ui.page.state import keep

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
TIMEOUT = 60   # the first run imports torch


def run_app(locale: str | None = None, lang: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if locale:
        at.context["locale"] = locale
    if lang:
        at.query_params["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def title(at: AppTest) -> str:
    return at.title[0].value


def test_home_runs_in_english_by_default():
    at = run_app()
    assert title(at) == "Why residual networks work"
    assert not at.error and not at.warning
    assert at.latex[0].value.strip("$\n ") == "H(x) = F(x) + x"
    # One card per other page of the product, in the catalogue's order.
    cards = [m.value for m in at.markdown if m.value.startswith("**")]
    assert len(cards) == len(nav.CATALOGUE) - 1


@pytest.mark.parametrize("lang, says", [("en", "In a pre-activation block (He et al. 2016, section 2)"),
                                        ("ko", "사전 활성화 블록(He et al. 2016, 2절)에서")])
def test_the_one_plus_formula_is_given_as_pre_activations(lang, says):
    """The 2015 block has a ReLU after the sum; 1 + dF/dx is exact only without it."""
    at = run_app(lang=lang)
    at.toggle(key="home_show_grad").set_value(True).run()
    assert not at.exception
    formula = [m.value for m in at.latex if "partial F" in m.value]
    assert len(formula) == 1 and r"\partial y" in formula[0]
    assert any(says in c.value for c in at.caption)
    assert any("ReLU" in m.value and ("He et al. 2016" in m.value) for m in at.markdown)


@pytest.mark.parametrize("locale, lang, expected", [
    ("ko-KR", None, "잔차 네트워크는 왜 잘 작동할까"),     # the browser's locale
    ("en-US", "ko", "잔차 네트워크는 왜 잘 작동할까"),     # ?lang= beats the locale
    ("ko-KR", "en", "Why residual networks work"),
    ("de-DE", None, "Why residual networks work"),        # any other locale: English
])
def test_language_comes_from_url_then_locale(locale, lang, expected):
    assert title(run_app(locale, lang)) == expected


def test_switching_language_keeps_the_settings():
    at = run_app()
    at.segmented_control(key="home_view").set_value("residual").run()
    at.toggle(key="home_show_grad").set_value(True).run()
    at.segmented_control(key="app_lang_toggle").set_value("ko").run()
    assert not at.exception
    assert title(at) == "잔차 네트워크는 왜 잘 작동할까"
    assert at.segmented_control(key="home_view").value == "residual"
    assert at.toggle(key="home_show_grad").value is True
    assert at.toggle(key="home_show_grad").label == "역전파(그래디언트) 경로 보기"
    [diagram] = [m.value for m in at.markdown if m.value.startswith("<svg")]   # the residual block, in Korean
    assert "잔차 블록" in diagram and "플레인 블록" not in diagram and "∂F/∂x" in diagram
    # Every run goes through the router: the toggle is still there and still says Korean.
    at.run()
    assert at.segmented_control(key="app_lang_toggle").value == "ko"
    assert title(at) == "잔차 네트워크는 왜 잘 작동할까"


def test_toggle_wins_over_the_url_and_updates_it():
    at = run_app(lang="en")
    at.segmented_control(key="app_lang_toggle").set_value("ko").run()
    at.run()
    assert title(at) == "잔차 네트워크는 왜 잘 작동할까"
    assert at.query_params["lang"] == "ko"


@pytest.mark.parametrize("locale, picked, build_title", [("en-US", "ko", "만들고 학습하기"),
                                                       ("ko-KR", "en", "Build & Train")])
def test_the_address_names_the_language_so_the_next_page_and_a_reload_keep_it(locale, picked, build_title):
    """A browser in one language, the toggle set to the other: the page reached by the menu and a
    reload (a new session with the same address and locale) stay in the language picked; without
    it in the address, a reload fell back to the browser's locale."""
    at = run_app(locale)
    assert at.query_params["lang"] == locale[:2]          # named from the first run
    at.segmented_control(key="app_lang_toggle").set_value(picked).run()
    assert at.query_params["lang"] == picked
    for name in list(at.query_params):                    # the menu opens a page with an empty address
        del at.query_params[name]
    at.switch_page(nav.file_of("build")).run()
    assert not at.exception and at.title[0].value == build_title
    assert at.query_params["lang"] == picked
    reload = AppTest.from_file(APP, default_timeout=TIMEOUT)
    reload.context["locale"] = locale
    for name, value in at.query_params.items():
        reload.query_params[name] = value
    reload.switch_page(nav.file_of("build")).run()
    assert not reload.exception and reload.title[0].value == build_title
    assert reload.segmented_control(key="app_lang_toggle").value == picked


def test_home_offers_presets_only_for_routed_pages():
    at = run_app()
    buttons = {b.key for b in at.button if b.key.startswith("home_preset_")}
    expected = {f"home_preset_{p.code}" for p in presets.PRESETS if nav.exists(p.page)}
    assert buttons == expected
    cards = [link for link in at.page_link if link.proto.label == "Open"]   # the lesson links too, apart
    assert len(cards) == len([c for c in nav.registered() if c != "home"])


def _guarded_page(kind: str) -> None:
    import streamlit as st

    from resnet_core import ConfigError
    from ui import guard

    st.title("before")
    with guard():
        if kind == "config":
            raise ConfigError("depth must be 6n+2 for the CIFAR family (got 21)")
        if kind == "bug":
            raise ZeroDivisionError("division by zero")
        if kind == "stop":
            st.stop()
        st.write("body ran")
    st.write("after")


def test_guard_turns_a_config_error_into_a_warning():
    at = AppTest.from_function(_guarded_page, args=("config",), default_timeout=TIMEOUT).run()
    assert not at.exception and not at.error
    assert "depth must be 6n+2" in at.warning[0].value
    assert at.markdown[-1].value == "after"


def test_guard_turns_a_bug_into_a_friendly_error_without_traceback():
    at = AppTest.from_function(_guarded_page, args=("bug",), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.error[0].value.startswith("Something went wrong")
    assert at.expander[0].label == "What happened"
    assert at.code[0].value == "ZeroDivisionError: division by zero"
    assert at.markdown[-1].value == "after"


def test_guard_lets_streamlit_control_flow_through():
    at = AppTest.from_function(_guarded_page, args=("stop",), default_timeout=TIMEOUT).run()
    assert not at.exception and not at.error
    assert [m.value for m in at.markdown] == []     # st.stop() ended the run inside guard


@pytest.mark.parametrize("lang, says, details", [
    ("en", "This page could not be opened: the server met an error while loading it.", "What happened"),
    ("ko", "이 페이지를 열 수 없습니다. 서버가 페이지를 불러오다가 오류를 만났습니다.", "자세한 내용")])
def test_a_page_that_fails_before_its_own_guard_says_so_in_the_readers_language(monkeypatch, lang, says, details):
    """What fails in a page before its guard (its imports, its preset; a file changed under a
    running server) was Streamlit's own English message, with links to search engines. Now the
    reader's language says it, with the reason folded below, and the sidebar still works. On Home,
    which AppTest runs through app.py: a page opened by switch_page first runs from its own file,
    until its presets.apply sends it through app.py, and this test breaks presets.apply."""
    def broken(code):
        raise ImportError("cannot import name 'in_run_language' from 'ui'")
    monkeypatch.setattr(presets, "apply", broken)
    at = run_app(lang=lang)
    assert [e.value for e in at.error] == [t_in(lang, "error.page")] and says in at.error[0].value
    assert at.main.expander[-1].label == details
    assert at.main.code[-1].value == "ImportError: cannot import name 'in_run_language' from 'ui'"
    assert at.sidebar.segmented_control[0].value == lang     # the language toggle still works
    monkeypatch.undo()   # the same session, once the page loads again
    at.run()
    assert not at.exception and not at.error
    assert title(at) == t_in(lang, "home.title")


def t_in(lang: str, key: str) -> str:
    return table()[key][lang]


def _widget_keys(path: Path) -> list[str]:
    """Literal widget keys in a page: key="..." arguments and keep("...") calls."""
    keys = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        if getattr(node.func, "id", None) == "keep" and node.args and isinstance(node.args[0], ast.Constant):
            keys.append(node.args[0].value)
        for kw in node.keywords:
            if kw.arg == "key" and isinstance(kw.value, ast.Constant):
                keys.append(kw.value.value)
            if kw.arg == "key" and isinstance(kw.value, ast.JoinedStr):
                # f"gap_fc_{x}": the literal start is checked; f"{name}_x" cannot be, statically.
                head = kw.value.values[0]
                if isinstance(head, ast.Constant) and len(head.value) >= len(path.stem) + 1:
                    keys.append(head.value)
    return keys


@pytest.mark.parametrize("page", sorted((ROOT / "pages").glob("*.py")), ids=lambda p: p.name)
def test_widget_keys_carry_their_page_prefix(page):
    # Streamlit refuses a key used twice across pages; a prefix per page makes that impossible.
    prefix = page.stem.replace("-", "_") + "_"      # pages/gap-fc.py -> gap_fc_...
    wrong = [k for k in _widget_keys(page) if not k.startswith(prefix)]
    assert not wrong, f"{page.name}: widget keys must start with {prefix!r}: {wrong}"


def test_keep_asks_streamlit_to_keep_the_value_for_the_session():
    assert keep("build_depth") == {"key": "build_depth", "persist_state": "session"}
    for bad in ("depth", "Build_depth", "build-depth"):
        with pytest.raises(ValueError):
            keep(bad)


@pytest.mark.parametrize("value, text", [
    (1_234_567, "1.23 M"), (3.664e9, "3.66 G"), (120_422_400, "120.4 M"), (12_443_648, "12.4 M"),
    (513_000, "513 k"), (25_089_000, "25.1 M"), (512, "512"), (0, "0"), (1.5, "1.5"),
])
def test_short_numbers(value, text):
    assert style.fmt_si(value) == text


def test_number_formats():
    assert style.fmt_int(1234567) == "1,234,567"
    assert style.fmt_int(120_422_400.0) == "120,422,400"
    assert style.fmt_macs(3.664e9) == "3.66 G MACs"
    assert style.fmt_ratio(120_422_400 / 12_443_648, "en") == "9.68×"
    assert style.fmt_si(float("nan")) == "–"


def test_plain_and_residual_colours_stay_apart():
    # Warm for plain, cool for residual: red channel dominant vs blue channel dominant.
    def rgb(colour):
        return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    assert rgb(style.PLAIN)[0] > rgb(style.PLAIN)[2]
    assert rgb(style.RESIDUAL)[2] > rgb(style.RESIDUAL)[0]


@pytest.mark.parametrize("code", [p.code for p in presets.PRESETS])
def test_each_routed_preset_opens_its_page_configured(code):
    preset = presets.get(code)
    at = run_app()                       # fills the registry of routed pages
    if not nav.exists(preset.page):
        pytest.skip(f"{preset.page} is not routed yet")
    at.button(key=f"home_preset_{code}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == presets_title(preset.page)
    widgets = rendered_widgets(at.main)
    for key, value in preset.values.items():
        assert key in widgets, f"the preset sets {key!r}, which is no widget of the {preset.page} page"
        assert widgets[key] == value, key   # the page's widget took the preset's value


def presets_title(url_path: str) -> str:
    return table()[f"page.{url_path}.title"]["en"]


def rendered_widgets(node) -> dict:
    """key -> value of every keyed widget drawn under `node`."""
    found = {}
    if getattr(node, "key", None) and hasattr(node, "value"):
        try:
            found[node.key] = node.value
        except Exception:   # a widget kind whose value AppTest cannot read back
            found[node.key] = None
    for child in getattr(node, "children", {}).values():
        found.update(rendered_widgets(child))
    return found


@pytest.mark.parametrize("lang, title, minutes", [("en", "A 45-minute lesson", "42–45 min"), ("ko", "45분 수업", "42–45분")])
def test_the_lesson_walks_the_pages_and_questions_in_order(lang, title, minutes):
    from resnet_core.predict.bank import QUESTIONS
    from ui.page import lesson

    at = run_app(lang=lang)
    assert [e.label for e in at.expander if e.label == title] == [title]
    shown = " ".join(m.value for m in at.markdown)
    assert minutes in shown
    # 45 minutes without a gap; every page routed, every question in the bank.
    assert lesson.STEPS[0].minutes[0] == 0 and lesson.STEPS[-1].minutes[1] == 45
    assert all(a.minutes[1] == b.minutes[0] for a, b in zip(lesson.STEPS, lesson.STEPS[1:]))
    assert all(nav.exists(s.page) for s in lesson.STEPS)
    assert all(s.question in QUESTIONS for s in lesson.STEPS if s.question)
