"""The layers hold (import-linter, contracts in .importlinter): the library never imports the
app's ui package nor Streamlit, its parts import only the ones below them (cli, jobs and export,
predict, inspection, training, store and data, nets), and inside jobs the runner sits above its
executors, they above the worker; whatever function an import hides in, so no cycle hides."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "4 kept, 0 broken" in out.stdout


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
