"""Step 7 is checked against production metrics and the approved targets (step 6 is
judged on evaluation runs: tests/evaluations/test_gates.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from metrics.vocabulary import Metric
from projects.step_selectors import gate_result
from tests.factories import approve_requirements, record_daily_metrics
from tests.projects.conftest import step_of

pytestmark = pytest.mark.django_db


def check(project, step, name):
    result = gate_result(step_of(project, step))
    return next(c for c in result.checks if c.name == name)


@pytest.fixture
def approved(people):
    approve_requirements(people["project"], people["owner"])
    return people["project"]


def test_without_approved_targets_the_metric_checks_say_so(people):
    quality = check(people["project"], 7, "Quality score met")
    assert quality.passed is False and "Approve requirements" in quality.reason


def test_step_seven_needs_the_quality_score_on_every_day_of_the_window(approved):
    record_daily_metrics(approved, days=8)
    assert check(approved, 7, "Quality score met").passed is True


def test_a_bad_day_is_named_with_its_value(approved):
    yesterday = timezone.localdate() - timedelta(days=1)
    record_daily_metrics(
        approved,
        days=8,
        **{
            Metric.QUALITY_SCORE: lambda day: (
                Decimal("0.80") if day == yesterday else Decimal("0.9")
            )
        },
    )
    result = check(approved, 7, "Quality score met")
    assert result.passed is False
    assert (
        f"{yesterday:%Y-%m-%d} (0.800)" in result.reason and "≥ 0.850" in result.reason
    )


def test_missing_days_fail_the_gate(approved):
    record_daily_metrics(approved, days=3)
    result = check(approved, 7, "Quality score met")
    assert (
        result.passed is False
        and "Data for the helpfulness score is missing on 4 of the last 7 days"
        in result.reason
    )


def test_step_seven_checks_latency_errors_cost_and_quality(approved):
    record_daily_metrics(approved, days=8)
    names = {c.name: c.passed for c in gate_result(step_of(approved, 7)).checks}
    assert names["Latency p95 met"] is True
    assert names["Error rate met"] is True
    assert names["Cost within budget"] is True
    assert names["Quality score met"] is True


def test_step_seven_explains_each_breach(approved):
    record_daily_metrics(
        approved,
        days=8,
        **{
            Metric.LATENCY_P95_MS: Decimal(2600),
            Metric.ERRORS: Decimal(400),  # 2 % of 20,000
            Metric.COST_OBSERVED_USD: Decimal(300),  # × days of the month > $8,000
        },
    )
    checks = {c.name: c for c in gate_result(step_of(approved, 7)).checks}
    assert (
        checks["Latency p95 met"].passed is False
        and "(2600 ms)" in checks["Latency p95 met"].reason
    )
    assert (
        checks["Error rate met"].passed is False
        and "(2.00 %)" in checks["Error rate met"].reason
    )
    assert (
        checks["Cost within budget"].passed is False
        and "over the $8,000.00 budget" in checks["Cost within budget"].reason
    )


def test_billed_cost_counts_over_observed_cost(approved):
    from metrics import services
    from metrics.models import ConnectedService
    from metrics.vocabulary import Bucket, Sample

    record_daily_metrics(approved, days=8, **{Metric.COST_OBSERVED_USD: Decimal(100)})
    provider = ConnectedService.objects.create(
        project=approved, kind="openai", name="OpenAI"
    )
    today = timezone.localdate()
    samples = []
    for n in range(1, 9):
        day = today - timedelta(days=n)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        samples.append(Sample(Metric.COST_BILLED_USD, start, Bucket.DAY, Decimal(400)))
    services.samples_write(project=approved, service=provider, samples=samples)
    assert check(approved, 7, "Cost within budget").passed is False


def test_the_window_is_set_per_project(approved):
    record_daily_metrics(approved, days=3)
    assert check(approved, 7, "Quality score met").passed is False  # 7 days by default
    approved.metric_gate_window_days = 3
    approved.save()
    result = check(approved, 7, "Quality score met")
    assert result.passed is True and "each of the last 3 days" in result.reason


def test_the_owner_sets_the_window_in_the_project_settings(client, people):
    from django.urls import reverse

    project = people["project"]
    client.force_login(people["owner"])
    page = client.get(reverse("projects:edit", kwargs={"slug": project.slug}))
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data["frameworks"] = [f.pk for f in data.get("frameworks", [])]
    data["team"] = project.team_id
    data["metric_gate_window_days"] = 14
    client.post(reverse("projects:edit", kwargs={"slug": project.slug}), data)
    project.refresh_from_db()
    assert project.metric_gate_window_days == 14
    data["metric_gate_window_days"] = 0
    response = client.post(
        reverse("projects:edit", kwargs={"slug": project.slug}), data
    )
    assert response.status_code == 200
    project.refresh_from_db()
    assert project.metric_gate_window_days == 14
