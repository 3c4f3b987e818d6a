"""Opening, resolving and acknowledging alerts (writes), from the pure rules in alerting.py."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from metrics.alert_pages import alert_page
from metrics.alerting import (
    OPEN_AFTER,
    RESOLVE_AFTER,
    Verdict,
    budget_verdict,
    daily_verdict,
)
from metrics.dashboard import (
    error_rates,
    month_cost,
    project_dashboard,
    recent_window,
)
from metrics.models import Alert, ConnectedService
from metrics.vocabulary import Metric
from projects.models import NotificationKind, Project
from projects.notifications import ChannelEventKind, announce, notify_owner_and_lead

if TYPE_CHECKING:
    from portal.models import User

# A source is "failing" once it has had no successful sync for this long.
SYNC_FAILING_AFTER = timedelta(days=1)


def _verdicts(project: Project) -> dict[tuple[str, int | None], Verdict]:
    """What each metric rule says about the project today, keyed like open alerts."""
    from assessments.selectors import approved_targets

    targets = approved_targets(project)
    verdicts: dict[tuple[str, int | None], Verdict] = {}
    if targets is None:
        return verdicts
    open_kinds = set(
        Alert.objects.filter(project=project, status=Alert.Status.OPEN).values_list(
            "kind", flat=True
        )
    )
    start, end = recent_window(OPEN_AFTER + RESOLVE_AFTER)
    data = project_dashboard(project, start=start, end=end)
    if targets.p95_latency_ms is not None and Metric.LATENCY_P95_MS in data.series:
        series = data.series[Metric.LATENCY_P95_MS]
        verdicts[(Alert.Kind.LATENCY, None)] = daily_verdict(
            [(d, series.total(d)) for d in data.days],
            Decimal(targets.p95_latency_ms),
            higher_is_better=False,
            what="p95 latency",
            unit=" ms",
            is_open=Alert.Kind.LATENCY in open_kinds,
        )
    if targets.error_rate_pct is not None and Metric.ERRORS in data.series:
        rates = error_rates(data)
        verdicts[(Alert.Kind.ERROR_RATE, None)] = daily_verdict(
            [(d, rates.get(d)) for d in data.days],
            targets.error_rate_pct,
            higher_is_better=False,
            what="The error rate",
            unit=" %",
            is_open=Alert.Kind.ERROR_RATE in open_kinds,
        )
    quality = data.series.get(Metric.QUALITY_SCORE)
    if (
        targets.quality_score_target is not None
        and quality is not None
        and targets.quality_score_name
    ):
        verdicts[(Alert.Kind.QUALITY, None)] = daily_verdict(
            [
                (d, quality.values.get(d, {}).get(targets.quality_score_name))
                for d in data.days
            ],
            targets.quality_score_target,
            higher_is_better=True,
            what=f"The {targets.quality_score_name} score",
            unit="",
            is_open=Alert.Kind.QUALITY in open_kinds,
        )
    if targets.monthly_budget_usd is not None:
        month = month_cost(project)
        if month.forecast is not None:
            verdicts[(Alert.Kind.BUDGET, None)] = budget_verdict(
                forecast=month.forecast,
                budget=targets.monthly_budget_usd,
                is_open=Alert.Kind.BUDGET in open_kinds,
            )
    return verdicts


def _sync_verdicts(project: Project) -> dict[tuple[str, int | None], Verdict]:
    now = timezone.now()
    verdicts: dict[tuple[str, int | None], Verdict] = {}
    for service in ConnectedService.objects.filter(
        project=project, deleted_at__isnull=True
    ).exclude(kind="push"):
        since = service.last_success_at or service.created_at
        failing = service.consecutive_failures > 0 and now - since > SYNC_FAILING_AFTER
        if failing:
            verdicts[(Alert.Kind.SYNC, service.pk)] = Verdict(
                True,
                f"{service.name} has not synced successfully since {since:%Y-%m-%d %H:%M} UTC: {service.last_error}"[
                    :400
                ],
            )
        elif (
            service.last_success_at
            and now - service.last_success_at <= SYNC_FAILING_AFTER
        ):
            verdicts[(Alert.Kind.SYNC, service.pk)] = Verdict(
                False, f"{service.name} syncs again."
            )
    return verdicts


@transaction.atomic
def alerts_evaluate(*, project: Project) -> list[Alert]:
    """Open the alerts whose rule now breaks and resolve those that recovered; returns the
    newly opened ones. Safe to run as often as wanted."""
    opened: list[Alert] = []
    open_alerts = {
        (a.kind, a.service_id): a
        for a in Alert.objects.select_for_update().filter(
            project=project, status=Alert.Status.OPEN
        )
    }
    for key, verdict in {**_verdicts(project), **_sync_verdicts(project)}.items():
        kind, service_id = key
        current = open_alerts.get(key)
        if verdict.breached and current is None:
            alert = Alert.objects.create(
                project=project,
                kind=kind,
                service_id=service_id,
                message=verdict.message,
            )
            opened.append(alert)
            alert_notify(alert)
        elif (
            verdict.breached
            and current is not None
            and current.message != verdict.message
        ):
            current.message = verdict.message
            current.save(update_fields=["message"])
        elif verdict.breached is False and current is not None:
            current.status = Alert.Status.RESOLVED
            current.resolved_at = timezone.now()
            current.save(update_fields=["status", "resolved_at"])
    return opened


def alert_notify(alert: Alert) -> None:
    """Tell the project's owner and engineering lead that ``alert`` opened, linking to
    where it is explained (``metrics.alert_pages``)."""
    url = alert_page(alert)
    notify_owner_and_lead(
        project=alert.project,
        kind=NotificationKind.ALERT_OPENED,
        message=f"{alert.project.name}: {alert.message}",
        url=url,
    )
    # A budget alert's message is made of spend figures: channels get them only where
    # the project's owner allowed it. A sync alert's message quotes the connector's
    # error, which stays in Runway: channels get the service's name.
    spend = alert.kind == Alert.Kind.BUDGET
    if alert.kind == Alert.Kind.SYNC:
        service = alert.service.name if alert.service else "a connected service"
        title = f"{alert.project.name}: Sync failing for {service}"
    else:
        title = f"{alert.project.name}: {alert.get_kind_display()} alert opened" + (
            "" if spend else f". {alert.message}"
        )
    announce(
        project=alert.project,
        kind=ChannelEventKind.ALERT_OPENED,
        title=title,
        url=url,
        spend_detail=alert.message if spend else "",
    )


ALERT_MESSAGE_LENGTH = Alert._meta.get_field("message").max_length or 400


def _fitted(message: str) -> str:
    """The message as an alert keeps it: cut with an ellipsis when too long, never
    mid-sentence without saying so."""
    if len(message) <= ALERT_MESSAGE_LENGTH:
        return message
    return message[: ALERT_MESSAGE_LENGTH - 1].rstrip() + "…"


def alert_keep(*, project: Project, kind: str, message: str | None) -> Alert | None:
    """Keep the project's one alert of ``kind`` (not tied to a service) in step with
    ``message``: open it (telling the owner and lead) when there is a message and none
    is open, reword it when the words changed, resolve it when
    there is no message. Returns the alert when it opened. Saved one by one through
    the ORM, so the cached pages that show alerts change."""
    current = Alert.objects.filter(
        project=project, kind=kind, status=Alert.Status.OPEN, service__isnull=True
    ).first()
    if message is not None:
        message = _fitted(message)
    if message is not None and current is None:
        alert = Alert.objects.create(project=project, kind=kind, message=message)
        alert_notify(alert)
        return alert
    if message is not None and current is not None and current.message != message:
        current.message = message
        current.save(update_fields=["message"])
    elif message is None and current is not None:
        current.status = Alert.Status.RESOLVED
        current.resolved_at = timezone.now()
        current.save(update_fields=["status", "resolved_at"])
    return None


@transaction.atomic
def alert_acknowledge(*, alert: Alert, actor: User) -> Alert:
    alert.acknowledged_by = actor
    alert.acknowledged_at = timezone.now()
    alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
    return alert
