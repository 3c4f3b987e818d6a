"""Exit gates: a step's gate is a list of named checks, each passing or failing with a reason.

The built-in checks are pure functions over ``GateData``, which a selector loads in a
few queries. Higher apps add checks (requirements approved, live metrics) through
``register_check`` in their ``AppConfig.ready()``, so this app never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from projects.models import Project


@dataclass(frozen=True)
class GateItem:
    """A checklist item a failing check names: the step page links to its row."""

    pk: int
    title: str

    @property
    def anchor(self) -> str:
        return f"item-{self.pk}"


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    reason: str
    # The items behind a failure, every one of them, and the words before their list:
    # the step page shows ``lead`` and links to each item instead of the plain reason.
    items: tuple[GateItem, ...] = ()
    lead: str = ""


@dataclass(frozen=True)
class ItemFacts:
    title: str
    required: bool
    state: str  # ItemState value
    evidence_required: bool
    evidence_count: int
    na_justification: str
    pk: int = 0


@dataclass(frozen=True)
class SignOffFacts:
    role: str
    status: str  # SignOffStatus value
    signer: str


@dataclass(frozen=True)
class GateData:
    """Everything the built-in checks need about one project step, as plain values."""

    step_number: int
    earlier_steps_not_done: list[str]
    items: list[ItemFacts]
    signoff_roles: list[str]
    signoffs: list[SignOffFacts]
    operating_owner: str | None


@dataclass(frozen=True)
class GateResult:
    step_number: int
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def failures(self) -> list[CheckResult]:
        return [check for check in self.checks if not check.passed]


def _listing(titles: list[str]) -> str:
    """Every title: a gate names all that is missing, never "and 4 more"."""
    return "; ".join(f"“{t}”" for t in titles)


def _item_failure(name: str, lead: str, items: list[ItemFacts]) -> CheckResult:
    """A failing check about items: the reason names every one, and the items are
    kept so that the step page links to each."""
    return CheckResult(
        name,
        False,
        f"{lead} {_listing([i.title for i in items])}.",
        items=tuple(GateItem(i.pk, i.title) for i in items),
        lead=lead,
    )


def check_earlier_steps(data: GateData) -> CheckResult:
    if data.earlier_steps_not_done:
        return CheckResult(
            "Earlier steps done",
            False,
            "Finish the earlier steps first: "
            + ", ".join(data.earlier_steps_not_done)
            + ".",
        )
    return CheckResult("Earlier steps done", True, "Every earlier step is done.")


def check_required_items(data: GateData) -> CheckResult:
    name = "Required items done"
    open_items = [i for i in data.items if i.required and i.state == "open"]
    unjustified = [
        i
        for i in data.items
        if i.required and i.state == "not_applicable" and not i.na_justification.strip()
    ]
    if open_items:
        return _item_failure(
            name, f"{len(open_items)} required item(s) still open:", open_items
        )
    if unjustified:
        return _item_failure(
            name, "Not applicable without a justification:", unjustified
        )
    required = sum(1 for i in data.items if i.required)
    return CheckResult(
        name, True, f"All {required} required items are done or not applicable."
    )


def check_evidence(data: GateData) -> CheckResult:
    name = "Evidence attached"
    missing = [
        i
        for i in data.items
        if i.evidence_required and i.state == "done" and i.evidence_count == 0
    ]
    if missing:
        return _item_failure(name, "Evidence is required but missing for:", missing)
    return CheckResult(name, True, "Every item that needs evidence has it.")


ROLE_LABELS = {
    "owner": "the owner",
    "lead": "the engineering lead",
    "reviewer": "a reviewer",
}


def check_signoffs(data: GateData) -> CheckResult:
    name = "Sign-offs"
    missing = []
    for role in data.signoff_roles:
        approved = [
            s for s in data.signoffs if s.role == role and s.status == "approved"
        ]
        if not approved:
            missing.append(ROLE_LABELS.get(role, role))
    if missing:
        return CheckResult(
            name, False, "Needs a sign-off by " + " and ".join(missing) + "."
        )
    if not data.signoff_roles:
        return CheckResult(name, True, "This step needs no sign-off.")
    return CheckResult(name, True, "Signed off.")


def check_operating_owner(data: GateData) -> CheckResult:
    name = "Operating owner named"
    if data.operating_owner:
        return CheckResult(name, True, f"{data.operating_owner} runs it in production.")
    return CheckResult(
        name, False, "Name the operating owner, who runs the system in production."
    )


BUILT_IN: list[tuple[set[int], Callable[[GateData], CheckResult]]] = [
    (set(range(1, 8)), check_earlier_steps),
    (set(range(1, 8)), check_required_items),
    (set(range(1, 8)), check_evidence),
    (set(range(1, 8)), check_signoffs),
    ({7}, check_operating_owner),
]

# Checks from other apps: they receive the project and the step number and load
# what they need themselves.
ExternalCheck = Callable[["Project", int], CheckResult]
_registry: list[tuple[set[int], ExternalCheck]] = []


def register_check(step_numbers: set[int], check: ExternalCheck) -> None:
    """Add a check to the gates of ``step_numbers`` (idempotent)."""
    if not any(existing is check for _, existing in _registry):
        _registry.append((set(step_numbers), check))


def evaluate(data: GateData, project: Project | None = None) -> GateResult:
    """Run every check that applies to ``data.step_number``."""
    checks = [check(data) for steps, check in BUILT_IN if data.step_number in steps]
    if project is not None:
        checks += [
            check(project, data.step_number)
            for steps, check in _registry
            if data.step_number in steps
        ]
    return GateResult(step_number=data.step_number, checks=checks)
