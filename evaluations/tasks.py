"""The evaluations app's Celery tasks: thin shells around ``evaluations.langfuse``.

Beat runs ``sync_langfuse_all`` hourly (migration 0002), which queues one
``sync_langfuse_service`` per Langfuse service of a project."""

from __future__ import annotations

from celery import Task, shared_task

from evaluations import langfuse
from projects.audit import acting_as

SYNC_LANGFUSE_ALL = "evaluations.sync_langfuse_all"
SYNC_LANGFUSE_SERVICE = "evaluations.sync_langfuse_service"
# A sync that failed on something passing (a 5xx, a timeout) is tried again this much
# later, a few times; after that the hourly schedule tries again.
RETRY_SECONDS = 5 * 60
RETRIES = 3


@shared_task(name=SYNC_LANGFUSE_ALL)
def sync_langfuse_all() -> int:
    """Beat's hourly sweep: one dataset-run sync queued per Langfuse service."""
    ids = list(langfuse.services_to_sync().values_list("pk", flat=True))
    for service_id in ids:
        sync_langfuse_service.delay(service_id)
    return len(ids)


@shared_task(name=SYNC_LANGFUSE_SERVICE, bind=True, max_retries=RETRIES)
def sync_langfuse_service(self: Task[[int], str], service_id: int) -> str:
    """Store one service's settled Langfuse dataset runs; retried later when it failed
    on something that may pass (never on rejected keys or an unknown address)."""
    service = langfuse.services_to_sync().filter(pk=service_id).first()
    if service is None:
        return "skipped: the service is removed, disabled or has no project"
    with acting_as(None):
        outcome = langfuse.langfuse_sync(service=service)
    if outcome.error and not outcome.permanent and self.request.retries < RETRIES:
        raise self.retry(countdown=RETRY_SECONDS)
    return outcome.describe()
