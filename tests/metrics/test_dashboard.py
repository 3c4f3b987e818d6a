"""The project dashboard: tiles against the approved targets, charts, range, refresh."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from metrics.vocabulary import Metric
from tests.factories import approve_requirements, record_daily_metrics
from tests.html import page, table_headers, table_rows, text

pytestmark = pytest.mark.django_db


def url(project, **params):
    base = reverse("metrics:dashboard", kwargs={"slug": project.slug})
    return base + (
        "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
    )


def test_members_see_the_dashboard_and_outsiders_get_404(as_, people):
    record_daily_metrics(people["project"])
    assert as_(people["viewer"]).get(url(people["project"])).status_code == 200
    assert as_(people["outsider"]).get(url(people["project"])).status_code == 404
    assert as_(people["viewer"]).post(url(people["project"])).status_code == 405


def test_without_approved_requirements_it_asks_for_them(as_, people):
    record_daily_metrics(people["project"])
    body = as_(people["owner"]).get(url(people["project"])).content.decode()
    assert "No approved requirements yet" in body
    assert "Latency p95" in body  # the charts still show


def tiles(response) -> dict[str, str]:
    """Each headline tile's words by its label."""
    return {
        text(tile.find(class_="tile-label")): text(tile)
        for tile in page(response).select(".tiles .tile")
    }


def test_tiles_compare_with_the_approved_targets_in_words(as_, people):
    approve_requirements(people["project"], people["owner"])
    record_daily_metrics(people["project"], **{Metric.LATENCY_P95_MS: 2600})
    shown = tiles(as_(people["owner"]).get(url(people["project"])))
    yesterday = f"{timezone.localdate() - timedelta(days=1):%Y-%m-%d}"
    assert shown["Latency p95 (latest day)"] == (
        f"Latency p95 (latest day) 2,600 ms at risk · {yesterday} · "
        "target ≤ 2,500 ms Push API · Why this number?"
    )
    assert (
        f"on target · {yesterday} · target ≥ 0.850"
        in shown["Quality (helpfulness, latest day)"]
    )


def test_charts_carry_their_figure_source_summary_and_table(as_, people):
    approve_requirements(people["project"], people["owner"])
    record_daily_metrics(people["project"])
    response = as_(people["owner"]).get(url(people["project"], range=7))
    doc = page(response)
    figure = json.loads(doc.find("script", id="chart-latency").string)
    names = [trace["name"] for trace in figure["data"]]
    assert names == ["p95", "Target"]
    assert figure["data"][1]["y"][0] == 2500.0
    card = doc.find("h2", string="Latency p95").find_parent("section")
    assert "Source: Push API" in text(card)
    summary = card.find(role="img")["aria-label"]
    assert summary.startswith("Latency p95, ") and "target 2,500 ms" in summary
    table = card.find("table")
    assert table_headers(table) == ["Day", "p95"]
    today = timezone.localdate()
    assert table_rows(table)[-2:] == [
        [f"{today - timedelta(days=1):%Y-%m-%d}", "2,000"],
        [f"{today:%Y-%m-%d} (today, incomplete)", "—"],
    ]
    # No inline scripts (CSP): every script is data or has a source.
    assert all(
        s.get("type") == "application/json" or s.get("src")
        for s in doc.find_all("script")
    )


def test_the_range_partial_is_returned_for_htmx_and_keeps_polling_the_same_range(
    as_, people
):
    record_daily_metrics(people["project"])
    response = as_(people["owner"]).get(
        url(people["project"], range=90),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="dashboard-body",
    )
    body = response.content.decode()
    assert "<html" not in body
    assert 'hx-get="?range=90"' in body and 'hx-trigger="every 60s"' in body


def test_billed_and_observed_cost_are_reconciled(as_, people):
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from django.utils import timezone

    from metrics import services
    from metrics.models import ConnectedService
    from metrics.vocabulary import Bucket, Sample

    project = people["project"]
    record_daily_metrics(project, **{Metric.COST_OBSERVED_USD: 100})
    provider = ConnectedService.objects.create(
        project=project, kind="openai", name="OpenAI"
    )
    day = timezone.localdate() - timedelta(days=1)
    services.samples_write(
        project=project,
        service=provider,
        samples=[
            Sample(
                Metric.COST_BILLED_USD,
                datetime(day.year, day.month, day.day, tzinfo=UTC),
                Bucket.DAY,
                Decimal(130),
            )
        ],
    )
    body = as_(people["owner"]).get(url(project, range=7)).content.decode()
    assert "Daily cost (billed)" in body
    assert "Reconciliation: billed against observed cost" in body
    body = (
        as_(people["owner"])
        .get(reverse("metrics:reconciliation", kwargs={"slug": project.slug}))
        .content.decode()
    )
    assert (
        "$130.00" in body
        and "$100.00" in body
        and "$30.00" in body
        and "over 10 %" in body
    )


def test_the_dashboard_query_count_does_not_grow_with_the_range(as_, people):
    record_daily_metrics(people["project"], days=90)
    client = as_(people["owner"])
    client.get(url(people["project"], range=30))  # the session's first request
    with CaptureQueriesContext(connection) as short:
        client.get(url(people["project"], range=7))
    with CaptureQueriesContext(connection) as long:
        client.get(url(people["project"], range=90))
    assert len(long.captured_queries) == len(short.captured_queries)


def _rollup_reads(queries):
    return [q for q in queries.captured_queries if "metrics_dailyrollup" in q["sql"]]


def test_a_refresh_reads_no_rollups_until_the_project_metrics_change(
    as_, people, django_capture_on_commit_callbacks
):
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from django.utils import timezone

    from metrics import services
    from metrics.vocabulary import Bucket, Sample

    project = people["project"]
    with django_capture_on_commit_callbacks(execute=True):
        service = record_daily_metrics(project, **{Metric.LATENCY_P95_MS: 2000})
    client = as_(people["owner"])
    partial = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "dashboard-body"}
    client.get(url(project, range=7), **partial)
    with CaptureQueriesContext(connection) as again:
        body = client.get(url(project, range=7), **partial).content.decode()
    assert _rollup_reads(again) == []
    assert "from 2,000 to 2,000 ms" in body

    yesterday = timezone.localdate() - timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.samples_write(
            project=project,
            service=service,
            samples=[
                Sample(
                    Metric.LATENCY_P95_MS,
                    datetime(*yesterday.timetuple()[:3], tzinfo=UTC),
                    Bucket.DAY,
                    Decimal(3100),
                )
            ],
        )
    with CaptureQueriesContext(connection) as changed:
        body = client.get(url(project, range=7), **partial).content.decode()
    assert len(_rollup_reads(changed)) == 1
    assert "from 2,000 to 3,100 ms" in body


def test_approving_targets_and_choosing_a_source_show_on_the_next_refresh(
    as_, people, django_capture_on_commit_callbacks
):
    from metrics import services
    from metrics.models import ConnectedService

    project = people["project"]
    with django_capture_on_commit_callbacks(execute=True):
        record_daily_metrics(project)
    client = as_(people["owner"])
    assert "No approved requirements yet" in client.get(url(project)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        approve_requirements(project, people["owner"])
    body = client.get(url(project)).content.decode()
    assert "No approved requirements yet" not in body
    assert "target ≤ 2,500 ms" in body

    with django_capture_on_commit_callbacks(execute=True):
        other = record_daily_metrics(project, **{Metric.LATENCY_P95_MS: 1234})
        ConnectedService.objects.filter(pk=other.pk).update(name="Langfuse EU")
        services.metric_source_set(
            project=project, metric=Metric.LATENCY_P95_MS, service=other
        )
    body = client.get(url(project)).content.decode()
    assert "Source: Langfuse EU" in body and "to 1,234 ms" in body


def test_the_metrics_export_as_csv_for_the_range(as_, people):
    record_daily_metrics(people["project"], days=10)
    response = as_(people["viewer"]).get(
        reverse("metrics:project_csv", kwargs={"slug": people["project"].slug})
        + "?range=7"
    )
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "day,metric,dimension,value,unit,source,family,complete"
    days = {line.split(",")[0] for line in lines[1:]}
    assert len(days) == 6  # seven days ending today; today has no data yet
    assert any(",latency_p95_ms,,2000" in line for line in lines)
    assert (
        as_(people["outsider"])
        .get(reverse("metrics:project_csv", kwargs={"slug": people["project"].slug}))
        .status_code
        == 404
    )


def test_the_htmx_partial_reads_no_members(as_, people):
    record_daily_metrics(people["project"], days=30)
    approve_requirements(people["project"], people["owner"])
    client = as_(people["owner"])
    partial = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "dashboard-body"}
    client.get(url(people["project"], range=30), **partial)
    with CaptureQueriesContext(connection) as page:
        client.get(url(people["project"], range=30))
    with CaptureQueriesContext(connection) as body:
        response = client.get(url(people["project"], range=30), **partial)
    assert response.status_code == 200
    assert "Daily cost" in response.content.decode()
    selects = [q["sql"] for q in body.captured_queries]
    # The members list is for the project header, which the partial leaves out; the
    # role is a subquery of the project's own query.
    assert not any(sql.startswith('SELECT "projects_membership"') for sql in selects)
    # The full page also reads the members, the bell's unread count and whether the
    # project is launched (the header's badge).
    assert len(body.captured_queries) == len(page.captured_queries) - 3
    assert len(body.captured_queries) == EXPECTED_PARTIAL_QUERIES


# Session, user, groups; project with the role. The services, rollups, metric sources,
# targets and alerts are read again only when the project's metrics or alerts change
# (it was 11, then 9).
EXPECTED_PARTIAL_QUERIES = 4


@pytest.mark.parametrize("name", ["metrics:dashboard", "metrics:project_csv"])
@pytest.mark.parametrize("start", ["2026-02-30", "2026-13-01", "soon"])
def test_an_impossible_custom_date_is_a_400_with_a_message(as_, people, name, start):
    target = reverse(name, kwargs={"slug": people["project"].slug})
    response = as_(people["owner"]).get(
        target, {"range": "custom", "start": start, "end": "2026-03-01"}
    )
    assert response.status_code == 400
