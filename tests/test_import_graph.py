"""The packages of fieldkit form layers: no import cycle between packages, and the layering of
docs/contributing.md ("Layout"). Every import counts, at module level or inside a function
(a lazy import still ties the two packages together), absolute or relative."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "fieldkit"

# The layers of docs/contributing.md ("Layout"), lowest first: a package or top-level module
# imports only from layers below its own. A new one is placed here, where its imports put it.
LAYERS: list[set[str]] = [
    {"fieldkit", "errors", "lang", "paths", "safezip", "cells", "versions"},
    {"text", "safeio"},
    {"yamlsafe"},
    {"sla", "config", "ping"},
    {"checklist"},
    {"records", "data_files"},
    {"walk", "followups"},
    {"bundle", "report"},
    {"server", "sync", "ui"},
    {"cli"},
    {"__main__"},
]
# What the top layers may be imported by: the terminal only by the commands, the centre's
# server and the sync client by nothing but the commands that start them.
IMPORTED_ONLY_BY = {
    "cli": {"__main__"},
    "ui": {"cli"},
    "server": {"cli"},
    "sync": {"cli"},
}

Edge = tuple[str, str]  # (importing package, imported package)
Where = dict[Edge, list[str]]  # the first few `module.py:line` that make each edge


def module_name(path: Path, root: Path) -> str:
    """`fieldkit/records/store.py` -> `fieldkit.records.store`; a package is its __init__."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.Module, module: str, is_package: bool) -> Iterator[tuple[str, int]]:
    """Every module `module` imports anywhere in its body, relative imports made absolute;
    `from X import name` gives `X.name` (a module, or a name in X)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module.split(".") if is_package else module.split(".")[:-1]
                anchor = here[: len(here) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


def top_level(module: str, known: set[str]) -> str | None:
    """The package or top-level module of fieldkit that `module` belongs to (`fieldkit` for
    the root package and the names in it); None: not ours."""
    parts = module.split(".")
    if parts[0] != "fieldkit":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in known else "fieldkit"


def package_graph(root: Path) -> tuple[dict[str, set[str]], Where]:
    """The import graph between fieldkit's top-level packages and modules."""
    files = sorted(root.rglob("*.py"))
    known = {path.relative_to(root).parts[0].removesuffix(".py") for path in files}
    known.discard("__init__")
    graph: dict[str, set[str]] = {"fieldkit": set()} | {name: set() for name in known}
    where: Where = {}
    for path in files:
        module = module_name(path, root)
        source = top_level(module, known)
        assert source is not None
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for imported, line in imported_modules(tree, module, path.name == "__init__.py"):
            target = top_level(imported, known)
            if target is None or target == source:
                continue
            graph[source].add(target)
            sites = where.setdefault((source, target), [])
            site = f"{path.relative_to(root.parent)}:{line}"
            if len(sites) < 3 and site not in sites:
                sites.append(site)
    return graph, where


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
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
                    components.append(sorted(component))
    return components


def cycle_problems(graph: dict[str, set[str]], where: Where) -> list[str]:
    """One line per import inside a component of more than one package: what to untie."""
    problems = []
    for component in strongly_connected(graph):
        if len(component) < 2:
            continue
        problems.append(f"import cycle between {', '.join(component)}:")
        for source in component:
            for target in sorted(graph[source] & set(component)):
                sites = ", ".join(where.get((source, target), []))
                problems.append(f"  {source} -> {target} ({sites})")
    return problems


def test_no_import_cycle_between_packages() -> None:
    graph, where = package_graph(PACKAGE_DIR)
    problems = cycle_problems(graph, where)
    assert not problems, "\n".join(problems)


def test_every_package_imports_only_from_the_layers_below() -> None:
    graph, where = package_graph(PACKAGE_DIR)
    layer = {name: number for number, names in enumerate(LAYERS) for name in names}
    unplaced = sorted(set(graph) - set(layer))
    assert not unplaced, f"place {', '.join(unplaced)} in LAYERS (and docs/contributing.md)"
    upward = [
        f"{source} (layer {layer[source]}) imports {target} (layer {layer[target]}): "
        f"{', '.join(where[(source, target)])}"
        for source, targets in sorted(graph.items())
        for target in sorted(targets)
        if layer[target] >= layer[source]
    ]
    assert not upward, "\n".join(upward)


@pytest.mark.parametrize("imported", sorted(IMPORTED_ONLY_BY))
def test_layering(imported: str) -> None:
    graph, where = package_graph(PACKAGE_DIR)
    importers = {source for source, targets in graph.items() if imported in targets}
    wrong = sorted(importers - IMPORTED_ONLY_BY[imported])
    assert not wrong, "\n".join(
        f"{source} imports {imported} ({', '.join(where[(source, imported)])}); "
        f"only {', '.join(sorted(IMPORTED_ONLY_BY[imported]))} may"
        for source in wrong
    )


def _write(root: Path, files: dict[str, str]) -> Path:
    package = root / "fieldkit"
    for name, text in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package


def test_a_lazy_relative_import_closes_a_cycle_and_is_named(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "__init__.py": "",
            "low/__init__.py": "",
            "low/models.py": "def label():\n    from ..high import view\n    return view\n",
            "high/__init__.py": "",
            "high/view.py": "from fieldkit.low.models import label\n",
            "alone.py": "from fieldkit import low\n",
        },
    )
    graph, where = package_graph(package)
    assert graph["low"] == {"high"} and graph["high"] == {"low"} and graph["alone"] == {"low"}
    assert cycle_problems(graph, where) == [
        "import cycle between high, low:",
        "  high -> low (fieldkit/high/view.py:1)",
        "  low -> high (fieldkit/low/models.py:2)",
    ]


def test_imports_within_one_package_and_from_outside_are_no_edges(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "__init__.py": "",
            "sla.py": "import json\nfrom fieldkit.text import Text\n",
            "text.py": "from typing import Any\n",
            "records/__init__.py": "from . import store\n",
            "records/store.py": "from .models import X\nfrom fieldkit import sla\n",
        },
    )
    graph, where = package_graph(package)
    assert graph == {"fieldkit": set(), "sla": {"text"}, "text": set(), "records": {"sla"}}
    assert cycle_problems(graph, where) == []


def test_a_long_cycle_is_found(tmp_path: Path) -> None:
    names = [f"p{number}" for number in range(6)]
    files = {"__init__.py": ""}
    for number, name in enumerate(names):
        following = names[(number + 1) % len(names)]
        files[f"{name}.py"] = f"def f():\n    import fieldkit.{following}\n"
    graph, where = package_graph(_write(tmp_path, files))
    assert sorted(strongly_connected(graph)) == [["fieldkit"], names]
    assert cycle_problems(graph, where)[0] == f"import cycle between {', '.join(names)}:"
