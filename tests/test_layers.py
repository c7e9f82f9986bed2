"""The layers hold (import-linter, contracts in .importlinter): the library never imports the
app's ui package nor Streamlit, its parts import only the ones below them (cli, jobs and export,
predict, inspection, training, store and data, nets), and inside jobs the runner sits above its
executors, they above the worker; whatever function an import hides in, so no cycle hides. The
app's parts do the same (predict, classroom, training, users, page, server, then the drawings,
which import no Streamlit), with no cycle among the modules of any one part, in the library too."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "8 kept, 0 broken" in out.stdout


def test_a_broken_contract_is_caught(tmp_path):
    """The check can fail: a copy of the contracts over a tree where the library imports ui."""
    pkg = tmp_path / "resnet_core"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "bad.py").write_text("def f():\n    from ui import t\n")
    (tmp_path / "ui").mkdir()
    (tmp_path / "ui" / "__init__.py").write_text("t = None\n")
    config = (ROOT / ".importlinter").read_text().replace("include_external_packages = True\n", "")
    config = config[:config.index("\n[importlinter:contract:no-streamlit")]
    (tmp_path / ".importlinter").write_text(config)
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 1 and "resnet_core.bad -> ui" in out.stdout


def test_an_import_inside_a_function_that_closes_a_cycle_is_caught(tmp_path):
    """store below training: a store module that imports training, even inside a function, breaks
    the library's layers (the cycle store -> training -> store that provenance once made)."""
    root = tmp_path / "resnet_core"
    for part in ("cli", "jobs", "export", "predict", "inspection", "training", "store", "data", "nets"):
        (root / part).mkdir(parents=True)
        (root / part / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "settings.py").write_text("")
    (root / "messages.py").write_text("")
    (root / "training" / "engine.py").write_text("from resnet_core.store import runs\n")
    (root / "store" / "runs.py").write_text("def f():\n    from resnet_core.training import engine\n")
    config = (ROOT / ".importlinter").read_text()
    start = config.index("[importlinter:contract:library-layers]")
    end = config.index("[importlinter:contract:jobs-layers]")
    (tmp_path / ".importlinter").write_text("[importlinter]\nroot_packages =\n    resnet_core\n\n" + config[start:end])
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 1 and "resnet_core.store.runs -> resnet_core.training.engine" in out.stdout


def test_a_cycle_inside_one_part_of_the_library_is_caught(tmp_path):
    """Two modules of training that import each other, one inside a function: no layer contract
    sees it (both are training), the library's acyclic contract does."""
    root = tmp_path / "resnet_core" / "training"
    root.mkdir(parents=True)
    (tmp_path / "resnet_core" / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "engine.py").write_text("from resnet_core.training import recorders\n")
    (root / "recorders.py").write_text("def f():\n    from resnet_core.training import engine\n")
    (tmp_path / ".importlinter").write_text("[importlinter]\nroot_packages =\n    resnet_core\n\n"
                                            + _contract("library-acyclic"))
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 1 and "No cycle among the modules of any part of resnet_core BROKEN" in out.stdout, \
        out.stdout[-2000:]
    assert "in resnet_core.training." in out.stdout and "- .recorders -> .engine (1 import)" in out.stdout


def _contract(name: str) -> str:
    config = (ROOT / ".importlinter").read_text()
    start = config.index(f"[importlinter:contract:{name}]")
    end = config.find("\n[importlinter:contract:", start + 1)
    return config[start:] if end < 0 else config[start:end]


def test_a_drawing_that_reads_the_session_a_part_that_reaches_up_and_a_cycle_are_caught(tmp_path):
    """A copy of ui's contracts over a tree where a drawing calls t() (ui.page.i18n) inside a
    function, another drawing imports Streamlit, the page part imports the training part, and two
    modules of the page part import each other (one inside a function): all four are reported."""
    parts = ("predict", "classroom", "training", "users", "page", "server", "draw")
    for part in parts:
        (tmp_path / "ui" / part).mkdir(parents=True)
        (tmp_path / "ui" / part / "__init__.py").write_text("")
    (tmp_path / "ui" / "__init__.py").write_text("")
    (tmp_path / "streamlit").mkdir()
    (tmp_path / "streamlit" / "__init__.py").write_text("")
    (tmp_path / "ui" / "draw" / "axes.py").write_text("def f():\n    from ui.page.i18n import t\n")
    (tmp_path / "ui" / "draw" / "bars.py").write_text("import streamlit\n")
    (tmp_path / "ui" / "page" / "i18n.py").write_text("")
    (tmp_path / "ui" / "page" / "links.py").write_text("from ui.page import nav\nfrom ui.training import runs\n")
    (tmp_path / "ui" / "page" / "nav.py").write_text("def f():\n    from ui.page import links\n")
    (tmp_path / "ui" / "training" / "runs.py").write_text("")
    (tmp_path / ".importlinter").write_text(
        "[importlinter]\nroot_packages =\n    ui\n    streamlit\n\n" + _contract("drawings-without-streamlit")
        + "\n" + _contract("ui-layers") + "\n" + _contract("ui-acyclic"))
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 1 and "0 kept, 3 broken" in out.stdout, out.stdout[-3000:]
    assert "ui.draw.bars -> streamlit" in out.stdout
    assert "ui.draw.axes -> ui.page.i18n" in out.stdout and "ui.page.links -> ui.training.runs" in out.stdout
    assert "No cycles are allowed in ui.page" in out.stdout


def test_the_drawings_load_without_streamlit():
    """Importing every module of ui/draw in a fresh interpreter loads no Streamlit: the package
    above it (ui/__init__.py) loads its helpers only when a page asks for them."""
    names = sorted(p.stem for p in (ROOT / "ui" / "draw").glob("*.py") if p.stem != "__init__")
    code = ("import importlib, sys\n"
            f"for name in {names!r}:\n    importlib.import_module('ui.draw.' + name)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert len(names) >= 10 and out.stdout.strip() == "[]"
