"""Statements of the projects app written out by hand, each beside the reason and with a
test that it does what its ORM twin does (tests/projects/test_sql.py)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import DateField, DateTimeField

from core.rows import Values, statement_cursor
from projects.models import ChecklistItem, ItemState, ProjectStep, Step, StepStatus

if TYPE_CHECKING:
    from datetime import datetime

# Steps whose checklist can be worked on without starting them first.
UNDER_WAY = (StepStatus.IN_PROGRESS, StepStatus.BLOCKED)

# Every checklist tick runs this, and the ORM's ``QuerySet.update`` took four times as
# long to compile it as PostgreSQL took to run it. Its ORM twin:
# ProjectStep.objects.filter(project_id=…, step_id=…, status__in=UNDER_WAY)
#     .update(last_activity_at=now)
_TOUCH_STEP = (
    f'UPDATE "{ProjectStep._meta.db_table}" SET "last_activity_at" = %s'
    ' WHERE "project_id" = %s AND "step_id" = %s AND "status" IN (%s, %s)'
)


def touch_step_activity(project_id: int, step_id: int, now: datetime) -> bool:
    """Move the activity time of a step under way (what the stalled flag reads), which
    locks its row for the rest of the transaction; False when the step is not under
    way, which is left as it is."""
    with statement_cursor() as cursor:
        cursor.execute(_TOUCH_STEP, [now, project_id, step_id, *UNDER_WAY])
        return bool(cursor.rowcount)


# A project page rebuilt after a checklist tick reads its seven steps with their
# checklist counts (the stepper). As two ORM queries (the steps with their names and
# owners, then the applicable items counted per step), compiling them cost more than
# a third of the rebuilt page's time beyond its floor (bench/README.md, session 21).
# Its ORM twin is in tests/projects/test_sql.py.
_STEP_COLUMNS = {
    "step_id": None,
    "status": None,
    "due_date": DateField(),
    "started_at": DateTimeField(),
    "last_activity_at": DateTimeField(),
    "reopened_at": DateTimeField(),
    "step__number": None,
    "step__name": None,
    "step__short_name": None,
    "owner__first_name": None,
    "owner__last_name": None,
    "owner__email": None,
    "total": None,  # applicable items
    "done": None,  # applicable items not open
    "required_open": None,  # applicable required items still open
}


@functools.cache
def _steps_statement() -> tuple[str, Values]:
    steps, names = ProjectStep._meta.db_table, Step._meta.db_table
    items, users = ChecklistItem._meta.db_table, get_user_model()._meta.db_table
    sql = (
        'SELECT s."step_id", s."status", s."due_date", s."started_at",'
        ' s."last_activity_at", s."reopened_at", n."number", n."name",'
        ' n."short_name", u."first_name", u."last_name", u."email",'
        ' COALESCE(c."total", 0), COALESCE(c."done", 0),'
        ' COALESCE(c."required_open", 0)'
        f' FROM "{steps}" s INNER JOIN "{names}" n ON n."id" = s."step_id"'
        f' LEFT JOIN "{users}" u ON u."id" = s."owner_id"'
        ' LEFT JOIN (SELECT i."step_id", COUNT(*) AS "total",'
        ' COUNT(CASE WHEN i."state" <> %s THEN 1 END) AS "done",'
        ' COUNT(CASE WHEN i."state" = %s AND i."required" = %s THEN 1 END)'
        ' AS "required_open"'
        f' FROM "{items}" i WHERE i."project_id" = %s AND i."applicable" = %s'
        ' GROUP BY i."step_id") c ON c."step_id" = s."step_id"'
        ' WHERE s."project_id" = %s ORDER BY n."number"'
    )
    return sql, Values(dict(_STEP_COLUMNS))


def project_steps(project_id: int) -> list[dict[str, Any]]:
    """The project's steps in order, each with its reference step's number and
    names, its owner's names and its applicable checklist items counted (the keys
    of ``_STEP_COLUMNS``)."""
    sql, values = _steps_statement()
    with statement_cursor() as cursor:
        cursor.execute(
            sql,
            [ItemState.OPEN, ItemState.OPEN, True, project_id, True, project_id],
        )
        return [values.convert(row) for row in cursor.fetchall()]
