"""Status words mean one thing: "In progress" is the current step's; work begun early on
a later step reads "Work started"."""

from __future__ import annotations

import pytest

from projects import services, step_services
from projects.models import ChecklistItem, ItemState
from projects.progress import WORK_AHEAD_LABEL, step_status_label
from projects.step_selectors import step_summaries

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("status", "number", "current", "shown"),
    [
        ("in_progress", 3, 1, WORK_AHEAD_LABEL),
        ("in_progress", 1, 1, "In progress"),
        ("not_started", 3, 1, "Not started"),
        ("in_progress", 3, None, "In progress"),
    ],
)
def test_only_the_current_step_is_in_progress(status, number, current, shown):
    label = {"in_progress": "In progress", "not_started": "Not started"}[status]
    assert (
        step_status_label(status=status, label=label, number=number, current=current)
        == shown
    )


def test_an_item_ticked_early_shows_its_step_as_work_started(people):
    project = people["project"]
    early = ChecklistItem.objects.filter(project=project, step__number=3).first()
    services.item_set_state(item=early, state=ItemState.DONE, actor=people["lead"])

    by_number = {s.number: s for s in step_summaries(project)}

    assert by_number[1].is_current and by_number[1].status_label != WORK_AHEAD_LABEL
    assert by_number[3].status == "in_progress"
    assert by_number[3].status_label == WORK_AHEAD_LABEL


def test_sign_off_requests_and_decisions_count_as_activity(people):
    from datetime import timedelta

    from django.utils import timezone

    from projects.models import ProjectStep, StepStatus

    project = people["project"]
    long_ago = timezone.now() - timedelta(days=60)
    steps = ProjectStep.objects.filter(project=project, step__number=3)
    steps.update(
        status=StepStatus.IN_PROGRESS, started_at=long_ago, last_activity_at=long_ago
    )

    signoff = step_services.signoff_request(
        project_step=steps.get(),
        role="reviewer",
        signer=people["reviewer"],
        actor=people["lead"],
    )
    assert steps.get().last_activity_at == signoff.requested_at

    steps.update(last_activity_at=long_ago)
    step_services.signoff_decide(signoff=signoff, approve=True, comment="")
    assert steps.get().last_activity_at == signoff.decided_at
