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


def _steps_by_orm(project):
    """The ORM twin of ``sql.project_steps``: the steps, then the items counted."""
    from django.db.models import Count, Q

    from projects.models import ChecklistItem, ItemState

    open_state = Q(state=ItemState.OPEN)
    counts = {
        row["step_id"]: row
        for row in ChecklistItem.objects.filter(project=project, applicable=True)
        .order_by()
        .values("step_id")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=~open_state),
            required_open=Count("pk", filter=open_state & Q(required=True)),
        )
    }
    steps = ProjectStep.objects.filter(project=project).order_by("step__number")
    return [
        {
            **step,
            **{
                key: counts.get(step["step_id"], {}).get(key, 0)
                for key in ("total", "done", "required_open")
            },
        }
        for step in steps.values(
            "step_id",
            "status",
            "due_date",
            "started_at",
            "last_activity_at",
            "reopened_at",
            "step__number",
            "step__name",
            "step__short_name",
            "owner__first_name",
            "owner__last_name",
            "owner__email",
        )
    ]


def test_a_projects_steps_with_their_counts_equal_the_orms(people):
    from projects.models import ChecklistItem, ItemState

    project = people["project"]
    items = ChecklistItem.objects.filter(project=project, step__number=1)
    first, second, third, *_ = items.order_by("pk")
    ChecklistItem.objects.filter(pk=first.pk).update(state=ItemState.DONE)
    ChecklistItem.objects.filter(pk=second.pk).update(applicable=False)
    ChecklistItem.objects.filter(pk=third.pk).update(required=False)
    ProjectStep.objects.filter(project=project, step__number=2).update(
        owner=people["lead"],
        status=StepStatus.IN_PROGRESS,
        started_at=timezone.now() - timedelta(days=3),
        due_date=timezone.localdate() + timedelta(days=9),
    )
    ChecklistItem.objects.filter(project=project, step__number=7).delete()

    by_hand = sql.project_steps(project.pk)
    assert by_hand == _steps_by_orm(project)
    one, two, *_, seven = by_hand
    assert (one["done"], two["owner__email"], seven["total"]) == (
        1,
        people["lead"].email,
        0,
    )
    assert one["total"] == items.filter(applicable=True).count()
    assert (
        one["required_open"]
        == items.filter(applicable=True, required=True, state=ItemState.OPEN).count()
    )
    assert two["due_date"] == timezone.localdate() + timedelta(days=9)
