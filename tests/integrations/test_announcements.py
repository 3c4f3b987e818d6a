"""The events the rest of Runway announces reach a project's channels: alerts (spend
figures only where the owner allowed them), sign-offs, expired and expiring risk
acceptances, overdue checklist items."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from integrations import services
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
    assert document["url"].endswith(f"/projects/{project.slug}/dashboard/")
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
    _acceptance(project, owner, today + timedelta(days=services.EXPIRY_NOTICE_DAYS))
    _acceptance(project, owner, today + timedelta(days=30))

    acceptances_expire(today=today)
    assert services.expiring_acceptances_announce(today=today) == 1
    kinds = sorted(document["type"] for document in bodies(channel))
    assert kinds == ["risk_acceptance.expired", "risk_acceptance.expiring"]


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
    assert services.overdue_items_announce(today=today) == 1
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
        task=services.DAILY_ANNOUNCEMENTS, enabled=True, interval__period="days"
    ).exists()
    assert {services.DELIVER, services.DAILY_ANNOUNCEMENTS} <= set(current_app.tasks)
    assert current_app.tasks[services.DAILY_ANNOUNCEMENTS].apply().get() == (
        "0 projects with overdue items, 0 acceptances expiring"
    )
