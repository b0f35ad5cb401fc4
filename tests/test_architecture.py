"""The shape of the code: which package may import what, no import cycles, a purpose per module.

Imports are read from the source (``ast``), function-local ones included:
an import inside a function still ties two modules together. Imports under
``if TYPE_CHECKING:`` are left out (they never run).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("geo", "api", "maps")
#: What each package must never import, directly or from a function.
FORBIDDEN = {
    "geo": ("fastapi", "starlette", "folium", "branca", "jinja2", "uvicorn", "api", "maps"),
    "maps": ("fastapi", "starlette", "uvicorn", "api"),
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imported(name: str, path: Path) -> Iterator[str]:
    """Yield every module name ``name`` imports (absolute), TYPE_CHECKING blocks aside."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            subs = [f"{base}.{alias.name}" for alias in node.names]
            named = [s for s in subs if s in MODULES]
            yield from named
            if len(named) < len(subs):
                yield base


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _owner(imported: str) -> str | None:
    """The module of ours that ``imported`` names (``geo.radius.within`` -> ``geo.radius``)."""
    while imported and imported not in MODULES:
        imported = imported.rpartition(".")[0]
    return imported or None


GRAPH = {
    name: {owner for owner in map(_owner, _imported(name, path)) if owner and owner != name}
    for name, path in MODULES.items()
}


@pytest.mark.parametrize("package", list(FORBIDDEN))
def test_a_package_imports_only_what_the_design_allows(package: str) -> None:
    bad = sorted(
        f"{name} imports {imported}"
        for name, path in MODULES.items() if name.split(".")[0] == package
        for imported in _imported(name, path)
        if imported.split(".")[0] in FORBIDDEN[package]
    )
    assert not bad, "\n".join(bad)


def test_no_import_cycles() -> None:
    cycles = _strongly_connected(GRAPH)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_every_module_says_what_it_holds() -> None:
    silent = sorted(str(path.relative_to(ROOT)) for path in [*MODULES.values(),
                                                             *ROOT.glob("tests/**/*.py")]
                    if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))))
    assert not silent, f"modules without a docstring: {silent}"


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]]


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Components of more than one module (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found
