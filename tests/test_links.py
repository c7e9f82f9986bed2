"""Setup by link (ui/page/links.py): every page's kept settings go into its address, and a fresh
browser opening that address gets the same settings; a bad or outdated value gives a message
and the default, never a traceback."""

import pytest
from streamlit.testing.v1 import AppTest

from ui.page import links, nav
from ui.page.links import decode, encode

from apptest_helpers import APP, assert_clean, own_store

TEACHER, STUDENT = "teach0er", "stud0ent"


@pytest.mark.parametrize("value", ["digits", "600", "true", "", "a b", "[1]", 600, 0.1, 2.5e-5, True, False,
                                   None, [1, 2], "한국어"])
def test_encode_decode_round_trip(value):
    assert decode(encode(value)) == value


def test_words_stay_readable_and_odd_values_are_left_out():
    assert encode("digits") == "digits" and encode(600) == "600" and encode(True) == "true"
    assert encode((3, 4)) == "[3,4]"
    assert encode(object()) is None and encode("x" * 500) is None and encode(float("nan")) is None


def test_param_names_drop_the_page_prefix_but_never_take_reserved_names():
    assert links.param_of("gap_fc_channels", "gap_fc_") == "channels"
    assert links.param_of("build_lang", "build_") == "build_lang"
    assert links.param_of("other_x", "build_") == "other_x"


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_gap_fc_names_its_settings_without_its_prefix_and_still_reads_its_old_links(store, lang):
    """GAP vs FC's file is pages/gap-fc.py and its widgets are gap_fc_*: its links once said
    gap_fc_channels=256 where every other page says channels=256. Such a link still opens with
    its value, and the address then says it the short way."""
    assert "gap-fc" in _routed()
    at = open_link("gap-fc", {"lang": lang, "u": STUDENT, "gap_fc_channels": "256", "gap_fc_spatial": "4"})
    assert_clean(at)
    assert at.slider(key="gap_fc_channels").value == 256 and at.slider(key="gap_fc_spatial").value == 4
    assert at.query_params["channels"] == "256" and at.query_params["spatial"] == "4"
    assert not [name for name in at.query_params if name.startswith("gap_fc_")], dict(at.query_params)
    assert not at.toast   # nothing was refused
    again = open_link("gap-fc", {**at.query_params, "u": TEACHER})   # the new address, in a fresh browser
    assert again.slider(key="gap_fc_channels").value == 256 and again.slider(key="gap_fc_spatial").value == 4


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with own_store(tmp_path_factory, "links") as db:
        yield db


def _routed() -> list[str]:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()
    return nav.registered()


def _session(at):
    state = at.session_state._state
    return getattr(state, "_state", state)


def _alternative(at, key):
    """Another valid value for the kept widget `key`, read from the widget itself."""
    ss = _session(at)
    meta = next((m for wid, m in ss._new_widget_state.widget_metadata.items() if wid.endswith("-" + key)), None)
    if meta is None:
        return None
    serde, value = getattr(meta.deserializer, "__self__", None), at.session_state[key]
    options = getattr(serde, "options", None)
    if options and len(options) > 1:
        return next(o for o in reversed(options) if o != value)
    if type(serde).__name__ == "CheckboxSerde":
        return not value
    for widgets in (at.number_input, at.slider):
        found = [w for w in widgets if w.key == key]
        if found and isinstance(value, (int, float)) and not isinstance(value, bool):
            w = found[0]
            step = w.step or 1
            up = value + step
            return up if w.max is None or up <= w.max else value - step
    return None


def open_link(url_path: str, params: dict, timeout: float = 120) -> AppTest:
    """A new browser opening `/url_path?params`: straight to the page, as a shared link does."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for name, value in params.items():
        at.query_params[name] = value
    at.switch_page(nav.file_of(url_path))
    at.run()
    return at


PAGES = ["home", "build", "degradation", "gradients", "lesion", "landscape", "bottleneck", "gap-fc",
         "shortcuts", "batchnorm", "augmentation", "features", "attribution", "evidence"]


@pytest.mark.parametrize("url_path", PAGES)
def test_a_link_carries_every_setting_of_the_page(store, url_path):
    if url_path not in _routed():
        pytest.skip(f"{url_path} is not routed in this copy")
    at = open_link(url_path, {"lang": "en", "u": TEACHER})
    assert_clean(at)
    prefix = at.session_state["_links_prefix"]
    kept = [k for k in at.session_state["_links_kept"] if k.startswith(prefix)]
    assert kept, f"{url_path}: no setting under the prefix {prefix!r}"   # GAP vs FC's was once 'gap-fc_'
    changed = {}
    for key in kept:
        alt = _alternative(at, key)
        if alt is not None:
            at.session_state[key] = alt
            changed[key] = alt
    at.run()
    assert_clean(at)
    shared = {k: v for k, v in at.query_params.items() if k != "u"}
    # The widgets of this run (a changed setting may hide some, e.g. VGG has no block choice).
    drawn = [k for k in at.session_state["_links_kept"] if k.startswith(prefix)]
    for key in drawn:   # every setting on the page is in the address, under its short name
        assert links.param_of(key, prefix) in shared or links.encode(at.session_state[key]) is None, key
        assert at.session_state[key] is not None, f"{key} is empty: a link's null would be a setting"   # links.sync
    student = open_link(url_path, {**shared, "u": STUDENT})
    assert_clean(student)
    assert not student.toast, [t.value for t in student.toast]
    for key in drawn:
        assert student.session_state[key] == at.session_state[key], key
    assert any(key in drawn for key in changed) or not changed
    assert student.query_params["u"] == STUDENT


def test_a_bad_or_outdated_value_falls_back_with_a_message(store):
    if "degradation" not in _routed():
        pytest.skip("degradation is not routed")
    # dataset: an option that does not exist (the widget quietly takes its default); seed: above the
    # widget's maximum (the widget raises); steps: a word where a number belongs.
    at = open_link("degradation", {"lang": "en", "u": TEACHER, "dataset": "imagenet22k", "seed": "100000",
                                   "steps": "many"})
    assert_clean(at)
    assert at.session_state["degradation_dataset"] == "digits"
    assert at.session_state["degradation_seed"] == 0
    assert at.session_state["degradation_steps"] == 300
    notes = " ".join(t.value for t in at.toast)
    for name, value in (("dataset", "imagenet22k"), ("seed", "100000"), ("steps", "many")):
        assert f"{name}={value}" in notes, notes
    assert at.query_params["seed"] == "0" and at.query_params["dataset"] == "digits"


def test_the_share_link_has_the_settings_and_language_but_not_the_user(store):
    at = open_link("gap-fc", {"lang": "ko", "u": TEACHER, "channels": "256"})
    assert_clean(at)
    assert [e.label for e in at.sidebar.expander] == ["이 설정으로 여는 링크"]
    assert len(at.sidebar.code) == 0   # closed, the box draws nothing: no highlighter for the browser to load
    at.session_state[links.SHARE_OPEN] = True    # what the browser sends when the box is opened
    at.switch_page(nav.file_of("gap-fc")).run()
    assert_clean(at)
    code = [c.value for c in at.sidebar.code]
    assert code, "no share link in the sidebar"
    assert "/gap-fc?" in code[0] and "lang=ko" in code[0] and "channels=256" in code[0] and TEACHER not in code[0]



# Values a widget given them through the session state passed on unchecked, and the page's code
# then failed on ("a problem drawing this part"): a list made a one-number slider a range, true
# went through a whole-number slider as True, a word reached a fraction slider as text, and null
# left a number field empty (or a choice: "unknown architecture 'resnetNone'").
UNCHECKED = [("augmentation", "copies", "[1,2]", "ko"), ("augmentation", "pad", "true", "en"),
             ("degradation", "seed", "null", "ko"), ("gradients", "depth", "null", "en"),
             ("augmentation", "flip", "nan", "ko"), ("augmentation", "alpha", "[1,2]", "en"),
             ("batchnorm", "gamma", "nan", "en"), ("batchnorm", "beta", "[1,2]", "ko"),
             ("attribution", "opacity", "nan", "ko")]


@pytest.mark.parametrize("url_path, name, value, lang", UNCHECKED)
def test_a_value_a_widget_passes_on_unchecked_falls_back_with_a_message(store, url_path, name, value, lang):
    assert url_path in _routed()
    default = open_link(url_path, {"lang": lang, "u": STUDENT})
    prefix = default.session_state["_links_prefix"]
    at = open_link(url_path, {"lang": lang, "u": TEACHER, name: value})
    assert_clean(at)
    assert at.session_state[prefix + name] == default.session_state[prefix + name]
    assert at.query_params[name] == default.query_params[name]
    notes = " ".join(t.value for t in at.toast)
    assert f"{name}={value}" in notes, notes
    assert ("기본값을 사용합니다" if lang == "ko" else "the default is used") in notes, notes


def test_a_good_value_for_the_same_sliders_is_kept(store):
    assert "augmentation" in _routed()
    at = open_link("augmentation", {"lang": "en", "u": TEACHER, "copies": "3", "pad": "2", "alpha": "0.5"})
    assert_clean(at)
    assert not at.toast, [t.value for t in at.toast]
    assert (at.session_state["augmentation_copies"], at.session_state["augmentation_pad"]) == (3, 2)
    assert at.session_state["augmentation_alpha"] == 0.5
