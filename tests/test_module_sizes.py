"""No module over 300 lines in the library, the app's ui/ or its pages (issue 28): a module that
grows past that holds two ideas, and is split by idea, as jobs/runner.py and jobs/submit.py
were, and as the Gradient flow and BatchNorm pages gave their figures to ui/draw."""

from pathlib import Path

LIMIT = 300
ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "resnet_core"


def test_no_library_module_is_over_300_lines():
    sizes = {str(p.relative_to(LIBRARY)): len(p.read_text(encoding="utf-8").splitlines())
             for p in LIBRARY.rglob("*.py")}
    assert len(sizes) > 50                       # the walk found the library
    assert not {name: n for name, n in sizes.items() if n > LIMIT}


def test_no_app_module_or_page_is_over_300_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
             for folder in ("ui", "pages") for p in (ROOT / folder).rglob("*.py")}
    assert len(sizes) > 50 and "pages/gradients.py" in sizes and "ui/draw/canvas.py" in sizes
    assert not {name: n for name, n in sizes.items() if n > LIMIT}
