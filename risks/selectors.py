"""Reads of risk registers and of the risks across projects."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)

from core import lookups  # noqa: F401  (registers ``any_of``: the portfolio's ids)
from projects.models import ChecklistItem, ItemState, Project
from risks.models import (
    LIVE_STATUSES,
    AcceptanceStatus,
    Risk,
    RiskAcceptance,
    RiskStatus,
)
from risks.scoring import SCALE

RESIDUAL_SCORE = F("residual_likelihood") * F("residual_impact")


def high_residual_risk() -> Exists:
    """A project carries a risk whose residual score reaches the acceptance threshold
    and that no acceptance covers (an "at risk" signal, ``projects.risk``)."""
    return Exists(
        Risk.objects.filter(
            project=OuterRef("pk"),
            status__in=[RiskStatus.OPEN, RiskStatus.MITIGATED],
        )
        .alias(score=RESIDUAL_SCORE)
        .filter(score__gte=settings.RUNWAY_RISK_ACCEPTANCE_THRESHOLD)
    )


def _with_mitigation_counts(risks: QuerySet[Risk]) -> QuerySet[Risk]:
    return risks.annotate(
        mitigations_total=Count("mitigations", distinct=True),
        mitigations_open=Count(
            "mitigations",
            filter=Q(mitigations__state=ItemState.OPEN),
            distinct=True,
        ),
    )


@dataclass(frozen=True)
class Register:
    suggestions: list[Risk]
    risks: list[Risk]  # open, mitigated, accepted: the register proper
    closed: list[Risk]  # closed and dismissed, for the record


def project_register(project: Project) -> Register:
    """The project's risks with their owners, mitigations (and their steps) and
    acceptances: three queries whatever the number of risks."""
    rows = list(
        _with_mitigation_counts(Risk.objects.filter(project=project))
        .select_related("owner", "source")
        .prefetch_related(
            Prefetch(
                "mitigations",
                queryset=ChecklistItem.objects.select_related("step").order_by(
                    "step__number", "order", "id"
                ),
            ),
            Prefetch(
                "acceptances",
                queryset=RiskAcceptance.objects.select_related(
                    "requested_by", "decided_by"
                ),
            ),
        )
        .alias(score=RESIDUAL_SCORE)
        .order_by("-score", "title", "pk")
    )
    return Register(
        suggestions=[r for r in rows if r.status == RiskStatus.SUGGESTED],
        risks=[r for r in rows if r.status in LIVE_STATUSES],
        closed=[
            r for r in rows if r.status in (RiskStatus.CLOSED, RiskStatus.DISMISSED)
        ],
    )


def pending_acceptances(*, for_projects: Iterable[int] | None = None) -> QuerySet[Any]:
    """Acceptances waiting for an executive, oldest first."""
    pending = RiskAcceptance.objects.filter(status=AcceptanceStatus.PENDING)
    if for_projects is not None:
        pending = pending.filter(risk__project__in=list(for_projects))
    return pending.select_related("risk__project", "requested_by").order_by(
        "requested_at", "pk"
    )


@dataclass(frozen=True)
class RiskHeatMap:
    # counts[impact][likelihood], impact 5 (top row) down to 1
    rows: list[tuple[int, list[int]]]
    total: int


def residual_heat_map(project_ids: Iterable[int]) -> RiskHeatMap:
    """Live risks of the projects counted by residual likelihood × impact."""
    counts = {
        (row["residual_likelihood"], row["residual_impact"]): row["n"]
        for row in Risk.objects.filter(
            project__any_of=list(project_ids), status__in=LIVE_STATUSES
        )
        .values("residual_likelihood", "residual_impact")
        .annotate(n=Count("pk"))
        .order_by()
    }
    rows = [
        (impact, [counts.get((likelihood, impact), 0) for likelihood in SCALE])
        for impact in reversed(SCALE)
    ]
    return RiskHeatMap(rows=rows, total=sum(counts.values()))
