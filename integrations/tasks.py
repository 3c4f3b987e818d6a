"""The integrations app's Celery tasks: thin shells around services, queued by name
(``integrations.queue_services.DELIVER``)."""

from __future__ import annotations

from celery import Task, shared_task

from integrations import announcement_services, delivery_services, queue_services
from projects.audit import acting_as


@shared_task(name=queue_services.DELIVER, bind=True, max_retries=None)
def deliver(
    self: Task[[int, int | None], str], delivery_id: int, attempt: int | None = None
) -> str:
    """Make attempt number ``attempt`` of one delivery (the next one when None); a
    failure worth retrying comes back, as the next number, after the policy's delay
    (the policy, not Celery, counts the attempts).

    Each attempt is claimed on the delivery's row before it is posted, so two runs of
    the same task (acks_late redelivers a task whose worker seemed lost) do not both
    post it. A worker that dies after posting but before recording leaves the attempt
    claimed; once the claim runs out a redelivered run posts it again, so a receiver
    may see a delivery twice and drops the repeat by its id. A delivery no run
    finishes is given up on by ``sweep_stuck_deliveries``."""
    with acting_as(None):
        outcome = delivery_services.delivery_attempt(
            delivery_id=delivery_id, attempt=attempt
        )
    if outcome.retry_in is not None:
        raise self.retry(
            args=(delivery_id, outcome.next_attempt), countdown=outcome.retry_in
        )
    return outcome.status


@shared_task(name=announcement_services.DAILY_ANNOUNCEMENTS)
def daily_announcements() -> str:
    """Beat's daily sweep: overdue checklist items and risk acceptances about to
    expire, told to the channels that want them."""
    with acting_as(None):
        projects = announcement_services.overdue_items_announce()
        acceptances = announcement_services.expiring_acceptances_announce()
    return f"{projects} projects with overdue items, {acceptances} acceptances expiring"


@shared_task(name=delivery_services.SWEEP_STUCK_DELIVERIES)
def sweep_stuck_deliveries() -> str:
    """Beat's hourly sweep: deliveries that no worker finished are given up on."""
    with acting_as(None):
        failed = delivery_services.stuck_deliveries_fail()
    return f"{failed} stuck deliveries given up on"


@shared_task(name=delivery_services.PRUNE_DELIVERIES)
def prune_deliveries() -> str:
    """Beat's daily clean-up: deliveries finished more than
    INTEGRATIONS_DELIVERY_RETENTION_DAYS ago are deleted, with their attempts."""
    with acting_as(None):
        deleted = delivery_services.deliveries_prune()
    return f"{deleted} old deliveries deleted"
