"""Reading a control library file: YAML in, a checked ``LibraryFile`` out, or a
``LibraryError`` naming the file and the line.

A library is one framework at one version (``controls/libraries/*.yaml``). Its shape
is the pydantic model below; ``controls/libraries/schema.json`` is that model's JSON
Schema, kept for editors and for people writing a library (a test keeps the two equal).
Pure: no database. Whether the checklist keys exist is the importer's question
(``controls.services.library_import``), asked with the line numbers kept here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

# The keys in the catalog's style (``projects.catalog_data``): ``s<step>-words``.
ITEM_KEY = r"^s[1-7]-[a-z0-9]+(?:-[a-z0-9]+)*$"
RELEASED = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"
SOURCE = r"^(https?://\S+)?$"
# A line number rides along each mapping under this key while the file is checked.
_LINE = "__line__"
# Each key's own line, so that an error about a value points at the value's line.
_KEY_LINES = "__key_lines__"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class ControlSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ref: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ] = Field(
        description="The framework's own reference (an article, clause or criterion)."
    )
    group: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
    ]
    title: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
    description: Text
    evidence: bool = Field(
        False,
        description="Each mapped item that is done needs evidence for the control to be met.",
    )
    items: list[Annotated[str, StringConstraints(pattern=ITEM_KEY)]] = Field(
        min_length=1,
        description="Keys of the checklist catalog's items that satisfy this control.",
    )


class LibrarySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    framework: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,40}$")] = Field(
        description="The code of a framework Runway knows (hipaa, soc2, gdpr...)."
    )
    version: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ]
    released: Annotated[str, StringConstraints(pattern=RELEASED)] = Field(
        description="When this version was published, as precisely as known "
        "(YYYY, YYYY-MM or YYYY-MM-DD): the newest version is the latest released."
    )
    title: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
    source: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=500, pattern=SOURCE)
    ] = Field("", description="Where the public text is: an http(s) address.")
    controls: list[ControlSpec] = Field(min_length=1)


@dataclass(frozen=True)
class LibraryFile:
    """A library as read from its file: the checked content and where each control is."""

    name: str
    spec: LibrarySpec
    control_lines: tuple[int, ...]  # the line each control starts on, in file order
    framework_line: int = 1  # the line naming the framework

    def where(self, index: int) -> str:
        return f"{self.name}, line {self.control_lines[index]}"


class LibraryError(ValueError):
    """The file is not a valid library; the message names the file and line."""


class _LineLoader(yaml.SafeLoader):
    """Safe YAML that remembers the line each mapping starts on, and refuses what a
    library never needs and a hand-edited file gets wrong: aliases (a file could
    refer to itself) and a key given twice (the last would silently win)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(
                problem="aliases (*name) are not allowed in a library",
                problem_mark=mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(
        self, node: yaml.MappingNode, deep: bool = False
    ) -> dict[Any, Any]:
        key_lines: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (list, dict)):
                raise yaml.MarkedYAMLError(
                    problem="a key must be plain text, not a list or a mapping",
                    problem_mark=key_node.start_mark,
                )
            if key in key_lines:
                raise yaml.MarkedYAMLError(
                    problem=f"the key {key!r} is given twice",
                    problem_mark=key_node.start_mark,
                )
            key_lines[key] = key_node.start_mark.line + 1
        mapping = super().construct_mapping(node, deep=deep)
        mapping[_LINE] = node.start_mark.line + 1
        mapping[_KEY_LINES] = key_lines
        return mapping


def schema() -> dict[str, Any]:
    """The JSON Schema of a library file."""
    return LibrarySpec.model_json_schema()


def schema_text() -> str:
    return json.dumps(schema(), indent=2, sort_keys=True) + "\n"


def read(name: str, text: str) -> LibraryFile:
    """Parse and check one library file's text; ``name`` is how errors call it."""
    try:
        raw = yaml.load(text, Loader=_LineLoader)  # noqa: S506  (a SafeLoader subclass)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise LibraryError(f"{name}{line}: {problem}") from error
    if not isinstance(raw, dict):
        raise LibraryError(
            f"{name}, line 1: a library is a mapping with framework, version, title and controls"
        )
    try:
        spec = LibrarySpec.model_validate(_without_lines(raw))
    except ValidationError as error:
        first = error.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        raise LibraryError(
            f"{name}, line {_line_of(raw, first['loc'])}: {location}: {first['msg']}"
        ) from error
    lines = tuple(control[_LINE] for control in raw["controls"])
    seen: dict[str, int] = {}
    for index, control in enumerate(spec.controls):
        if control.ref in seen:
            raise LibraryError(
                f"{name}, line {lines[index]}: control {control.ref} appears twice "
                f"(first on line {seen[control.ref]})"
            )
        seen[control.ref] = lines[index]
    return LibraryFile(
        name=name,
        spec=spec,
        control_lines=lines,
        framework_line=_line_of_key(raw, "framework"),
    )


def _without_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _without_lines(v)
            for k, v in value.items()
            if k not in (_LINE, _KEY_LINES)
        }
    if isinstance(value, list):
        return [_without_lines(v) for v in value]
    return value


def _line_of_key(raw: dict[str, Any], key: str) -> int:
    """The line a top-level key of the file is on (1 if it has none)."""
    return int(raw.get(_KEY_LINES, {}).get(key, raw.get(_LINE, 1)))


def _line_of(raw: dict[str, Any], loc: tuple[int | str, ...]) -> int:
    """The line of the innermost key (or, for a missing key, the innermost mapping)
    on the path to an error."""
    line = int(raw.get(_LINE, 1))
    node: Any = raw
    for part in loc:
        if isinstance(node, dict):
            line = int(node.get(_KEY_LINES, {}).get(part, line))
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict):
            line = int(node.get(_LINE, line))
    return line
