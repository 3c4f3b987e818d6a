"""Field-by-field differences between two requirements versions (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str
    after: str


def _show(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return "; ".join(
            " · ".join(str(v) for v in item.values())
            if isinstance(item, dict)
            else str(item)
            for item in value
        )
    return str(value)


def diff(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    labels: Sequence[tuple[str, str]],
) -> list[FieldChange]:
    """The fields (in ``labels`` order) whose shown value differs between two versions."""
    changes = []
    for field, label in labels:
        old, new = _show(before.get(field)), _show(after.get(field))
        if old != new:
            changes.append(FieldChange(field, label, old, new))
    return changes
