"""The dashboard's selectors over known sample sets."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics import services
from metrics.dashboard import error_rates, project_dashboard
from metrics.models import ConnectedService
from metrics.vocabulary import Bucket, Metric, Sample

pytestmark = pytest.mark.django_db


def at(day: date, hour: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def source(project):
    return ConnectedService.objects.create(
        project=project, kind="langfuse", name="Langfuse"
    )


def test_daily_totals_sum_models_and_pass_percentiles_through(project, source):
    day = date(2026, 10, 31)
    services.samples_write(
        project=project,
        service=source,
        samples=[
            Sample(Metric.REQUESTS, at(day), Bucket.DAY, Decimal(700), "gpt-4o-mini"),
            Sample(
                Metric.REQUESTS, at(day), Bucket.DAY, Decimal(300), "claude-sonnet-4"
            ),
            Sample(Metric.ERRORS, at(day), Bucket.DAY, Decimal(15)),
            Sample(Metric.LATENCY_P95_MS, at(day), Bucket.DAY, Decimal("2140.5")),
        ],
    )
    data = project_dashboard(project, start=day, end=day)
    assert data.series[Metric.REQUESTS].total(day) == Decimal(1000)
    assert data.series[Metric.LATENCY_P95_MS].total(day) == Decimal(
        "2140.5"
    )  # as reported
    assert error_rates(data)[day] == Decimal("1.5")


def test_a_range_across_a_month_boundary_keeps_each_utc_day(project, source):
    days = [
        date(2026, 10, 30),
        date(2026, 10, 31),
        date(2026, 11, 1),
        date(2026, 11, 2),
    ]
    # Hourly buckets late in the UTC evening stay on their UTC day.
    services.samples_write(
        project=project,
        service=source,
        samples=[
            Sample(Metric.REQUESTS, at(d, 23), Bucket.HOUR, Decimal(n + 1))
            for n, d in enumerate(days)
        ],
    )
    data = project_dashboard(project, start=days[0], end=days[-1])
    assert data.days == days
    assert [data.series[Metric.REQUESTS].total(d) for d in days] == [
        Decimal(1),
        Decimal(2),
        Decimal(3),
        Decimal(4),
    ]


def test_an_empty_range_has_no_series(project, source):
    data = project_dashboard(project, start=date(2020, 1, 1), end=date(2020, 1, 7))
    assert data.series == {} and len(data.days) == 7 and error_rates(data) == {}


def test_the_query_count_does_not_grow_with_samples_or_sources(project, source):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            project_dashboard(project, start=date(2026, 10, 1), end=date(2026, 10, 31))
        return len(ctx.captured_queries)

    before = queries()
    for n in range(4):
        extra = ConnectedService.objects.create(
            project=project, kind="push", name=f"Push {n}"
        )
        services.samples_write(
            project=project,
            service=extra,
            samples=[
                Sample(Metric.REQUESTS, at(date(2026, 10, d)), Bucket.DAY, Decimal(d))
                for d in range(1, 31)
            ],
        )
    assert queries() == before
