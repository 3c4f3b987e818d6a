"""Reads for step pages: the seven steps' progress, a step's checklist, sign-offs and
the gate, and the one checklist item every tick starts from."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import router
from django.db.models import (
    Count,
    Prefetch,
    QuerySet,
    prefetch_related_objects,
)
from django.utils import timezone

from core.names import display_name
from core.rows import Columns, statement_cursor
from projects import gates
from projects.access import role_sql
from projects.models import (
    ChecklistItem,
    Evidence,
    ItemState,
    Project,
    ProjectStep,
    SignOff,
    Step,
    StepStatus,
)
from projects.progress import (
    current_step_number,
    is_overdue,
    is_stalled,
    percent,
    step_status_label,
)

if TYPE_CHECKING:
    from portal.models import User


@functools.cache
def _item_statement() -> tuple[
    str, Columns[ChecklistItem], Columns[Project], Columns[User]
]:
    """The item (``%s``: the viewer's id, then the item's) with its project, its
    assignee and the viewer's role, as ``checklist_item_for`` reads it."""
    items, projects, users = (
        Columns(ChecklistItem),
        Columns(Project),
        Columns(get_user_model()),
    )
    sql = (
        f"SELECT {items.sql}, {projects.sql}, {users.sql},"
        f" ({role_sql(ChecklistItem, 'project_id')})"
        f" FROM {items.alias} INNER JOIN {projects.alias}"
        f' ON {projects.alias}."id" = {items.alias}."project_id"'
        f' LEFT OUTER JOIN {users.alias} ON {users.alias}."id" = {items.alias}."assignee_id"'
        f' WHERE {items.alias}."id" = %s'
    )
    return sql, items, projects, users


def checklist_item_for(user: User, pk: int) -> tuple[ChecklistItem, str | None] | None:
    """The checklist item with its project and assignee loaded, and the user's role
    on that project, in one statement; None if there is no such item.

    Every tick, assignment and evidence change starts here, so the statement is
    written out (``core.rows``) instead of compiled by the ORM on every request,
    which cost more than running it. It is the query
    ``ChecklistItem.objects.select_related("project", "assignee")`` with the role
    annotated as ``role_of_user`` writes it."""
    sql, item_columns, project_columns, user_columns = _item_statement()
    using = router.db_for_read(ChecklistItem)
    with statement_cursor(using) as cursor:
        cursor.execute(sql, [user.pk, pk])
        row = cursor.fetchone()
    if row is None:
        return None
    project_at = len(item_columns)
    user_at = project_at + len(project_columns)
    role_at = user_at + len(user_columns)
    item = item_columns.build(row[:project_at], using)
    assert item is not None  # noqa: S101  (the item's own id is never NULL)
    ChecklistItem.project.field.set_cached_value(
        item, project_columns.build(row[project_at:user_at], using)
    )
    ChecklistItem.assignee.field.set_cached_value(
        item, user_columns.build(row[user_at:role_at], using)
    )
    return item, row[role_at]


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


@functools.cache
def _step_summary_statement() -> tuple[str, Columns[ProjectStep]]:
    """The steps of a project (``%s`` twice) in order: their own columns, then the
    reference step's number, name and short name, the owner's names and email, and
    the applicable items counted: all, not open, required and open."""
    steps = Columns(
        ProjectStep,
        only=(
            "step",
            "status",
            "due_date",
            "started_at",
            "last_activity_at",
            "reopened_at",
        ),
    )
    reference = Columns(Step, only=("number", "name", "short_name"))
    owners = Columns(get_user_model(), only=("first_name", "last_name", "email"))
    items = Columns(ChecklistItem).alias
    sql = (
        f"SELECT {steps.sql}, {reference.sql}, {owners.sql},"
        ' COALESCE(c."total", 0), COALESCE(c."done", 0), COALESCE(c."required_open", 0)'
        f" FROM {steps.alias}"
        f' INNER JOIN {reference.alias} ON {reference.alias}."id" = {steps.alias}."step_id"'
        f' LEFT OUTER JOIN {owners.alias} ON {owners.alias}."id" = {steps.alias}."owner_id"'
        ' LEFT OUTER JOIN (SELECT "step_id", COUNT(*) AS "total",'
        f' SUM(CASE WHEN "state" <> \'{ItemState.OPEN}\' THEN 1 ELSE 0 END) AS "done",'
        f' SUM(CASE WHEN "state" = \'{ItemState.OPEN}\' AND "required" THEN 1 ELSE 0 END)'
        f' AS "required_open" FROM {items}'
        ' WHERE "project_id" = %s AND "applicable" GROUP BY "step_id") c'
        f' ON c."step_id" = {steps.alias}."step_id"'
        f' WHERE {steps.alias}."project_id" = %s ORDER BY {reference.alias}."number"'
    )
    return sql, steps


def step_summaries(project: Project) -> list[StepSummary]:
    """The seven steps with checklist progress, in one query whatever the checklist
    size.

    Every project page, step page and stepper refresh starts here. The statement is
    written out: the ORM took 8 M instructions (nearly 3 ms) to compile its two
    queries, ten times what PostgreSQL took to run them."""
    sql, steps = _step_summary_statement()
    using = router.db_for_read(ProjectStep)
    with statement_cursor(using) as cursor:
        cursor.execute(sql, [project.pk, project.pk])
        rows = cursor.fetchall()
    width = len(steps)
    current = current_step_number({row[width]: row[1] for row in rows})
    today, now = timezone.localdate(), timezone.now()
    stall_days = settings.RUNWAY_STALLED_AFTER_DAYS
    labels = dict(StepStatus.choices)
    summaries = []
    reopened_before = False
    for row in rows:
        _, status, due_date, started_at, last_activity_at, reopened_at = steps.convert(
            row[:width], using
        )
        number, name, short_name, first, last, email, total, done, required_open = row[
            width:
        ]
        summaries.append(
            StepSummary(
                number=number,
                name=name,
                short_name=short_name,
                status=status,
                status_label=step_status_label(
                    status=status,
                    label=labels.get(status, status),
                    number=number,
                    current=current,
                ),
                owner=display_name(first, last, email) if email is not None else None,
                due_date=due_date,
                done=done,
                applicable=total,
                required_open=required_open,
                progress=percent(done, total),
                overdue=is_overdue(due=due_date, status=status, today=today),
                stalled=number == current
                and status != StepStatus.NOT_STARTED
                and is_stalled(
                    last_activity=last_activity_at,
                    started=started_at,
                    now=now,
                    days=stall_days,
                ),
                is_current=number == current,
                reopened_at=reopened_at,
                earlier_reopened=reopened_before and status == StepStatus.DONE,
            )
        )
        reopened_before = reopened_before or (
            reopened_at is not None and status != StepStatus.DONE
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
