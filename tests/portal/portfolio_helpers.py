"""What the portfolio tests share: the executive who sees every project, an owner,
and projects made, launched, spent on and assessed through the services."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import AssessmentCriterion
from metrics import services as metric_services
from metrics.models import ConnectedService
from metrics.vocabulary import Bucket, Sample
from projects import services
from projects.models import ProjectStep, StepStatus
from projects.roles import GlobalRole
from tests.factories import TeamFactory, UserFactory


@pytest.fixture
def executive():
    return UserFactory(roles=[GlobalRole.EXECUTIVE])


@pytest.fixture
def owner():
    return UserFactory()


def make(owner, name, team=None, **changes):
    project = services.project_create(
        name=name, team=team or TeamFactory(), owner=owner
    )
    for field, value in changes.items():
        setattr(project, field, value)
    project.save()
    return project


def launch(project):
    ProjectStep.objects.filter(project=project).update(
        status=StepStatus.DONE, completed_at=timezone.now()
    )


def cost(project, kind, metric, amount, day=None, dimension=""):
    service, _ = ConnectedService.objects.get_or_create(
        project=project, kind=kind, defaults={"name": kind}
    )
    day = day or timezone.localdate()
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    metric_services.samples_write(
        project=project,
        service=service,
        samples=[Sample(metric, start, Bucket.DAY, Decimal(amount), dimension)],
    )


def assess(project, assessor, levels):
    """A gap assessment with ``levels`` (criterion key -> (level, target)); every other
    active criterion meets a target of 2."""
    return assessment_services.assessment_record(
        project=project,
        assessor=assessor,
        scores=[
            assessment_services.ScoreInput(c, *levels.get(c.key, (2, 2)))
            for c in AssessmentCriterion.objects.filter(active=True)
        ],
    )
