"""No library module over 300 lines (issue 28): a module that grows past that holds two ideas,
and is split by idea, as jobs/runner.py and jobs/submit.py were."""

from pathlib import Path

LIMIT = 300
LIBRARY = Path(__file__).resolve().parents[1] / "resnet_core"


def test_no_library_module_is_over_300_lines():
    sizes = {str(p.relative_to(LIBRARY)): len(p.read_text(encoding="utf-8").splitlines())
             for p in LIBRARY.rglob("*.py")}
    assert len(sizes) > 50                       # the walk found the library
    assert not {name: n for name, n in sizes.items() if n > LIMIT}
