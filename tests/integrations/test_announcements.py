"""The events the rest of Runway announces reach a project's channels: alerts (spend
figures only where the owner allowed them), sign-offs, expired and expiring risk
acceptances, overdue checklist items."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from integrations import announcement_services, queue_services, services
from integrations.models import Delivery
from metrics.alerts import alert_notify
from metrics.models import Alert
from projects import step_services
from projects.models import ChecklistItem, ItemState
from risks.models import AcceptanceStatus, Risk, RiskAcceptance
from tests.projects.conftest import step_of


def bodies(channel):
    return [json.loads(d.body) for d in Delivery.objects.filter(channel=channel)]


def test_a_budget_alert_leaves_its_figures_out_unless_the_owner_allowed_them(
    project, owner, make_channel
):
    plain = make_channel("webhook")
    with_spend = make_channel("slack", include_spend=True)
    alert = Alert.objects.create(
        project=project,
        kind=Alert.Kind.BUDGET,
        message="The month is forecast at $1,200, over the $1,000 budget by $200.",
    )
    alert_notify(alert)
    (document,) = bodies(plain)
    assert document["type"] == "alert.opened"
    assert document["title"] == "Support Copilot: Budget forecast alert opened"
    assert "$" not in json.dumps(document)
    assert document["url"].endswith(
        f"/projects/{project.slug}/dashboard/#alerts-heading"
    )
    (slack,) = bodies(with_spend)
    assert "$1,200" in slack["blocks"][0]["text"]["text"]


def test_other_alerts_say_what_broke(project, owner, make_channel):
    channel = make_channel("webhook")
    alert = Alert.objects.create(
        project=project, kind=Alert.Kind.LATENCY, message="Latency p95 above 2000ms."
    )
    alert_notify(alert)
    (document,) = bodies(channel)
    assert "Latency p95 above 2000ms." in document["title"]


def test_sign_off_requests_and_decisions_are_announced_without_the_comment(people):
    from tests.integrations.conftest import ALL_EVENTS

    project, lead = people["project"], people["lead"]
    reviewer = people["reviewer"]
    channel, _ = services.channel_create(
        project=project,
        kind="webhook",
        name="ops",
        url="https://hooks.example/runway",
        events=ALL_EVENTS,
        created_by=people["owner"],
    )
    signoff = step_services.signoff_request(
        project_step=step_of(project, 3), role="reviewer", signer=reviewer, actor=lead
    )
    step_services.signoff_decide(
        signoff=signoff, approve=False, comment="The pen test report is missing"
    )
    requested, decided = reversed(bodies(channel))
    assert requested["type"] == "signoff.requested"
    assert f"asks {reviewer} for the reviewer sign-off of step 3" in requested["title"]
    assert decided["type"] == "signoff.decided"
    assert "rejected the reviewer sign-off of step 3" in decided["title"]
    assert "pen test" not in json.dumps(decided)
    assert decided["url"].endswith(f"/projects/{project.slug}/steps/3/")


def _acceptance(project, owner, expires_on):
    risk = Risk.objects.create(
        project=project, title="Prompt injection", category="security", owner=owner
    )
    return RiskAcceptance.objects.create(
        risk=risk,
        requested_by=owner,
        reason="Mitigated upstream",
        expires_on=expires_on,
        status=AcceptanceStatus.APPROVED,
    )


def test_expired_and_expiring_risk_acceptances_are_announced(
    project, owner, make_channel
):
    from risks.services import acceptances_expire

    channel = make_channel("webhook")
    today = timezone.localdate()
    _acceptance(project, owner, today - timedelta(days=1))
    _acceptance(
        project, owner, today + timedelta(days=announcement_services.EXPIRY_NOTICE_DAYS)
    )
    _acceptance(project, owner, today + timedelta(days=30))

    acceptances_expire(today=today)
    assert announcement_services.expiring_acceptances_announce(today=today) == 1
    kinds = sorted(document["type"] for document in bodies(channel))
    assert kinds == ["risk_acceptance.expired", "risk_acceptance.expiring"]


def test_an_expiring_acceptance_is_announced_once_even_when_the_day_was_missed(
    project, owner, make_channel
):
    channel = make_channel("webhook")
    today = timezone.localdate()
    # Beat missed the day it was exactly 7 days away; 5 days are left now.
    soon = _acceptance(project, owner, today + timedelta(days=5))
    _acceptance(project, owner, today)  # expires today: the expiry says it
    _acceptance(project, owner, today + timedelta(days=8))  # not yet

    assert announcement_services.expiring_acceptances_announce(today=today) == 1
    # A redelivered run, the next day's run: told already.
    assert announcement_services.expiring_acceptances_announce(today=today) == 0
    assert (
        announcement_services.expiring_acceptances_announce(
            today=today + timedelta(days=1)
        )
        == 1
    )
    expiring = [d for d in bodies(channel) if d["type"] == "risk_acceptance.expiring"]
    assert len(expiring) == 2  # the 8-day one, a day later; the 5-day one once
    assert any(f"{soon.expires_on:%Y-%m-%d}" in d["title"] for d in expiring)
    # Extended to a new date: that is news again.
    RiskAcceptance.objects.filter(pk=soon.pk).update(
        expires_on=today + timedelta(days=6)
    )
    assert (
        announcement_services.expiring_acceptances_announce(
            today=today + timedelta(days=1)
        )
        == 1
    )


def test_overdue_checklist_items_are_announced_daily_per_project(people, make_channel):
    project = people["project"]
    channel, _ = services.channel_create(
        project=project,
        kind="webhook",
        name="ops",
        url="https://hooks.example/runway",
        events=["checklist.overdue"],
        created_by=people["owner"],
    )
    today = timezone.localdate()
    items = ChecklistItem.objects.filter(
        project=project, applicable=True, state=ItemState.OPEN
    ).order_by("pk")
    ChecklistItem.objects.filter(pk__in=[i.pk for i in items[:2]]).update(
        due_date=today - timedelta(days=3)
    )
    ChecklistItem.objects.filter(pk=items[2].pk).update(
        due_date=today - timedelta(days=1), state=ItemState.DONE
    )
    assert announcement_services.overdue_items_announce(today=today) == 1
    # Run again the same day (a redelivered task): once a day only.
    assert announcement_services.overdue_items_announce(today=today) == 0
    (document,) = bodies(channel)
    assert document["title"] == (
        f"{project.name}: 2 checklist items are overdue, the oldest due "
        f"{today - timedelta(days=3):%Y-%m-%d}"
    )
    assert document["url"].endswith(f"/projects/{project.slug}/steps/")


def test_the_daily_sweep_is_scheduled_and_its_tasks_registered(db):
    from celery import current_app
    from django_celery_beat.models import PeriodicTask

    current_app.loader.import_default_modules()
    assert PeriodicTask.objects.filter(
        task=announcement_services.DAILY_ANNOUNCEMENTS,
        enabled=True,
        interval__period="days",
    ).exists()
    assert {queue_services.DELIVER, announcement_services.DAILY_ANNOUNCEMENTS} <= set(
        current_app.tasks
    )
    assert current_app.tasks[
        announcement_services.DAILY_ANNOUNCEMENTS
    ].apply().get() == ("0 projects with overdue items, 0 acceptances expiring")


def test_a_sync_alert_names_the_service_not_its_error(project, owner, make_channel):
    from metrics.models import ConnectedService

    channel = make_channel("webhook")
    service = ConnectedService.objects.create(
        project=project, kind="langfuse", name="Langfuse"
    )
    alert = Alert.objects.create(
        project=project,
        kind=Alert.Kind.SYNC,
        service=service,
        message="Langfuse has not synced since …: 401 from https://cloud.langfuse.com "
        "key pk-lf-1234 rejected",
    )
    alert_notify(alert)
    (document,) = bodies(channel)
    assert document["title"] == "Support Copilot: Sync failing for Langfuse"
    # Nothing of the connector's error (a timestamp's digits may hold "401").
    sent = json.dumps(document)
    assert "401 from" not in sent and "cloud.langfuse" not in sent
    assert "pk-lf" not in sent


def test_a_failing_channel_never_stops_a_sign_off(people, monkeypatch):
    from django.db import connection

    from projects import notifications
    from projects.models import SignOff

    logged: list[str] = []
    monkeypatch.setattr(
        notifications.logger,
        "error",
        lambda message, *args, **kwargs: logged.append(message % args),
    )

    project, lead, reviewer = people["project"], people["lead"], people["reviewer"]
    services.channel_create(
        project=project,
        kind="webhook",
        name="ops",
        url="https://hooks.example/runway",
        events=["signoff.requested"],
        created_by=people["owner"],
    )

    def broken_queue(event):
        # A failed query: without a savepoint it would break the caller's transaction
        # on PostgreSQL. (Not a division by zero: SQLite answers that with NULL.)
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    monkeypatch.setattr(queue_services, "deliveries_queue", broken_queue)
    signoff = step_services.signoff_request(
        project_step=step_of(project, 3), role="reviewer", signer=reviewer, actor=lead
    )
    assert SignOff.objects.filter(pk=signoff.pk).exists()
    assert any("announcing signoff.requested" in line for line in logged)
    assert not Delivery.objects.exists()


def test_a_test_messages_title_fits_and_names_the_sender_without_their_email(
    project, make_channel
):
    from tests.factories import UserFactory

    channel = make_channel("slack")
    nameless = UserFactory(first_name="", last_name="", email="quiet@example.com")
    delivery = queue_services.channel_test(channel=channel, actor=nameless)
    assert "quiet@example.com" not in delivery.title + delivery.body

    long_name = UserFactory(first_name="A" * 150, last_name="B" * 150)
    delivery = queue_services.channel_test(channel=channel, actor=long_name)
    assert len(delivery.title) == services.TITLE_LENGTH
    assert delivery.title.endswith("…")
