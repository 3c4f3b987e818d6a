"""The metrics app's Celery tasks: each calls a service. Nothing imports this module
to queue them; services queue them by name (``metrics.enqueue``)."""

from __future__ import annotations

from celery import Task, shared_task
from django.core.cache import cache

from metrics import enqueue, ingest, services
from metrics.alerts import alerts_evaluate
from metrics.models import ConnectedService
from projects.audit import acting_as
from projects.models import Project


@shared_task(name=enqueue.SYNC_SERVICE, bind=True)
def sync_service(self: Task[[int], str], service_id: int) -> str:
    """Sync one service (the sync itself guards against running twice at once)."""
    service = ConnectedService.objects.filter(
        pk=service_id, deleted_at__isnull=True
    ).first()
    if service is None or not service.enabled:
        return "skipped: the service is removed or disabled"
    with acting_as(None):
        run = services.service_sync(service=service, task_id=self.request.id or "")
    return str(run.status)


@shared_task(name=enqueue.ROLLUP_EVENTS)
def rollup_events(project_id: int) -> str:
    """Roll a project's newly pushed events up into daily samples."""
    # Cleared first, so events that arrive while this runs queue the next rollup.
    cache.delete(ingest.rollup_key(project_id))
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return "skipped: the project is gone"
    with acting_as(None):
        written = ingest.events_rollup(project=project)
    return f"{written} samples written"


@shared_task(name=enqueue.EVALUATE_ALERTS)
def evaluate_alerts() -> int:
    """Beat's sweep over every project with a source: alerts open and resolve even when
    no sync runs (a source that stopped answering, a month running out of budget)."""
    opened = 0
    with acting_as(None):
        for project in Project.objects.filter(
            archived_at__isnull=True, services__isnull=False
        ).distinct():
            opened += len(alerts_evaluate(project=project))
    return opened


@shared_task(name=enqueue.PRUNE_HOURLY_SAMPLES)
def prune_hourly_samples() -> int:
    """Delete hourly samples past the retention; the daily rollups keep the history."""
    return services.hourly_samples_prune()
