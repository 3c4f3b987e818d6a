"""At risk: one meaning everywhere (domain.md, "Live metrics").

A project is at risk when any signal below holds, and every page that says so lists
which. The signals known here are the owner's own flag, an overdue step and a stalled
current step; apps that know more (metrics: an open alert) add theirs with
``register_signal`` in their ``AppConfig.ready()``, so this app never imports them.

Each signal is a boolean column annotated on a project queryset, so the portfolio's
count and filter, the projects table, a project's overview and the read API all
compute it in SQL from the same expressions and read it back with
``risk_reasons``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.db.models.expressions import BaseExpression
from django.db.models.functions import Coalesce
from django.utils import timezone

from projects.models import ProjectStatus, ProjectStep, StepStatus

M = TypeVar("M", bound=Model)

OWNER_FLAGS = (ProjectStatus.AT_RISK, ProjectStatus.BLOCKED)


@dataclass(frozen=True)
class RiskSignal:
    column: str  # the boolean annotation, e.g. "has_open_alert"
    expression: Callable[
        [], BaseExpression | Q
    ]  # built per query: signals read the clock
    reason: Callable[[Any], str]  # the words for a project where it holds
    order: int  # where its reason goes: the owner's word, then alerts, then steps
    # A column the reason may quote (annotated as ``<column>_detail``), so that a
    # reason names specifics without a query per project.
    detail: Callable[[], BaseExpression] | None = None


def _owner_flag() -> Q:
    return Q(status__in=OWNER_FLAGS)


def _owner_reason(project: Any) -> str:
    return f"owner says {ProjectStatus(project.status).label.lower()}"


def _overdue_step() -> Exists:
    return Exists(
        ProjectStep.objects.filter(
            project=OuterRef("pk"), due_date__lt=timezone.localdate()
        ).exclude(status=StepStatus.DONE)
    )


def _stalled() -> Exists:
    """The current step (the lowest-numbered one not done) has work in it and no
    activity, sign-offs included, for the configured days."""
    stalled_before = timezone.now() - timedelta(days=settings.RUNWAY_STALLED_AFTER_DAYS)
    earlier_open = ProjectStep.objects.filter(
        project=OuterRef("project"), step__number__lt=OuterRef("step__number")
    ).exclude(status=StepStatus.DONE)
    return Exists(
        ProjectStep.objects.filter(project=OuterRef("pk"))
        .exclude(status__in=[StepStatus.DONE, StepStatus.NOT_STARTED])
        .annotate(active_at=Coalesce("last_activity_at", "started_at"))
        .filter(active_at__lt=stalled_before)
        .exclude(Exists(earlier_open))
    )


_SIGNALS: list[RiskSignal] = [
    RiskSignal("owner_says_at_risk", _owner_flag, _owner_reason, order=10),
    RiskSignal("has_overdue_step", _overdue_step, lambda p: "overdue step", order=30),
    RiskSignal("stalled", _stalled, lambda p: "stalled", order=40),
]


def register_signal(signal: RiskSignal) -> None:
    """Add a signal (once per column)."""
    if all(s.column != signal.column for s in _SIGNALS):
        _SIGNALS.append(signal)
        _SIGNALS.sort(key=lambda s: s.order)


def signals() -> tuple[RiskSignal, ...]:
    return tuple(_SIGNALS)


def signal_columns(*, details: bool = True) -> tuple[str, ...]:
    """The columns ``with_signals`` annotates: what ``risk_reasons`` reads; without
    the details, what ``at_risk_condition`` reads."""
    columns = tuple(s.column for s in _SIGNALS)
    if details:
        columns += tuple(f"{s.column}_detail" for s in _SIGNALS if s.detail)
    return columns


def with_risk(projects: QuerySet[M]) -> QuerySet[M]:
    """Projects with each signal's column annotated, and ``at_risk`` to filter on.

    ``at_risk`` is an alias, not a column: selected, it would repeat every signal's
    subqueries in each row (the ORM writes a referenced annotation out again). A count
    of projects at risk filters on ``at_risk_condition()`` over the signal columns."""
    annotated: QuerySet[M] = with_signals(projects).alias(  # type: ignore[assignment]
        at_risk=at_risk_condition()
    )
    return annotated


def with_signals(projects: QuerySet[M]) -> QuerySet[M]:
    """Projects with each signal's column annotated (and no ``at_risk`` to filter on):
    what ``risk_reasons`` reads."""
    annotated: QuerySet[M] = projects.annotate(
        **{s.column: s.expression() for s in _SIGNALS},
        **{f"{s.column}_detail": s.detail() for s in _SIGNALS if s.detail},
    )
    return annotated


def at_risk_condition() -> Q:
    """True for a row of ``with_risk`` where any signal holds."""
    condition = Q()
    for s in _SIGNALS:
        condition |= Q(**{s.column: True})
    return condition


def risk_reasons(project: Any) -> list[str]:
    """Why a project from ``with_risk`` is at risk, in words (no queries); empty when
    it is not."""
    return [s.reason(project) for s in _SIGNALS if getattr(project, s.column, False)]
