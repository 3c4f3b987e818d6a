"""Statements of the projects app written out by hand, each beside the reason and with a
test that it does what its ORM twin does (tests/projects/test_sql.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.rows import statement_cursor
from projects.models import ProjectStep, StepStatus

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
