"""The stalled signal looks at the current step only: the lowest-numbered step not
done, with work in it and no activity for the configured days."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from projects import services
from projects.models import ProjectStep, StepStatus
from projects.roles import GlobalRole
from projects.selectors import project_list_for_user, risk_reasons_of
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

LONG_AGO = timedelta(days=40)


def _project(name, steps):
    """``steps``: {number: (status, days since the last activity or None)}."""
    project = services.project_create(
        name=name, team=TeamFactory(), owner=UserFactory()
    )
    now = timezone.now()
    for number, (status, quiet_for) in steps.items():
        ProjectStep.objects.filter(project=project, step__number=number).update(
            status=status,
            started_at=now - LONG_AGO,
            last_activity_at=None if quiet_for is None else now - quiet_for,
        )
    return project


def test_only_a_quiet_current_step_with_work_in_it_is_stalled():
    done = {n: (StepStatus.DONE, timedelta(days=1)) for n in range(1, 3)}
    quiet = _project("Quiet", {**done, 3: (StepStatus.IN_PROGRESS, LONG_AGO)})
    busy = _project("Busy", {**done, 3: (StepStatus.IN_PROGRESS, timedelta(days=1))})
    # A later step is quiet, but the current one (step 1) has not started.
    ahead = _project(
        "Ahead",
        {1: (StepStatus.NOT_STARTED, None), 2: (StepStatus.IN_PROGRESS, LONG_AGO)},
    )
    # Never touched since it started: its start counts as its last activity.
    untouched = _project("Untouched", {**done, 3: (StepStatus.IN_PROGRESS, None)})
    launched = _project(
        "Launched", dict.fromkeys(range(1, 8), (StepStatus.DONE, LONG_AGO))
    )

    assert "stalled" in risk_reasons_of(quiet)
    assert "stalled" in risk_reasons_of(untouched)
    for project in (busy, ahead, launched):
        assert "stalled" not in risk_reasons_of(project)
    executive = UserFactory(roles=[GlobalRole.EXECUTIVE])
    stalled = project_list_for_user(executive).filter(stalled=True)  # type: ignore[misc]
    assert {p.name for p in stalled} == {"Quiet", "Untouched"}
