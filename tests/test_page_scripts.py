"""Streamlit's "magic" is off (.streamlit/config.toml): a bare expression in app.py or a page would
draw nothing where a reader of the code expects it to. Every expression statement in them is a
call or a docstring, so the page shows exactly what its st.* calls draw."""

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


def _bare_expressions(source: str) -> list[int]:
    """Lines of expression statements that are neither a call nor a docstring."""
    tree = ast.parse(source)
    bodies = [node.body for node in ast.walk(tree)
              if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    docstrings = {id(body[0]) for body in bodies
                  if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                  and isinstance(body[0].value.value, str)}
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and id(node) not in docstrings
            and not isinstance(node.value, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom))]


def test_magic_is_off():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["magicEnabled"] is False


def test_no_page_script_leaves_a_bare_expression():
    assert len(SCRIPTS) == 16                      # app.py and the 15 pages
    assert not {p.name: lines for p in SCRIPTS if (lines := _bare_expressions(p.read_text(encoding="utf-8")))}


def test_the_check_finds_a_bare_expression():
    source = '"""Docstring."""\nimport streamlit as st\n\ndef f():\n    """Doc."""\n    st.write(1)\n\nx = 1\nx\n"a string"\n'
    assert _bare_expressions(source) == [9, 10]
