"""Every RESNET_EXPLORER_* variable is read by one function of resnet_core.settings, when called,
is documented in the README's table, and a value it does not allow is refused with a message
(both languages) instead of a traceback: in the library, the CLI and the app."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from resnet_core import settings
from resnet_core.messages import ConfigError
from ui.page.errors import config_text

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"RESNET_EXPLORER_[A-Z0-9_]*[A-Z0-9]")
SKIP = {".git", ".venv", "node_modules", "__pycache__"}


def names_in_tree() -> dict[str, str]:
    """Each RESNET_EXPLORER_ name used anywhere in the tree, with one file that uses it."""
    found = {}
    for path in ROOT.rglob("*"):
        if path.is_dir() or SKIP & set(path.relative_to(ROOT).parts) or path.suffix not in (
                ".py", ".md", ".sh", ".toml", ".txt", ".json", ".cfg", ".yml", ".yaml", ""):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for name in NAME.findall(text):
            found.setdefault(name, str(path.relative_to(ROOT)))
    return found


def test_every_name_in_the_tree_is_a_setting_and_in_the_readme_table():
    used = names_in_tree()
    assert len(used) >= 24, sorted(used)   # the grep finds them (24 when this was written)
    unknown = {name: where for name, where in used.items() if name not in settings.SETTINGS}
    assert not unknown, f"read or named but not in resnet_core/settings.py: {unknown}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(RESNET_EXPLORER_\w+)` \| ([^|]+) \|", readme, re.M))
    for name, setting in settings.SETTINGS.items():
        assert rows.get(name, "").strip() == setting.default, f"README's Settings table: {name}"
        assert setting.why and setting.allowed
    assert set(settings.READERS) == set(settings.SETTINGS)


def test_no_module_reads_the_environment_for_a_setting_but_settings():
    """No os.environ.get("RESNET_EXPLORER_...") or os.environ["RESNET_EXPLORER_..."] outside settings.py,
    which reads them through PREFIX (tests, benches and scripts may set them for what they start)."""
    read = re.compile(r"(environ\.get\(|getenv\(|environ\[)\s*[\"']RESNET_EXPLORER_")
    offenders = [str(p.relative_to(ROOT)) for folder in ("resnet_core", "ui", "pages")
                 for p in (ROOT / folder).rglob("*.py") if read.search(p.read_text(encoding="utf-8"))]
    offenders += ["app.py"] if read.search((ROOT / "app.py").read_text(encoding="utf-8")) else []
    # The exported notebook is code a student runs without resnet_core: it reads the folder itself.
    assert sorted(offenders) == ["resnet_core/export/notebook.py"]


def test_defaults_and_values_are_read_when_called(monkeypatch):
    for name in settings.SETTINGS:
        monkeypatch.delenv(name, raising=False)
    assert settings.workers() is None and settings.cpu_threads() == 1 and settings.max_queue() == 32
    assert settings.flush_seconds() == 0.25 and settings.fork_workers() and not settings.ray_logs()
    assert settings.db_path() == Path.home() / ".cache" / "resnet-explorer" / "runs.db"
    assert settings.problems() == []
    monkeypatch.setenv("RESNET_EXPLORER_WORKERS", " 3 ")
    monkeypatch.setenv("RESNET_EXPLORER_FLUSH_SECONDS", "0")
    monkeypatch.setenv("RESNET_EXPLORER_BF16", "off")
    monkeypatch.setenv("RESNET_EXPLORER_DEVICE", "CPU")
    monkeypatch.setenv("RESNET_EXPLORER_DB", "~/class-a/runs.db")
    assert settings.workers() == 3 and settings.flush_seconds() == 0.0
    assert settings.bf16() is False and settings.device() == "cpu"
    assert settings.db_path() == Path.home() / "class-a" / "runs.db"


@pytest.mark.parametrize("name, value, code, says", [
    ("RESNET_EXPLORER_WORKERS", "abc", "whole_range",
     "RESNET_EXPLORER_WORKERS must be a whole number from 0 to 1024 (got 'abc')"),
    ("RESNET_EXPLORER_WORKERS", "-1", "whole_range", "from 0 to 1024 (got '-1')"),
    ("RESNET_EXPLORER_CPU_THREADS", "1.5", "whole_range", "from 1 to 256 (got '1.5')"),
    ("RESNET_EXPLORER_FLUSH_SECONDS", "nan", "range", "RESNET_EXPLORER_FLUSH_SECONDS must be 0 to 60 (got 'nan')"),
    ("RESNET_EXPLORER_GPU_DATA_SHARE", "2", "range", "must be 0 to 1 (got '2')"),
    ("RESNET_EXPLORER_RAY_FALLBACK", "locl", "one_of", "must be one of wait, local (got 'locl')"),
    ("RESNET_EXPLORER_BF16", "maybe", "one_of", "RESNET_EXPLORER_BF16 must be one of 1, 0 (got 'maybe')"),
    ("RESNET_EXPLORER_DEVICE", "tpu", "one_of", "must be one of auto, cpu, cuda (got 'tpu')"),
])
def test_a_bad_value_is_refused_with_its_code(monkeypatch, name, value, code, says):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        settings.READERS[name]()
    assert caught.value.code == code and says in str(caught.value)
    assert [err.code for err in settings.problems()] == [code]


def test_a_bad_value_reads_in_korean(monkeypatch):
    monkeypatch.setenv("RESNET_EXPLORER_WORKERS", "abc")
    (err,) = settings.problems()
    import streamlit as st

    monkeypatch.setattr(st, "session_state", {"lang": "ko"})
    assert config_text(err) == "RESNET_EXPLORER_WORKERS 값은 0부터 1024까지의 정수여야 합니다 (입력: 'abc')"


def test_the_cli_names_a_bad_setting_without_a_traceback(monkeypatch, capsys):
    from resnet_core.__main__ import main

    monkeypatch.setenv("RESNET_EXPLORER_MAX_QUEUE", "many")
    assert main(["summary", "resnet20"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err == ("error: RESNET_EXPLORER_MAX_QUEUE must be a whole number from 1 to "
                                         "10000 (got 'many')\n")


@pytest.mark.parametrize("lang, says", [
    ("en", "This server cannot start: RESNET_EXPLORER_WORKERS must be a whole number from 0 to 1024 "
           "(got 'abc'). Whoever runs the server can change the setting."),
    ("ko", "이 서버의 설정값 가운데 허용되지 않는 값이 있어 앱을 시작할 수 없습니다: RESNET_EXPLORER_WORKERS 값은 "
           "0부터 1024까지의 정수여야 합니다 (입력: 'abc'). 서버를 운영하는 분이 설정을 고쳐야 합니다."),
])
def test_the_app_names_a_bad_setting_in_both_languages(monkeypatch, lang, says):
    monkeypatch.setenv("RESNET_EXPLORER_WORKERS", "abc")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [says]
