"""Short links (resnet_core.store.short_links) in a real run store: a code stands for a page and
its settings, the same settings get the same code, an unknown or malformed code stands for
nothing, and a fresh class store keeps the links."""

from resnet_core.store import short_links
from resnet_core.store.archive import archive_and_clear
from resnet_core.store.runs import RunStore

SETTINGS = [("lang", "ko"), ("dataset", "digits"), ("steps", "600"), ("seed", "3")]


def test_a_code_opens_its_settings_and_the_same_settings_keep_their_code(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    code = short_links.shorten(store, "degradation", SETTINGS)
    assert len(code) == short_links.CODE_LEN and short_links.valid_code(code)
    assert not set(code) & set("01ilo")                       # nothing read alike on a projector
    assert short_links.shorten(store, "degradation", SETTINGS) == code
    assert short_links.expand(store, code) == ("degradation", SETTINGS)
    other = short_links.shorten(store, "degradation", SETTINGS[:-1] + [("seed", "4")])
    assert other != code and short_links.expand(store, other)[1][-1] == ("seed", "4")
    assert short_links.shorten(store, "gap-fc", SETTINGS) != code
    # A value with spaces, Korean and "&" comes back as it went in.
    odd = [("lang", "ko"), ("name", "김 선생님 & 반")]
    assert short_links.expand(store, short_links.shorten(store, "build", odd)) == ("build", odd)
    # Another process (another store object on the same file) reads the same links.
    assert short_links.expand(RunStore(tmp_path / "runs.db"), code) == ("degradation", SETTINGS)


def test_unknown_and_malformed_codes_stand_for_nothing(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    for code in ("zzzzzz", "", "ABCDEF", "k3f'; DROP TABLE runs;--", "x" * 300, "abc"):
        assert short_links.expand(store, code) is None, code


def test_a_code_already_taken_by_other_settings_gets_a_longer_one(tmp_path, monkeypatch):
    store = RunStore(tmp_path / "runs.db")
    monkeypatch.setattr(short_links, "_code", lambda text, length: "a" * length)   # every hash collides
    first = short_links.shorten(store, "home", [("lang", "en")])
    second = short_links.shorten(store, "home", [("lang", "ko")])
    assert (first, second) == ("a" * 6, "a" * 7)
    assert short_links.expand(store, second) == ("home", [("lang", "ko")])


def test_a_fresh_class_keeps_the_links(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    code = short_links.shorten(store, "degradation", SETTINGS)
    archive_and_clear(store)
    assert short_links.expand(store, code) == ("degradation", SETTINGS)
