"""The benchmark generator builds what the harness then times: checked at a tiny
scale on the test database (no timing here; timings live in bench/RESULTS.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from assessments.models import GapAssessment, RequirementsDocument
from bench import config
from bench.generate import generate
from bench.generate_portfolio import EXECUTIVE_EMAIL
from bench.generate_series import HOURLY_DAYS
from evaluations.models import EvaluationRun
from evaluations.selectors import tracked_set
from evaluations.summary import last_evaluations
from metrics.dashboard import project_dashboard
from metrics.models import DailyRollup, MetricSample
from portal.models import User
from projects.access import visible_projects
from projects.models import ChecklistItem, Project, ProjectStep, Step
from tests.conftest import require

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql():
    require(
        connection.vendor == "postgresql",
        "the generator uses PostgreSQL's COPY and generate_series (set DATABASE_URL)",
    )


def test_the_generator_builds_a_consistent_portfolio():
    scale = config.SCALES["tiny"]
    result = generate(scale, analyse=False)

    projects = Project.objects.count()
    assert projects == result.projects == scale.projects
    # Seven step rows each, and the catalog's applicable items.
    assert ProjectStep.objects.count() == 7 * projects
    assert ChecklistItem.objects.count() == result.checklist_items > 0
    assert RequirementsDocument.objects.count() == projects
    launched_or_past_one = ProjectStep.objects.filter(
        step=Step.objects.get(number=1), status="done"
    ).count()
    assert (
        RequirementsDocument.objects.filter(approved_version__isnull=False).count()
        == launched_or_past_one
    )
    assert GapAssessment.objects.exists()

    # Ten hourly metrics over the hourly window, and 365 days of rollups.
    hourly = MetricSample.objects.filter(bucket="hour")
    assert hourly.values("metric").distinct().count() == 10
    assert (
        hourly.filter(project_id=Project.objects.first().pk)
        .values("bucket_start")
        .distinct()
        .count()
        >= (HOURLY_DAYS - 1) * 24
    )
    assert MetricSample.objects.count() == result.samples
    assert DailyRollup.objects.count() == result.rollups
    assert DailyRollup.objects.values("day").distinct().count() == 365

    # A recent day's rollup is the sum of its hours, as rollups_refresh makes it.
    project = Project.objects.order_by("pk").first()
    day = timezone.localdate() - timedelta(days=3)
    hours = sum(
        hourly.filter(
            project=project, metric="requests", bucket_start__date=day
        ).values_list("value", flat=True)
    )
    rollup = DailyRollup.objects.get(project=project, metric="requests", day=day)
    assert rollup.value == hours

    # Projects from step 6 on have runs on their tracked set, judged as the portfolio
    # judges them; the others have none.
    assert EvaluationRun.objects.count() == result.evaluation_runs
    evaluated = [p for p in Project.objects.all() if p.evaluation_runs.exists()]
    past_step_five = ProjectStep.objects.filter(step__number=5, status="done")
    assert {p.pk for p in evaluated} == set(
        past_step_five.values_list("project_id", flat=True)
    )
    assert evaluated
    summaries = last_evaluations(p.pk for p in Project.objects.all())
    assert set(summaries) == {p.pk for p in evaluated}
    for p in evaluated:
        latest = EvaluationRun.objects.filter(
            project=p, kind="evaluation", dataset_name=tracked_set(p)
        ).first()
        assert summaries[p.pk].run_id == latest.pk
        assert latest.scores.exists()

    # The executive sees every project, and the dashboard reads the generated series.
    executive = User.objects.get(email=EXECUTIVE_EMAIL)
    assert visible_projects(executive).count() == projects
    data = project_dashboard(project, start=day, end=day)
    assert data.series["requests"].total(day) == hours
