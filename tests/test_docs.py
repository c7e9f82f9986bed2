"""The code in the docs imports what exists: a reader who copies a page's example from
docs/*.md or the README gets no ImportError on its first line."""

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _imports(path: Path) -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if re.match(r"(from \S+ import |import )", line)]


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_every_import_in_the_docs_works(path):
    for line in _imports(path):
        match = re.match(r"from (\S+) import (.+)", line)
        if match:
            module = importlib.import_module(match.group(1))
            names = [n.strip().split(" as ")[0] for n in match.group(2).strip("()").split(",") if n.strip()]
            for name in names:
                assert hasattr(module, name) or importlib.util.find_spec(f"{module.__name__}.{name}"), \
                    f"{path.name}: {line}"
        else:
            importlib.import_module(line.split()[1].split(".")[0])


def test_the_check_reads_the_pages_guide():
    assert "from resnet_core.nets import flops" in _imports(ROOT / "docs" / "pages.md")
