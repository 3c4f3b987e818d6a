"""The shape issue 18 asks the code to keep, read from the source with ``ast``.

- No Python module is longer than about 600 lines: migrations and the ``*_data.py``
  modules (reference data written out as Python) are data, not code to read.
- Markup lives in templates: no string literal of the application (docstrings aside)
  holds an HTML tag.
- django-simple-history is used through its public API: nothing imports or reaches
  into a member whose name starts with an underscore.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 600
# Folders at the root that hold no Runway Python: the virtualenv, caches, the shared
# brief beside the checkout is outside ROOT already.
NOT_OURS = {"node_modules", "staticfiles", "media"}
# Tags of HTML and inline SVG (a tag's name follows ``<`` or ``</`` at once). Plotly's
# hover templates take ``<extra>``, its own tag.
HTML_TAG = re.compile(
    r"</?(?:a|abbr|b|br|button|caption|circle|code|dd|del|details|div|dl|dt|em"
    r"|form|g|h[1-6]|i|img|input|ins|label|li|line|mark|nav|ol|option|p|path"
    r"|polyline|pre|rect|section|select|small|span|strong|summary|svg|table|tbody"
    r"|td|text|th|thead|time|tr|ul)[\s>/]",
    re.IGNORECASE,
)


def _python_files(*, tests: bool) -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0].startswith(".") or parts[0] in NOT_OURS:
            continue
        if "migrations" in parts or path.name.endswith("_data.py"):
            continue
        if not tests and parts[0] == "tests":
            continue
        yield path


def _docstrings(tree: ast.Module) -> set[int]:
    """The ids of the constant nodes that are docstrings."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(
            node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
        ):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
            ):
                found.add(id(body[0].value))
    return found


def test_no_module_is_longer_than_600_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in _python_files(tests=True)
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_markup_is_written_in_python() -> None:
    found = []
    for path in _python_files(tests=False):
        tree = ast.parse(path.read_text(), str(path))
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and HTML_TAG.search(node.value)
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def test_the_markup_check_sees_a_tag_in_an_f_string() -> None:
    tree = ast.parse('row = f"<td>{name}</td>"\nnote = "0 < p <= 100"\n')
    hits = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and HTML_TAG.search(node.value)
    ]
    assert hits == [1, 1]  # the f-string's two constant parts, not the comparison


def _private_history_uses(tree: ast.Module) -> list[int]:
    """Lines that import a private simple_history member or read one off a name
    imported from simple_history."""
    lines = []
    from_history: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "simple_history"
        ):
            for alias in node.names:
                from_history.add(alias.asname or alias.name)
                if alias.name.startswith("_") or "._" in (node.module or ""):
                    lines.append(node.lineno)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("simple_history"):
                    from_history.add((alias.asname or alias.name).split(".")[0])
                    if "._" in alias.name:
                        lines.append(node.lineno)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in from_history:
                lines.append(node.lineno)
    return lines


def test_simple_history_is_used_through_its_public_api() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _python_files(tests=True)
        for line in _private_history_uses(ast.parse(path.read_text(), str(path)))
    ]
    assert found == []


def test_the_history_check_sees_a_private_member() -> None:
    source = (
        "from simple_history.models import HistoricalRecords, _history_user\n"
        "from simple_history import utils\n"
        "utils._bulk_history_create\n"
        "HistoricalRecords.thread\n"
    )
    assert _private_history_uses(ast.parse(source)) == [1, 3]
