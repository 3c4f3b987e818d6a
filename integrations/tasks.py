"""The integrations app's Celery tasks: thin shells around services, queued by name
(``integrations.services.DELIVER``)."""

from __future__ import annotations

from celery import Task, shared_task

from integrations import policy, services
from projects.audit import acting_as


@shared_task(name=services.DELIVER, bind=True, max_retries=len(policy.RETRY_DELAYS))
def deliver(self: Task[[int], str], delivery_id: int) -> str:
    """Post one delivery; a failure worth retrying comes back after the policy's delay.
    The attempts are counted on the delivery's row, so a redelivered task never posts
    more often than the policy allows."""
    with acting_as(None):
        outcome = services.delivery_attempt(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name=services.DAILY_ANNOUNCEMENTS)
def daily_announcements() -> str:
    """Beat's daily sweep: overdue checklist items and risk acceptances about to
    expire, told to the channels that want them."""
    with acting_as(None):
        projects = services.overdue_items_announce()
        acceptances = services.expiring_acceptances_announce()
    return f"{projects} projects with overdue items, {acceptances} acceptances expiring"
