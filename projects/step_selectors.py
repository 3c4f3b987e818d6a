"""Reads for step pages: the seven steps' progress, a step's checklist, sign-offs and
the gate, and the one checklist item every tick starts from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import (
    Count,
    Prefetch,
    QuerySet,
    prefetch_related_objects,
)
from django.utils import timezone

from core.names import display_name
from projects import gates, sql
from projects.models import (
    ChecklistItem,
    Evidence,
    Project,
    ProjectStep,
    SignOff,
    StepStatus,
)
from projects.progress import (
    current_step_number,
    is_overdue,
    is_stalled,
    percent,
    step_status_label,
)


def checklist_item_for(project: Project, pk: int) -> ChecklistItem | None:
    """The checklist item ``pk`` of ``project`` (loaded for the user with
    ``get_project_for_user``, whose access check it keeps) with its assignee; None
    if the project has no such item.

    Only what the row's head shows is joined: a tick sets the ticker itself, the
    step is read by number only to redirect a request without htmx, and the
    evidence only to render a whole row."""
    try:
        item = ChecklistItem.objects.select_related("assignee").get(
            project=project, pk=pk
        )
    except ChecklistItem.DoesNotExist:
        return None
    item.project = project
    return item


@dataclass(frozen=True)
class StepSummary:
    """One step of one project as the stepper and the step header show it."""

    number: int
    name: str
    short_name: str
    status: str
    status_label: str
    owner: str | None
    due_date: date | None
    done: int
    applicable: int
    required_open: int
    progress: int
    overdue: bool
    stalled: bool
    is_current: bool
    reopened_at: datetime | None
    earlier_reopened: bool

    @property
    def ring_style(self) -> str:
        return f"--progress: {self.progress}"


def is_launched(project: Project) -> bool:
    """Step 7 is done: the project is in production (the header's badge)."""
    return ProjectStep.objects.filter(
        project=project, step__number=7, status=StepStatus.DONE
    ).exists()


def step_summaries(project: Project) -> list[StepSummary]:
    """The seven steps with checklist progress, in one written-out query whatever
    the checklist size (``projects.sql.project_steps``)."""
    steps = sql.project_steps(project.pk)
    current = current_step_number({s["step__number"]: s["status"] for s in steps})
    today, now = timezone.localdate(), timezone.now()
    stall_days = settings.RUNWAY_STALLED_AFTER_DAYS
    labels = dict(StepStatus.choices)
    summaries = []
    reopened_before = False
    for step in steps:
        number, status = step["step__number"], step["status"]
        summaries.append(
            StepSummary(
                number=number,
                name=step["step__name"],
                short_name=step["step__short_name"],
                status=status,
                status_label=step_status_label(
                    status=status,
                    label=labels.get(status, status),
                    number=number,
                    current=current,
                ),
                owner=(
                    display_name(
                        step["owner__first_name"],
                        step["owner__last_name"],
                        step["owner__email"],
                    )
                    if step["owner__email"] is not None
                    else None
                ),
                due_date=step["due_date"],
                done=step["done"],
                applicable=step["total"],
                required_open=step["required_open"],
                progress=percent(step["done"], step["total"]),
                overdue=is_overdue(due=step["due_date"], status=status, today=today),
                stalled=number == current
                and status != StepStatus.NOT_STARTED
                and is_stalled(
                    last_activity=step["last_activity_at"],
                    started=step["started_at"],
                    now=now,
                    days=stall_days,
                ),
                is_current=number == current,
                reopened_at=step["reopened_at"],
                earlier_reopened=reopened_before and status == StepStatus.DONE,
            )
        )
        reopened_before = reopened_before or (
            step["reopened_at"] is not None and status != StepStatus.DONE
        )
    return summaries


def _checklist(project: Project) -> QuerySet[ChecklistItem]:
    return (
        ChecklistItem.objects.filter(project=project)
        .select_related("assignee", "completed_by", "template")
        .prefetch_related(
            Prefetch("evidence", queryset=Evidence.objects.select_related("added_by"))
        )
        .order_by("-applicable", "order", "id")
    )


def step_checklist(project: Project, step_id: int) -> list[ChecklistItem]:
    """A step's checklist items with assignee and evidence, in three queries."""
    return list(_checklist(project).filter(step_id=step_id))


def with_evidence(item: ChecklistItem) -> ChecklistItem:
    """(Re)load the item's evidence with who added it, as ``step_checklist`` does."""
    item.__dict__.get("_prefetched_objects_cache", {}).pop("evidence", None)
    prefetch_related_objects(
        [item],
        Prefetch("evidence", queryset=Evidence.objects.select_related("added_by")),
    )
    return item


def checklist_item(project: Project, pk: int) -> ChecklistItem:
    """One item as ``step_checklist`` loads it, for re-rendering its row after a
    change without loading the rest of its step (two queries)."""
    return _checklist(project).get(pk=pk)


def step_signoffs(project: Project, step_id: int) -> list[SignOff]:
    return list(
        SignOff.objects.filter(project=project, step_id=step_id).select_related(
            "signer", "requested_by"
        )
    )


def gate_data(project_step: ProjectStep) -> gates.GateData:
    """Load what the built-in gate checks need for one project step."""
    project = project_step.project
    number = project_step.step.number
    earlier = [
        f"{ps.step.number}. {ps.step.short_name}"
        for ps in ProjectStep.objects.filter(project=project, step__number__lt=number)
        .exclude(status=StepStatus.DONE)
        .select_related("step")
        .order_by("step__number")
    ]
    items = [
        gates.ItemFacts(
            title=item.title,
            required=item.required,
            state=item.state,
            evidence_required=item.evidence_required,
            evidence_count=item.evidence_count,
            na_justification=item.na_justification,
            pk=item.pk,
        )
        for item in ChecklistItem.objects.filter(
            project=project, step_id=project_step.step_id, applicable=True
        )
        .annotate(evidence_count=Count("evidence"))
        .order_by("order", "id")
    ]
    signoffs = [
        gates.SignOffFacts(role=s.role, status=s.status, signer=str(s.signer))
        for s in SignOff.objects.filter(
            project=project, step_id=project_step.step_id
        ).select_related("signer")
    ]
    owner = project.operating_owner
    return gates.GateData(
        step_number=number,
        earlier_steps_not_done=earlier,
        items=items,
        signoff_roles=list(project_step.step.signoff_roles),
        signoffs=signoffs,
        operating_owner=owner.display_name if owner else None,
    )


def gate_result(project_step: ProjectStep) -> gates.GateResult:
    return gates.evaluate(gate_data(project_step), project=project_step.project)
