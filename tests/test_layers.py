"""The layers hold (import-linter, contracts in .importlinter): the library never imports the
app's ui package nor Streamlit, whatever function an import hides in."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "2 kept, 0 broken" in out.stdout


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
