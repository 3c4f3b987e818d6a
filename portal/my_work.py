"""Reads for "My work": what waits for one person, across the projects they may see.

Five lists, each read with one query whatever its length (its rows up to a cap, with
the full count beside each row as a window aggregate), so the page costs the same for
someone with three things to do and someone with three hundred. Only projects the
person may still see and that are not archived count; finished work does not.

Lives in the portal because it reads every app below it: sign-offs and checklist items
(projects), gaps and requirements (assessments), alerts (metrics).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.db.models import (
    Count,
    Exists,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.utils import timezone

from assessments.models import (
    CriterionScore,
    GapAssessment,
    RequirementsDocument,
    RequirementsVersion,
)
from metrics.models import Alert
from projects.access import visible_projects
from projects.models import (
    ChecklistItem,
    ItemState,
    ProjectRole,
    ProjectStep,
    SignOff,
    SignOffStatus,
    StepStatus,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from portal.models import User

M = TypeVar("M", bound=Model)

# Rows each list shows on the page; the rest are one "Show all" link away.
LIST_CAP = 10


class WorkKind(StrEnum):
    """The lists of the page, in the order it shows them (and their ``?list=`` names)."""

    SIGNOFFS = "signoffs"
    ITEMS = "items"
    GAPS = "gaps"
    REQUIREMENTS = "requirements"
    ALERTS = "alerts"


@dataclass(frozen=True)
class WorkList(Generic[M]):
    """The first rows of one list and how many there are in all."""

    kind: WorkKind
    rows: list[M]
    count: int

    @property
    def more(self) -> bool:
        return self.count > len(self.rows)


@dataclass(frozen=True)
class MyWork:
    signoffs: WorkList[SignOff]
    items: WorkList[ChecklistItem]
    gaps: WorkList[CriterionScore]
    requirements: WorkList[RequirementsDocument]
    alerts: WorkList[Alert]

    @property
    def lists(self) -> list[WorkList[Any]]:
        return [self.signoffs, self.items, self.gaps, self.requirements, self.alerts]

    @property
    def total(self) -> int:
        return sum(work.count for work in self.lists)


def _live_projects(user: User) -> QuerySet[Any]:
    """The ids of the projects whose work counts: visible to the user, not archived."""
    return visible_projects(user).filter(archived_at__isnull=True).values("pk")


def signoffs_waiting(user: User) -> QuerySet[SignOff]:
    """Pending sign-offs the user is asked for, longest waiting first; a sign-off
    on a step that is done already waits for nothing and is left out."""
    step_done = ProjectStep.objects.filter(
        project=OuterRef("project"), step=OuterRef("step"), status=StepStatus.DONE
    )
    return (
        SignOff.objects.filter(
            signer=user,
            status=SignOffStatus.PENDING,
            project__in=_live_projects(user),
        )
        .exclude(Exists(step_done))
        .select_related("project", "step", "requested_by")
        .order_by("requested_at", "id")
    )


def items_assigned(user: User, today: date | None = None) -> QuerySet[ChecklistItem]:
    """Open checklist items assigned to the user that still apply to their project:
    overdue first, then by due date, undated last."""
    today = today or timezone.localdate()
    return (
        ChecklistItem.objects.filter(
            assignee=user,
            state=ItemState.OPEN,
            applicable=True,
            project__in=_live_projects(user),
        )
        .annotate(
            overdue=Q(due_date__isnull=False, due_date__lt=today),
            from_gap=Exists(
                CriterionScore.objects.filter(checklist_item=OuterRef("pk"))
            ),
        )
        .select_related("project", "step")
        .order_by(
            F("due_date").asc(nulls_last=True),
            "project__name",
            "step__number",
            "order",
            "id",
        )
    )


def gaps_owned(user: User, today: date | None = None) -> QuerySet[CriterionScore]:
    """Gaps of each project's latest assessment (the one its gate reads) whose
    checklist item the user is assigned and has not closed, soonest due first."""
    today = today or timezone.localdate()
    latest = GapAssessment.objects.filter(
        project=OuterRef("assessment__project")
    ).order_by("-created_at", "-id")
    return (
        CriterionScore.objects.filter(
            level__lt=F("target"),
            checklist_item__assignee=user,
            checklist_item__state=ItemState.OPEN,
            assessment__project__in=_live_projects(user),
            assessment=Subquery(latest.values("pk")[:1]),
        )
        .annotate(
            overdue=Q(
                checklist_item__due_date__isnull=False,
                checklist_item__due_date__lt=today,
            )
        )
        .select_related("criterion", "assessment__project", "checklist_item__step")
        .order_by(
            F("checklist_item__due_date").asc(nulls_last=True),
            "assessment__project__name",
            "criterion__order",
            "id",
        )
    )


def requirements_to_approve(user: User) -> QuerySet[RequirementsDocument]:
    """Requirements of the projects the user owns (only the owner approves) whose
    newest version is not the approved one, with that version's number and date
    annotated, longest waiting first."""
    newest = RequirementsVersion.objects.filter(document=OuterRef("pk")).order_by(
        "-number"
    )
    return (
        RequirementsDocument.objects.filter(
            project__memberships__user=user,
            project__memberships__role=ProjectRole.OWNER,
            project__in=_live_projects(user),
        )
        .annotate(
            newest_number=Subquery(newest.values("number")[:1]),
            newest_at=Subquery(newest.values("created_at")[:1]),
        )
        .filter(newest_number__isnull=False)
        .filter(
            Q(approved_version__isnull=True)
            | Q(newest_number__gt=F("approved_version__number"))
        )
        .select_related("project", "approved_version")
        .order_by("newest_at", "id")
    )


def alerts_open(user: User) -> QuerySet[Alert]:
    """Open alerts on the projects the user leads or owns: those nobody has
    acknowledged first, then the newest."""
    return (
        Alert.objects.filter(
            status=Alert.Status.OPEN,
            project__memberships__user=user,
            project__memberships__role__in=[ProjectRole.OWNER, ProjectRole.LEAD],
            project__in=_live_projects(user),
        )
        .select_related("project", "acknowledged_by")
        .order_by(F("acknowledged_at").asc(nulls_first=True), "-opened_at", "-id")
    )


def full_list(user: User, kind: WorkKind) -> QuerySet[Any]:
    """One whole list, for its own paginated page."""
    readers: dict[WorkKind, Callable[[User], QuerySet[Any]]] = {
        WorkKind.SIGNOFFS: signoffs_waiting,
        WorkKind.ITEMS: items_assigned,
        WorkKind.GAPS: gaps_owned,
        WorkKind.REQUIREMENTS: requirements_to_approve,
        WorkKind.ALERTS: alerts_open,
    }
    return readers[kind](user)


def _first(kind: WorkKind, rows: QuerySet[M], cap: int) -> WorkList[M]:
    """The first ``cap`` rows and the count of all, in one query."""
    shown = list(rows.annotate(work_total=Window(Count("pk")))[:cap])
    count = shown[0].work_total if shown else 0  # type: ignore[attr-defined]
    return WorkList(kind, shown, count)


def my_work(user: User, cap: int = LIST_CAP) -> MyWork:
    """Everything that waits for ``user``: five queries, each capped at ``cap`` rows."""
    today = timezone.localdate()
    return MyWork(
        signoffs=_first(WorkKind.SIGNOFFS, signoffs_waiting(user), cap),
        items=_first(WorkKind.ITEMS, items_assigned(user, today), cap),
        gaps=_first(WorkKind.GAPS, gaps_owned(user, today), cap),
        requirements=_first(WorkKind.REQUIREMENTS, requirements_to_approve(user), cap),
        alerts=_first(WorkKind.ALERTS, alerts_open(user), cap),
    )
