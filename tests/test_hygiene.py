"""The suite's own house rules: test modules share code through conftest.py and helpers.py, never by
importing one another (a test module imported twice runs its module-level code twice, and its fixtures
leak into the importer)."""
from __future__ import annotations

import ast

from conftest import ROOT


def test_no_test_module_imports_another():
    found = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.name}:{node.lineno} imports {n}" for n in names
                      if n.rpartition(".")[2].startswith("test_")]
    assert found == []
