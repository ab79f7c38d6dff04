"""The web package has no import circle: every import between its modules, also one inside a function, is an edge of
a graph built from the source with ``ast`` (imports under ``if TYPE_CHECKING:`` do not run and are left out), and
the graph has no cycle. A second check makes sure the graph is built at all: a circle written into a copy is found."""
from __future__ import annotations

import ast
import shutil
from pathlib import Path

import docgen.web

WEB = Path(docgen.web.__file__).parent


def _module_names(root: Path, package: str) -> dict[str, Path]:
    out = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([package, *parts])] = path
    return out


def _type_checking_only(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _imports(tree: ast.AST):
    """Every import statement in the tree, at any depth, except those under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if _type_checking_only(node):
            yield from (i for n in node.orelse for i in _imports(ast.Module(body=[n], type_ignores=[])))
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        yield from _imports(node)


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module -> the modules of ``package`` it imports (``from . import x`` names the module ``x``)."""
    modules = _module_names(root, package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = here
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = (f"{base}.{node.module}" if node.module else base) if node.level else node.module
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles: each strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_web_package_has_no_import_circle():
    graph = import_graph(WEB, "docgen.web")
    assert graph["docgen.web.pages"] >= {"docgen.web.cases", "docgen.web.submit"}  # the graph sees the imports
    assert "docgen.web.api" in graph["docgen.web.app"]  # ... also those inside a function
    assert cycles(graph) == []


def test_a_circle_is_found(tmp_path):
    copy = tmp_path / "web"
    shutil.copytree(WEB, copy, ignore=shutil.ignore_patterns("__pycache__", "templates", "static"))
    assert cycles(import_graph(copy, "docgen.web")) == []
    with (copy / "problems.py").open("a", encoding="utf-8") as f:
        f.write("\n\ndef _late():\n    from .pages import page\n    return page\n")
    with (copy / "fmt.py").open("a", encoding="utf-8") as f:
        f.write("\nif TYPE_CHECKING:\n    from .app import create_app\n")
    found = cycles(import_graph(copy, "docgen.web"))
    assert found and all("docgen.web.fmt" not in group for group in found)
    assert any({"docgen.web.problems", "docgen.web.pages"} <= set(group) for group in found)
