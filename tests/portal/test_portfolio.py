"""The portfolio: headline numbers, the funnel, why projects are at risk, CSV export."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from metrics import services as metric_services
from metrics.models import Alert, ConnectedService
from metrics.vocabulary import Bucket, Metric, Sample
from portal.selectors import portfolio_overview, quarter_start
from projects import services
from projects.models import ProjectStatus, ProjectStep, StepStatus
from projects.roles import GlobalRole
from tests.factories import TeamFactory, UserFactory, approve_requirements

pytestmark = pytest.mark.django_db


@pytest.fixture
def executive():
    return UserFactory(roles=[GlobalRole.EXECUTIVE])


@pytest.fixture
def owner():
    return UserFactory()


def make(owner, name, **changes):
    project = services.project_create(name=name, team=TeamFactory(), owner=owner)
    for field, value in changes.items():
        setattr(project, field, value)
    project.save()
    return project


def launch(project):
    ProjectStep.objects.filter(project=project).update(
        status=StepStatus.DONE, completed_at=timezone.now()
    )


def cost(project, kind, metric, amount):
    service = ConnectedService.objects.create(project=project, kind=kind, name=kind)
    today = timezone.localdate()
    start = datetime(today.year, today.month, today.day, tzinfo=UTC)
    metric_services.samples_write(
        project=project,
        service=service,
        samples=[Sample(metric, start, Bucket.DAY, Decimal(amount))],
    )


def test_the_quarter_starts_in_january_april_july_and_october():
    assert quarter_start(date(2026, 11, 26)) == date(2026, 10, 1)
    assert quarter_start(date(2026, 3, 31)) == date(2026, 1, 1)


def test_headline_numbers_and_the_funnel(executive, owner):
    make(owner, "Calm")
    make(owner, "Worried", status=ProjectStatus.AT_RISK)
    done = make(owner, "Done")
    launch(done)
    overview = portfolio_overview(executive)
    assert overview.in_flight == 2
    assert overview.launched_this_quarter == 1
    assert overview.at_risk == 1
    assert {name: n for _, name, n in overview.funnel}["Launched"] == 1
    assert sum(n for _, _, n in overview.funnel) == 3


def test_a_project_is_at_risk_for_an_alert_or_an_overdue_step_and_the_page_says_why(
    client, executive, owner
):
    alerting = make(owner, "Alerting")
    Alert.objects.create(project=alerting, kind=Alert.Kind.LATENCY, message="slow")
    late = make(owner, "Late")
    ProjectStep.objects.filter(project=late, step__number=1).update(
        due_date=timezone.localdate() - timedelta(days=3)
    )
    client.force_login(executive)
    body = client.get("/").content.decode()
    assert portfolio_overview(executive).at_risk == 2
    assert ">open alert<" in body and ">overdue step<" in body


def test_spend_counts_billed_cost_where_a_provider_reports_it_and_observed_otherwise(
    executive, owner
):
    billed = make(owner, "Billed")
    approve_requirements(billed, owner)
    cost(billed, "openai", Metric.COST_BILLED_USD, 100)
    cost(
        billed, "langfuse", Metric.COST_OBSERVED_USD, 90
    )  # shown for comparison, never added
    observed = make(owner, "Observed")
    cost(observed, "langfuse", Metric.COST_OBSERVED_USD, 40)
    overview = portfolio_overview(executive)
    assert overview.spend_month_to_date == Decimal(140)
    assert overview.budgets == Decimal(8000)


def test_members_see_only_their_projects_in_the_numbers(owner):
    make(owner, "Mine")
    make(UserFactory(), "Theirs")
    assert portfolio_overview(owner).in_flight == 1


def test_the_csv_export_lists_the_visible_projects_with_their_risks(
    client, executive, owner
):
    make(owner, "Worried", status=ProjectStatus.BLOCKED)
    make(owner, "Calm")
    client.force_login(executive)
    response = client.get(reverse("portal:portfolio_csv"))
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("project,team,step,status")
    assert any(
        line.startswith("Worried,") and "owner says blocked" in line for line in lines
    )
    at_risk_only = b"".join(
        client.get(reverse("portal:portfolio_csv") + "?at_risk=1").streaming_content
    ).decode()
    assert "Calm" not in at_risk_only and "Worried" in at_risk_only
    client.force_login(UserFactory())
    assert b"Worried" not in b"".join(
        client.get(reverse("portal:portfolio_csv")).streaming_content
    )


def test_the_portfolio_query_count_does_not_grow_with_projects(
    client, executive, owner
):
    make(owner, "First")
    client.force_login(executive)
    client.get("/")
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    for n in range(6):
        make(owner, f"More {n}")
    with CaptureQueriesContext(connection) as many:
        client.get("/")
    assert len(many.captured_queries) == len(few.captured_queries)
