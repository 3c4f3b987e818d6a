"""Each hand-written statement in projects/sql.py does what its ORM twin does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from projects import sql
from projects.models import ProjectStep, StepStatus

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", list(StepStatus))
def test_touching_a_step_equals_the_orm_update(people, status):
    project = people["project"]
    steps = ProjectStep.objects.filter(project=project, step__number=2)
    long_ago = timezone.now() - timedelta(days=30)
    step = steps.get()
    now = timezone.now()

    steps.update(status=status, last_activity_at=long_ago)
    orm_touched = ProjectStep.objects.filter(
        project_id=project.pk, step_id=step.step_id, status__in=sql.UNDER_WAY
    ).update(last_activity_at=now)
    by_orm = steps.values_list("status", "last_activity_at").get()

    steps.update(status=status, last_activity_at=long_ago)
    touched = sql.touch_step_activity(project.pk, step.step_id, now)
    by_hand = steps.values_list("status", "last_activity_at").get()

    assert touched == bool(orm_touched)
    assert by_hand == by_orm
    # Only the other steps of the project are left alone, whatever the status.
    assert (
        ProjectStep.objects.filter(project=project, last_activity_at=now)
        .exclude(step__number=2)
        .count()
        == 0
    )
