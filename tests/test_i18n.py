"""The translation table: complete in both languages, no key defined twice, every key the code
uses exists."""

import ast
import json
import re
from pathlib import Path

import pytest

from ui.page import i18n, nav, presets

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]
HANGUL = re.compile(r"[\uac00-\ud7a3]")
PLACEHOLDER = re.compile(r"{(\w*)}")
ENGLISH_PHRASE = re.compile(r"\b[a-z]{2,} [a-z]{2,}\b")


def _pairs_no_duplicates(path):
    def hook(pairs):
        keys = [k for k, _ in pairs]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        assert not duplicates, f"{path.name} defines {duplicates} more than once"
        return dict(pairs)
    return hook


def _files() -> dict[str, dict]:
    out = {}
    for path in sorted(i18n.I18N_DIR.glob("*.json")):
        with path.open(encoding="utf-8") as f:
            out[path.name] = json.load(f, object_pairs_hook=_pairs_no_duplicates(path))
    return out


def _literal_calls(function: str) -> set[tuple[str, str]]:
    """(file, first argument) of every call `function("literal", ...)` in the app's code.
    Parsing (rather than grepping) skips examples in docstrings; f-strings are not literals."""
    found = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and node.args
                    and getattr(node.func, "id", getattr(node.func, "attr", None)) == function
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.add((path.relative_to(ROOT).as_posix(), node.args[0].value))
    return found


def test_files_exist_and_parse():
    files = _files()
    assert {"common.json", "home.json"} <= set(files)


def test_every_entry_has_english_and_korean():
    for name, entries in _files().items():
        for key, entry in entries.items():
            # The glossary's terms also say which English they match and which words they retire.
            extra = {"match", "retired"} if name == "glossary.json" else set()
            assert set(entry) == {"en", "ko"} | extra, f"{name}: {key} must have exactly en and ko"
            for code in ("en", "ko"):
                assert isinstance(entry[code], str) and entry[code].strip(), f"{name}: {key} lacks {code}"


def test_korean_is_korean():
    # Korean text without Hangul is fine for names ("GAP vs FC", "ImageNet (ResNet-18~152)"), but
    # an English phrase there ("weight layer") is a translation someone forgot.
    for name, entries in _files().items():
        for key, entry in entries.items():
            ko = re.sub(r"{[^{}]*}|<[^>]*>", " ", entry["ko"])   # placeholders and markup are not words
            assert HANGUL.search(ko) or not ENGLISH_PHRASE.search(ko), \
                f"{name}: {key}'s Korean text looks untranslated: {entry['ko']!r}"


def test_placeholders_match_between_languages():
    for name, entries in _files().items():
        for key, entry in entries.items():
            en, ko = (sorted(PLACEHOLDER.findall(entry[c])) for c in ("en", "ko"))
            assert en == ko, f"{name}: {key} has placeholders {en} in English but {ko} in Korean"


def test_no_key_is_defined_in_two_files():
    seen: dict[str, str] = {}
    for name, entries in _files().items():
        for key in entries:
            assert key not in seen, f"{key} is defined in both {seen[key]} and {name}"
            seen[key] = name


def test_every_literal_key_used_in_the_code_exists():
    table = i18n.table()
    used = _literal_calls("t")
    assert len(used) > 10, "the scan found too few t(...) calls; is the regex still right?"
    missing = sorted(f"{file}: {key}" for file, key in used if key not in table)
    assert not missing, "keys used but not in assets/i18n:\n" + "\n".join(missing)


def _options_labelled() -> list[tuple[str, str, list]]:
    """(file, prefix, options) of every widget call ``widget(label, OPTIONS, format_func=label_of("p"))``
    whose options can be read without running the page: a literal list, or a constant (``list()``
    of it too) defined in that file or in resnet_core.nets.config."""
    from resnet_core.nets import config

    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                try:
                    constants[node.targets[0].id] = ast.literal_eval(node.value)
                except ValueError:
                    pass
        for node in ast.walk(tree):
            fmt = next((k.value for k in getattr(node, "keywords", []) if k.arg == "format_func"), None)
            if not (isinstance(node, ast.Call) and len(node.args) >= 2 and isinstance(fmt, ast.Call)
                    and getattr(fmt.func, "id", None) == "label_of"
                    and isinstance(fmt.args[0], ast.Constant)):
                continue
            expr = node.args[1]
            if isinstance(expr, ast.Call) and getattr(expr.func, "id", None) == "list" and expr.args:
                expr = expr.args[0]
            if isinstance(expr, ast.Name):
                options = constants.get(expr.id, getattr(config, expr.id, None))
            else:
                try:
                    options = ast.literal_eval(expr)
                except ValueError:
                    options = None
            if isinstance(options, (list, tuple, dict)):
                found.append((path.relative_to(ROOT).as_posix(), fmt.args[0].value, list(options)))
    return found


def test_every_option_has_its_label():
    table = i18n.table()
    found = _options_labelled()
    assert len(found) > 20, "the scan found too few labelled widgets; is it still right?"
    missing = sorted(f"{file}: {prefix}.{option}" for file, prefix, options in found for option in options
                     if f"{prefix}.{option}" not in table)
    assert not missing, "options without a label:\n" + "\n".join(missing)
    # Prefixes whose options are computed at run time still need some labels.
    for file, prefix in _literal_calls("label_of"):
        assert any(k.startswith(prefix + ".") for k in table), f"{file}: no {prefix}.* labels"


def _calls_anything(node) -> bool:
    return isinstance(node, ast.Lambda) and any(isinstance(n, ast.Call) for n in ast.walk(node.body))


def test_a_format_func_that_computes_its_label_keeps_the_language_of_its_run():
    """A format_func written as a lambda that calls something (t(), a net's name in the reader's
    language) is wrapped in i18n.in_run_language, directly or through the name it was given. AppTest
    formats a widget's value after the page's run, outside the session, where a bare one speaks
    English and no Korean choice can be made (tests/test_app_korean_choices.py)."""
    bare, seen = [], 0
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").rglob("*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        lambdas = {target.id for node in ast.walk(tree) if isinstance(node, ast.Assign) and _calls_anything(node.value)
                   for target in node.targets if isinstance(target, ast.Name)}
        for node in ast.walk(tree):
            for keyword in getattr(node, "keywords", []):
                if keyword.arg != "format_func":
                    continue
                seen += 1
                value = keyword.value
                if _calls_anything(value) or (isinstance(value, ast.Name) and value.id in lambdas):
                    bare.append(f"{path.relative_to(ROOT).as_posix()}:{value.lineno}")
    assert seen > 40, "the scan found too few format_funcs; is it still right?"
    assert not bare, "wrap these format_funcs in in_run_language:\n" + "\n".join(bare)


def test_every_page_and_preset_has_its_text():
    table = i18n.table()
    for code in nav.CATALOGUE:
        assert f"page.{code}.title" in table and f"page.{code}.blurb" in table, code
    for preset in presets.PRESETS:
        assert f"preset.{preset.code}" in table, preset.code


def test_t_outside_a_running_app_speaks_english_and_formats():
    assert i18n.lang() == "en"
    assert i18n.t("home.title") == "Why residual networks work"
    assert i18n.t("error.config", msg="depth must be 6n+2") == \
        "This setting cannot be built: depth must be 6n+2"
    assert i18n.t("no.such.key") == "no.such.key"     # a gap shows its key, never crashes
    assert i18n.label_of("kind")("residual") == "Residual"


def test_set_lang_rejects_unknown_codes():
    with pytest.raises(ValueError, match="ko, en"):
        i18n.set_lang("fr")


def test_net_names_from_model_configs_read_in_korean(monkeypatch):
    from resnet_core import arch_config
    from ui.page import terms

    monkeypatch.setattr(terms, "lang", lambda: "ko")
    glossary = json.loads((i18n.I18N_DIR / "glossary.json").read_text(encoding="utf-8"))
    ko_plain, ko_preact = glossary["term.plain"]["ko"], glossary["term.preact"]["ko"]
    assert terms.net_label(arch_config("plain56").kind) == f"{ko_plain}-56"
    assert terms.net_label(arch_config("resnet20").kind + " · Minji") == "ResNet-20 · Minji"
    assert terms.net_label(arch_config("plain20", block="preact").kind + " no BN") == f"{ko_preact} {ko_plain}-20 BN 없음"
    ko_flatten = glossary["term.flatten"]["ko"]   # the GAP vs FC page's trained pair
    assert terms.net_label("ResNet-8 flatten") == f"ResNet-8 {ko_flatten}" and terms.net_label("ResNet-8 GAP") == "ResNet-8 GAP"
    # a twin's steps, stored in English, read in Korean; a name after them is left alone
    assert terms.net_label("plain-8 · 40 steps") == f"{ko_plain}-8 · 40단계"
    assert terms.net_label("ResNet-8 · 40 steps · Minji") == "ResNet-8 · 40단계 · Minji"
    assert terms.net_label("ResNet-8 · 40 stepsister") == "ResNet-8 · 40 stepsister"
    monkeypatch.setattr(terms, "lang", lambda: "en")
    assert terms.net_label("플레인-56 BN 없음") == "plain-56 no BN"   # a label typed in Korean reads back
    assert terms.net_label("ResNet-8 flatten") == "ResNet-8 flatten"
    assert terms.net_label("플레인-8 · 40단계") == "plain-8 · 40 steps"   # a twin queued in Korean before


def test_every_drawing_is_handed_text_that_exists_in_both_languages(monkeypatch):
    """Each renderer of ui/draw lists the keys it reads in WORDS (it never calls t()): every one
    is in the table in English and Korean, and ui.page.i18n.words hands over the reader's
    language, whose values and particles the renderer fills in itself."""
    import importlib

    from ui.draw.words import Words

    folder = Path(i18n.__file__).resolve().parents[1] / "draw"
    listed = {path.stem: importlib.import_module(f"ui.draw.{path.stem}") for path in sorted(folder.glob("*.py"))}
    listed = {name: module.WORDS for name, module in listed.items() if hasattr(module, "WORDS")}
    assert {"diagrams", "outline", "line_charts", "flops_charts", "study_charts"} <= set(listed)
    missing = [f"{name}: {key}" for name, keys in listed.items() for key in keys
               if not all(i18n.table().get(key, {}).get(code) for code in i18n.LANGS)]
    assert not missing, missing
    monkeypatch.setattr(i18n, "lang", lambda: "ko")
    from ui.draw import outline

    said = i18n.words(outline.WORDS)
    assert said.lang == "ko" and said("charts.more_blocks", n=3) == i18n.t("charts.more_blocks", n=3)
    with pytest.raises(KeyError):
        Words("en", {})("charts.more_blocks", n=3)      # a key the caller did not hand over


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_dataset_a_stored_run_can_have_is_named_on_the_study_pages(lang, monkeypatch):
    # A picked run's dataset by the study page's own name, else Build & Train's (terms.dataset_name).
    from resnet_core.nets.config import DATASETS
    from ui.page import terms

    monkeypatch.setattr(i18n, "lang", lambda: lang)
    words = {key: text[lang] for key, text in i18n.table().items() if lang in text}
    for keys in ("twins.datasets", "inspect.dataset"):
        for dataset in DATASETS:
            own = f"{keys}.{dataset}"
            said = terms.dataset_name(dataset, keys)
            assert said == words.get(own, words.get(f"build.datasets.{dataset}")) and said, (keys, dataset)
            assert said != dataset   # a name, never the code (fashion_mnist)
    assert terms.class_labels(["circle", "3", "my_folder"]) == [words["class.circle"], "3", "my_folder"]
