"""Which step-1 checklist items a requirements version satisfies by itself.

Approving a version is step 1's sign-off; the items below ask for exactly what the
document holds, so approving one that fills them ticks them (with the version as
their evidence) instead of asking the PM to say it twice. Items the document cannot
show stay the PM's to tick: the model choice, the build-vs-partner score, fallback
behaviour, and the items that ask for more than the document's one number (latency
per interaction type, what counts as an error, maintenance windows beside uptime, a
cost-per-request ceiling beside the budget).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Values = Mapping[str, Any]


def _filled(*fields: str) -> Callable[[Values], bool]:
    def holds(values: Values) -> bool:
        return all(values.get(f) not in (None, "", [], {}) for f in fields)

    return holds


def _any_filled(*fields: str) -> Callable[[Values], bool]:
    def holds(values: Values) -> bool:
        return any(values.get(f) not in (None, "", [], {}) for f in fields)

    return holds


# Catalog key of a step-1 item -> whether a version's values satisfy it.
SATISFIED_BY: dict[str, Callable[[Values], bool]] = {
    "s1-users-and-volume": _filled("users", "requests_per_day", "peak_rps"),
    "s1-quality-target": _filled("quality_score_name", "quality_score_target"),
    "s1-data-classification": _filled("data_classification"),
    "s1-compliance-scope": _filled("compliance_needs"),
    "s1-infra-constraints": _any_filled(
        "cloud", "region", "infrastructure_constraints"
    ),
    "s1-integration-points": _filled("integration_points"),
    "s1-success-criteria": _filled("success_criteria"),
    # Approval is what this item asks for.
    "s1-requirements-approved": lambda values: True,
}


def satisfied_items(values: Values) -> set[str]:
    """The catalog keys of the step-1 items ``values`` (a version's) satisfy."""
    return {key for key, holds in SATISFIED_BY.items() if holds(values)}
