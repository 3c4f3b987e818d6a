"""Dependencies run one way: core <- projects <- assessments <- risks <- metrics <-
controls <- inventory <- telemetry <- integrations <- portal.

Read from the source with ``ast``: an import anywhere in a module counts (inside a
function too), except under ``if TYPE_CHECKING:``, which only the type checker runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = [
    "core",
    "projects",
    "assessments",
    "risks",
    "metrics",
    "controls",
    "inventory",
    "telemetry",
    "integrations",
    "evaluations",
    "portal",
]
# The user model stays in portal while moving it would need a data migration.
ALLOWED_UPWARD = {"portal.models"}


def _modules() -> dict[str, Path]:
    found = {}
    for package in LAYERS:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The Runway modules ``module`` imports at run time."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")
                if path.name != "__init__.py":
                    package = package[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                names.add(candidate if candidate in known else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    return {name for name in names if name in known}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def test_no_app_imports_an_app_above_it() -> None:
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for target in targets
        if _layer(target) > _layer(module) and target not in ALLOWED_UPWARD
    )
    assert upward == []


def test_core_imports_no_runway_app() -> None:
    graph = _graph()
    assert {
        module: sorted(t for t in targets if not t.startswith("core"))
        for module, targets in graph.items()
        if module.startswith("core") and any(not t.startswith("core") for t in targets)
    } == {}


def test_no_import_cycle() -> None:
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    path: list[str] = []

    def walk(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if target == module:
                continue
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                walk(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module)
    assert [" -> ".join(c) for c in cycles] == []


@pytest.mark.parametrize(
    "module", ["projects.selectors", "metrics.ingest", "portal.selectors"]
)
def test_the_reader_sees_imports(module: str) -> None:
    # Guards the test itself: a reader that saw nothing would pass every check above.
    assert _graph()[module]
