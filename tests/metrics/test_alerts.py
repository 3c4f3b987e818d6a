"""Alerts open when a target breaks for long enough, tell the team, resolve on recovery."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.alerts import alerts_evaluate
from metrics.models import Alert, ConnectedService
from metrics.tasks import evaluate_alerts
from metrics.vocabulary import Metric
from projects.models import Notification, NotificationKind
from tests.factories import approve_requirements, record_daily_metrics
from tests.html import page, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(people):
    approve_requirements(people["project"], people["owner"])
    return people["project"]


def test_a_latency_breach_opens_one_alert_and_notifies_owner_and_lead(approved, people):
    record_daily_metrics(approved, days=5, **{Metric.LATENCY_P95_MS: Decimal(2900)})
    opened = alerts_evaluate(project=approved)
    assert [a.kind for a in opened] == [Alert.Kind.LATENCY]
    assert "above target 2500 ms on each of the last 3 days" in opened[0].message
    notified = set(
        Notification.objects.filter(kind=NotificationKind.ALERT_OPENED).values_list(
            "user", flat=True
        )
    )
    assert notified == {people["owner"].pk, people["lead"].pk}
    # Evaluating again keeps the one open alert.
    assert alerts_evaluate(project=approved) == []
    assert Alert.objects.filter(status=Alert.Status.OPEN).count() == 1


def test_the_alert_resolves_itself_when_the_metric_recovers(approved):
    yesterday = timezone.localdate() - timedelta(days=1)
    day_before = yesterday - timedelta(days=1)
    service = record_daily_metrics(
        approved, days=5, **{Metric.LATENCY_P95_MS: Decimal(2900)}
    )
    alerts_evaluate(project=approved)
    service.delete()
    record_daily_metrics(
        approved,
        days=5,
        **{
            Metric.LATENCY_P95_MS: lambda day: (
                Decimal(2000) if day in (yesterday, day_before) else Decimal(2900)
            )
        },
    )
    alerts_evaluate(project=approved)
    alert = Alert.objects.get()
    assert alert.status == Alert.Status.RESOLVED and alert.resolved_at is not None


def test_quality_error_rate_and_budget_alerts(approved):
    record_daily_metrics(
        approved,
        days=8,
        **{
            Metric.QUALITY_SCORE: Decimal("0.7"),
            Metric.ERRORS: Decimal(1000),
            Metric.COST_OBSERVED_USD: Decimal(900),
        },
    )
    kinds = {a.kind for a in alerts_evaluate(project=approved)}
    assert {Alert.Kind.QUALITY, Alert.Kind.ERROR_RATE, Alert.Kind.BUDGET} <= kinds


def test_a_source_failing_for_more_than_a_day_raises_a_sync_alert(approved):
    service = ConnectedService.objects.create(
        project=approved, kind="langfuse", name="Langfuse"
    )
    ConnectedService.objects.filter(pk=service.pk).update(
        consecutive_failures=5,
        last_error="500 from Langfuse",
        last_success_at=timezone.now() - timedelta(days=2),
    )
    opened = alerts_evaluate(project=approved)
    assert [(a.kind, a.service_id) for a in opened] == [(Alert.Kind.SYNC, service.pk)]
    ConnectedService.objects.filter(pk=service.pk).update(
        consecutive_failures=0, last_success_at=timezone.now()
    )
    alerts_evaluate(project=approved)
    assert Alert.objects.get().status == Alert.Status.RESOLVED


def test_no_targets_no_metric_alerts(people):
    record_daily_metrics(
        people["project"], days=5, **{Metric.LATENCY_P95_MS: Decimal(99999)}
    )
    assert alerts_evaluate(project=people["project"]) == []


def test_the_scheduled_sweep_evaluates_every_project_with_a_source(approved):
    record_daily_metrics(approved, days=5, **{Metric.LATENCY_P95_MS: Decimal(2900)})
    assert evaluate_alerts() == 1


def offers_acknowledge(dashboard) -> bool:
    return page(dashboard).find("button", string="Acknowledge") is not None


def test_alerts_show_on_the_dashboard_and_portfolio_and_leads_acknowledge(
    client, approved, people
):
    record_daily_metrics(approved, days=5, **{Metric.LATENCY_P95_MS: Decimal(2900)})
    alert = alerts_evaluate(project=approved)[0]
    client.force_login(people["viewer"])
    dashboard = client.get(reverse("metrics:dashboard", kwargs={"slug": approved.slug}))
    assert page(dashboard).find("h2", string="Open alerts")
    assert not offers_acknowledge(dashboard)
    assert alert.message in client.get("/").content.decode()
    ack = reverse(
        "metrics:alert_acknowledge", kwargs={"slug": approved.slug, "pk": alert.pk}
    )
    assert client.post(ack).status_code == 403
    client.force_login(people["lead"])
    assert client.get(ack).status_code == 405
    client.post(ack)
    alert.refresh_from_db()
    assert alert.acknowledged_by == people["lead"] and alert.acknowledged_at is not None
    client.force_login(people["outsider"])
    assert client.post(ack).status_code == 404


def test_the_dashboard_offers_acknowledge_per_viewer_and_shows_it_once_done(
    client, approved, people
):
    record_daily_metrics(approved, days=5, **{Metric.LATENCY_P95_MS: Decimal(2900)})
    alert = alerts_evaluate(project=approved)[0]
    url = reverse("metrics:dashboard", kwargs={"slug": approved.slug})
    client.force_login(people["viewer"])
    assert not offers_acknowledge(client.get(url))
    client.force_login(people["lead"])
    assert offers_acknowledge(client.get(url))
    client.post(
        reverse(
            "metrics:alert_acknowledge", kwargs={"slug": approved.slug, "pk": alert.pk}
        )
    )
    after = client.get(url)
    assert not offers_acknowledge(after)
    assert f"acknowledged by {people['lead'].display_name}" in text(page(after))
