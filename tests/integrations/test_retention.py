"""Old deliveries are forgotten: a daily job deletes those finished more than
INTEGRATIONS_DELIVERY_RETENTION_DAYS ago, with their attempts."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from integrations import delivery_services, queue_services
from integrations.models import Delivery, DeliveryAttempt


def _finished(channel, *, days_ago, status=Delivery.Status.DELIVERED):
    delivery = queue_services._delivery_create(
        channel, event="alert.opened", title=f"{days_ago} days ago", url="/"
    )
    when = timezone.now() - timedelta(days=days_ago)
    finished = None if status == Delivery.Status.PENDING else when
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status, created_at=when, finished_at=finished
    )
    DeliveryAttempt.objects.create(
        delivery=delivery, number=1, attempted_at=when, status_code=200
    )
    return delivery


def test_deliveries_finished_before_the_retention_period_are_deleted(
    project, make_channel, settings
):
    settings.INTEGRATIONS_DELIVERY_RETENTION_DAYS = 30
    channel = make_channel("webhook")
    old = _finished(channel, days_ago=31)
    old_failure = _finished(channel, days_ago=45, status=Delivery.Status.FAILED)
    recent = _finished(channel, days_ago=29)
    # Still sending, however old: the sweep gives up on it first, then it ages.
    sending = _finished(channel, days_ago=60, status=Delivery.Status.PENDING)

    assert delivery_services.deliveries_prune() == 2
    left = set(Delivery.objects.values_list("pk", flat=True))
    assert left == {recent.pk, sending.pk}
    assert not DeliveryAttempt.objects.filter(
        delivery_id__in=[old.pk, old_failure.pk]
    ).exists()
    assert DeliveryAttempt.objects.filter(delivery=recent).exists()
    assert delivery_services.deliveries_prune() == 0


def test_the_daily_task_prunes_by_the_default_of_90_days(project, make_channel):
    from integrations.tasks import prune_deliveries

    channel = make_channel("webhook")
    _finished(channel, days_ago=91)
    kept = _finished(channel, days_ago=89)
    assert prune_deliveries.delay().get() == "1 old deliveries deleted"
    assert list(Delivery.objects.values_list("pk", flat=True)) == [kept.pk]


def test_the_prune_runs_daily(db):
    task = PeriodicTask.objects.get(task=delivery_services.PRUNE_DELIVERIES)
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (1, "days")
