"""A statement of applicability: each control of a framework, whether it applies to
the project and why, how it is met and the evidence behind it. One reading feeds the
page, the CSV and the PDF."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from controls.coverage import ControlCoverage, FrameworkCoverage, ItemFact

# (evidence id, label, link); a file's link is empty and made by ``file_link``.
EvidenceRef = tuple[int, str, str]

HEADER = (
    "Reference",
    "Group",
    "Control",
    "Applicable",
    "Status",
    "Reason or how it is met",
    "Checklist items",
    "Evidence",
)


@dataclass(frozen=True)
class Evidence:
    label: str
    link: str


@dataclass(frozen=True)
class SoaRow:
    coverage: ControlCoverage
    how: str  # why it does not apply, else how it is met (or what is missing)
    items: tuple[str, ...]  # each item with its state
    evidence: tuple[Evidence, ...]

    def cells(self) -> tuple[str, ...]:
        control = self.coverage.control
        return (
            control.ref,
            control.group,
            control.title,
            "Yes" if self.coverage.applicable else "No",
            self.coverage.status.label,
            self.how,
            "\n".join(self.items),
            "\n".join(f"{e.label} <{e.link}>" for e in self.evidence),
        )


_STATE = {"done": "done", "open": "open", "not_applicable": "not applicable"}


def _item_line(item: ItemFact) -> str:
    line = (
        f"Step {item.step_number}: {item.title} ({_STATE.get(item.state, item.state)})"
    )
    if item.state == "not_applicable" and item.na_justification:
        line += f": {item.na_justification}"
    return line


def _how(coverage: ControlCoverage) -> str:
    if not coverage.applicable or coverage.reason:
        return coverage.reason
    done = sum(1 for item in coverage.items if item.state == "done")
    return f"Met by {done} done checklist item{'s' if done != 1 else ''}" + (
        " with evidence" if coverage.control.evidence_required else ""
    )


def statement(
    coverage: FrameworkCoverage,
    evidence: dict[int, list[EvidenceRef]],
    file_link: Callable[[int], str],
) -> list[SoaRow]:
    """The statement's rows in the library's order; ``file_link`` makes the absolute
    download link of an uploaded file from its evidence id."""
    rows = []
    for c in coverage.controls:
        refs = [ref for item in c.items for ref in evidence.get(item.id, [])]
        rows.append(
            SoaRow(
                coverage=c,
                how=_how(c),
                items=tuple(_item_line(item) for item in c.items),
                evidence=tuple(
                    Evidence(label, link or file_link(pk)) for pk, label, link in refs
                ),
            )
        )
    return rows


def csv_rows(rows: list[SoaRow]) -> Iterator[tuple[str, ...]]:
    yield HEADER
    for row in rows:
        yield row.cells()
