from __future__ import annotations

from celery import shared_task

from metrics import services
from metrics.models import ConnectedService
from projects.audit import acting_as


@shared_task(name="metrics.sync_service")
def sync_service(service_id: int) -> str:
    """Sync one service (the sync itself guards against running twice at once)."""
    service = ConnectedService.objects.filter(
        pk=service_id, deleted_at__isnull=True
    ).first()
    if service is None or not service.enabled:
        return "skipped: the service is removed or disabled"
    with acting_as(None):
        run = services.service_sync(service=service)
    return str(run.status)
