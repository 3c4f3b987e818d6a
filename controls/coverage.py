"""Whether a project meets a framework's controls, read off its checklist. Pure logic.

A control is satisfied by the project's checklist items made from the catalog items
the library maps to it. Per control:

- **not applicable** when none of those items is on the project's checklist (its data
  class, AI Act tier or frameworks leave them out) or every one is justified not
  applicable; the reason says which;
- **met** when every item is done or justified not applicable, and each done item has
  evidence where the control or the item asks for it;
- **in progress** when some are, or all are done but evidence is missing;
- **open** when none is.

A framework's coverage is its met controls over its applicable ones.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


class ControlStatus(enum.StrEnum):
    MET = "met"
    IN_PROGRESS = "in_progress"
    OPEN = "open"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    ControlStatus.MET: "Met",
    ControlStatus.IN_PROGRESS: "In progress",
    ControlStatus.OPEN: "Open",
    ControlStatus.NOT_APPLICABLE: "Not applicable",
}


@dataclass(frozen=True)
class ItemFact:
    """What coverage needs to know of one of the project's checklist items."""

    id: int
    template_id: int
    title: str
    step_number: int
    state: str  # projects.models.ItemState's values
    na_justification: str
    evidence_required: bool
    evidence_count: int

    @property
    def resolved(self) -> bool:
        return self.state in {"done", "not_applicable"}


@dataclass(frozen=True)
class ControlFact:
    id: int
    ref: str
    group: str
    title: str
    description: str
    evidence_required: bool
    template_ids: tuple[int, ...]


@dataclass(frozen=True)
class ControlCoverage:
    control: ControlFact
    status: ControlStatus
    items: tuple[ItemFact, ...]
    reason: str  # why not applicable, or what is missing; "" when met

    @property
    def applicable(self) -> bool:
        return self.status is not ControlStatus.NOT_APPLICABLE


@dataclass(frozen=True)
class FrameworkCoverage:
    controls: tuple[ControlCoverage, ...]

    def count(self, status: ControlStatus) -> int:
        return sum(1 for c in self.controls if c.status is status)

    @property
    def count_met(self) -> int:
        return self.count(ControlStatus.MET)

    @property
    def count_in_progress(self) -> int:
        return self.count(ControlStatus.IN_PROGRESS)

    @property
    def count_open(self) -> int:
        return self.count(ControlStatus.OPEN)

    @property
    def count_not_applicable(self) -> int:
        return self.count(ControlStatus.NOT_APPLICABLE)

    @property
    def applicable(self) -> int:
        return len(self.controls) - self.count_not_applicable

    @property
    def percent(self) -> int | None:
        """Met controls over applicable ones, rounded down; None when none applies."""
        if not self.applicable:
            return None
        return 100 * self.count_met // self.applicable


def control_coverage(
    control: ControlFact, items_by_template: Mapping[int, ItemFact]
) -> ControlCoverage:
    items = tuple(
        items_by_template[t] for t in control.template_ids if t in items_by_template
    )
    if not items:
        return ControlCoverage(
            control,
            ControlStatus.NOT_APPLICABLE,
            items,
            "None of its checklist items applies to this project.",
        )
    if all(item.state == "not_applicable" for item in items):
        reasons = "; ".join(f"{item.title}: {item.na_justification}" for item in items)
        return ControlCoverage(control, ControlStatus.NOT_APPLICABLE, items, reasons)
    lacking_evidence = [
        item
        for item in items
        if item.state == "done"
        and item.evidence_count == 0
        and (control.evidence_required or item.evidence_required)
    ]
    open_items = [item for item in items if not item.resolved]
    if not open_items and not lacking_evidence:
        return ControlCoverage(control, ControlStatus.MET, items, "")
    missing = [f"{len(open_items)} of {len(items)} items open"] if open_items else []
    if lacking_evidence:
        missing.append(
            f"evidence missing on {len(lacking_evidence)} done item"
            + ("s" if len(lacking_evidence) > 1 else "")
        )
    status = (
        ControlStatus.OPEN
        if len(open_items) == len(items)
        else ControlStatus.IN_PROGRESS
    )
    return ControlCoverage(control, status, items, "; ".join(missing))


def framework_coverage(
    controls: Iterable[ControlFact], items: Iterable[ItemFact]
) -> FrameworkCoverage:
    items_by_template = {item.template_id: item for item in items}
    return FrameworkCoverage(
        tuple(control_coverage(c, items_by_template) for c in controls)
    )
