"""Every write of the metrics app: services, syncs, samples and their daily rollups."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from core import fragments
from metrics import enqueue
from metrics.connectors import ConnectorError, connector_class, outbound
from metrics.connectors.base import TIMEOUT, Retries
from metrics.models import ConnectedService, DailyRollup, MetricSample, SyncRun
from metrics.selectors import mapped_services, org_services
from metrics.vocabulary import METRICS, Bucket, Sample
from projects.models import Project

if TYPE_CHECKING:
    from portal.models import User

log = logging.getLogger("runway.metrics")

# How far back the first sync of a new service reaches.
FIRST_SYNC_DAYS = 90
# A run still "running" after this is taken to have died with its worker.
ABANDON_AFTER = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT * 2)


def _hint(credentials: Mapping[str, str]) -> str:
    """The last four characters of the longest secret, which is what people recognise."""
    secrets = [v for v in credentials.values() if v]
    if not secrets:
        return ""
    longest = max(secrets, key=len)
    return f"…{longest[-4:]}" if len(longest) > 8 else "…"


@transaction.atomic
def service_create(
    *,
    project: Project | None,
    kind: str,
    name: str,
    created_by: User | None,
    base_url: str = "",
    credentials: Mapping[str, str] | None = None,
    config: Mapping[str, Any] | None = None,
    environment: str = "production",
    interval_minutes: int = 60,
) -> ConnectedService:
    """Create a service, schedule its syncs and start the first one after commit.

    An organisation-wide service (``project=None``) only holds the provider's admin key:
    it is never synced itself; the project services mapped to it are."""
    credentials = dict(credentials or {})
    service = ConnectedService.objects.create(
        project=project,
        kind=kind,
        name=name,
        base_url=base_url,
        credentials=json.dumps(credentials) if credentials else "",
        credentials_hint=_hint(credentials),
        config=dict(config or {}),
        environment=environment,
        interval_minutes=interval_minutes,
        created_by=created_by,
    )
    if project is None:
        return service
    schedule(service)
    enqueue.task_send_on_commit(enqueue.SYNC_SERVICE, service.pk)
    return service


# The config key that names the provider project or workspace, per org-wide kind.
ORG_SCOPE_KEYS: dict[str, str] = {
    ConnectedService.Kind.OPENAI: "project_id",
    ConnectedService.Kind.ANTHROPIC: "workspace_id",
}


@transaction.atomic
def service_map_to_org(
    *,
    project: Project,
    org_service: ConnectedService,
    scope_id: str,
    name: str,
    created_by: User | None,
    environment: str = "production",
    interval_minutes: int = 60,
) -> ConnectedService:
    """Map the project to its provider project or workspace under an organisation-wide
    service. The project row keeps only the mapping; the key stays on the org service
    and is read at sync time."""
    if org_service.project is not None or org_service.deleted_at is not None:
        raise ValueError("Only a live organisation-wide service can be mapped.")
    config: dict[str, Any] = {"org_service": org_service.pk}
    if scope_id:
        config[ORG_SCOPE_KEYS[org_service.kind]] = scope_id
    return service_create(
        project=project,
        kind=org_service.kind,
        name=name,
        created_by=created_by,
        config=config,
        environment=environment,
        interval_minutes=interval_minutes,
    )


@transaction.atomic
def service_replace_credentials(
    *, service: ConnectedService, credentials: Mapping[str, str]
) -> None:
    """Replace the secrets without ever showing the old ones; re-enables the service.

    For an organisation-wide service, the project services mapped to it that a
    rejected key disabled are re-enabled too."""
    service.credentials = json.dumps(dict(credentials))
    service.credentials_hint = _hint(credentials)
    service.enabled, service.disabled_reason, service.consecutive_failures = True, "", 0
    service.save()
    if service.project is None:
        for mapped in mapped_services(service).filter(enabled=False):
            mapped.enabled, mapped.disabled_reason = True, ""
            mapped.consecutive_failures = 0
            mapped.save()
            schedule(mapped)
        return
    schedule(service)


@transaction.atomic
def service_delete(*, service: ConnectedService) -> None:
    """Stop syncing and hide the service; its samples and history stay, labelled.

    Removing an organisation-wide service disables the project services mapped to it,
    with the reason, and tells their leads and owners."""
    service.deleted_at = timezone.now()
    service.enabled = False
    service.disabled_reason = "Removed"
    service.save()  # its rollups no longer count (metrics.signals)
    PeriodicTask.objects.filter(name=_task_name(service)).delete()
    if service.project is not None:
        return
    reason = (
        f"The organisation's {service.get_kind_display()} service “{service.name}” "
        "was removed; map the project to another one."
    )[:300]
    for mapped in mapped_services(service).select_related("project"):
        mapped.enabled, mapped.disabled_reason = False, reason
        mapped.save()
        schedule(mapped)
        _notify_disabled(mapped, reason)


# The kinds whose settings are edited after connecting: the project's own observability
# sources. A provider's project or workspace is changed by mapping again (it is checked
# with the provider), and pushed or generated data has nothing to set.
EDITABLE_KINDS = {
    ConnectedService.Kind.LANGFUSE,
    ConnectedService.Kind.HELICONE,
    ConnectedService.Kind.LANGSMITH,
    ConnectedService.Kind.PROMETHEUS,
}


@transaction.atomic
def service_settings_update(
    *,
    service: ConnectedService,
    name: str,
    environment: str,
    interval_minutes: int,
    config: Mapping[str, Any],
    editable: list[str],
) -> ConnectedService:
    """Change a connected service's name, environment, schedule and the ``editable``
    keys of its config (feedback names, Prometheus queries…); its address and keys stay.
    The next sync reads with the new settings."""
    kept = {k: v for k, v in (service.config or {}).items() if k not in editable}
    service.name = name
    service.environment = environment
    service.interval_minutes = interval_minutes
    service.config = {**kept, **{k: v for k, v in config.items() if k in editable}}
    service.save()
    schedule(service)
    return service


def _org_source(service: ConnectedService) -> tuple[str, dict[str, str]]:
    """The base URL and credentials a service syncs with: its own, or, when it is mapped
    to an organisation-wide service, that service's (read now, never copied)."""
    org_pk = service.config.get("org_service") if service.config else None
    if not org_pk:
        credentials = json.loads(service.credentials) if service.credentials else {}
        return service.base_url, credentials
    org = org_services(service.kind).filter(pk=org_pk).first()
    if org is None:
        raise ConnectorError(
            "The organisation-wide service this project was mapped to was removed.",
            permanent=True,
        )
    credentials = json.loads(org.credentials) if org.credentials else {}
    return org.base_url, credentials


def _task_name(service: ConnectedService) -> str:
    return f"sync service {service.pk}"


def schedule(service: ConnectedService) -> None:
    """Keep the service's beat row in step with its interval and enabled flag."""
    if service.kind == ConnectedService.Kind.PUSH:
        return
    every, _ = IntervalSchedule.objects.get_or_create(
        every=service.interval_minutes, period=IntervalSchedule.MINUTES
    )
    PeriodicTask.objects.update_or_create(
        name=_task_name(service),
        defaults={
            "task": enqueue.SYNC_SERVICE,
            "interval": every,
            "args": json.dumps([service.pk]),
            "enabled": service.enabled and service.deleted_at is None,
        },
    )


def _connector(
    kind: str,
    *,
    base_url: str,
    credentials: Mapping[str, str],
    config: Mapping[str, Any],
    environment: str,
    client: httpx.Client,
) -> Any:
    return connector_class(kind)(
        base_url=base_url,
        credentials=credentials,
        config=config,
        environment=environment,
        client=client,
    )


# "Test connection" answers within this many seconds, retries included.
CONNECTION_TEST_SECONDS = 10.0


def connection_test(
    *,
    kind: str,
    base_url: str,
    credentials: Mapping[str, str],
    config: Mapping[str, Any],
    environment: str,
) -> str:
    """Try the values of a form, saving nothing. Retries on 429/5xx could take longer
    than a person should wait, so the whole test has a hard deadline."""

    def attempt() -> str:
        with outbound.client(timeout=CONNECTION_TEST_SECONDS) as client:
            connector = _connector(
                kind,
                base_url=base_url,
                credentials=credentials,
                config=config,
                environment=environment,
                client=client,
            )
            return str(connector.test())

    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(attempt).result(timeout=CONNECTION_TEST_SECONDS)
    except FuturesTimeout:
        raise ConnectorError(
            f"No answer within {CONNECTION_TEST_SECONDS:.0f} seconds; check the address."
        ) from None
    except ConnectorError as exc:
        # The form shows the message; the original, unblanked, is not kept in the chain.
        raise exc.redacted(credentials) from None
    finally:
        pool.shutdown(wait=False)


def _retry_fields(retries: Retries) -> dict[str, Any]:
    return {
        "retry_count": retries.count,
        "retry_last_status": retries.last_status,
        # Tenths are what the page shows ("waited 12.5 s"); sub-tenth waits are noise.
        "retry_wait_seconds": round(retries.waited, 1),
    }


def _day(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def service_sync(
    *, service: ConnectedService, now: datetime | None = None, task_id: str = ""
) -> SyncRun:
    """Pull the service's window and write it; never two runs of one service at once.

    ``task_id``: the Celery task running this sync. A run left "running" by the same
    task is over: the broker hands a task back only when the worker that had it never
    acknowledged it (acks_late), i.e. that worker died, and the visibility timeout is
    longer than a task may live (its hard time limit)."""
    now = now or timezone.now()
    over = Q(started_at__lt=now - ABANDON_AFTER)
    if task_id:
        over |= Q(task_id=task_id)
    SyncRun.objects.filter(over, service=service, status=SyncRun.Status.RUNNING).update(
        status=SyncRun.Status.ABANDONED,
        finished_at=now,
        error="The worker stopped before the run ended.",
    )
    try:
        with transaction.atomic():
            run = SyncRun.objects.create(service=service, task_id=task_id)
    except IntegrityError:
        return SyncRun.objects.create(
            service=service,
            status=SyncRun.Status.SKIPPED,
            finished_at=now,
            error="Another sync of this service was running.",
        )
    connector_cls = None
    credentials: Mapping[str, str] = {}
    # Filled by the connector's Http helper; recorded whatever the outcome.
    retries = Retries()
    try:
        connector_cls = connector_class(service.kind)
        since = service.last_success_at or now - timedelta(days=FIRST_SYNC_DAYS)
        start = _day(since - connector_cls.trailing_window)
        run.window_start, run.window_end = start, now
        base_url, credentials = _org_source(service)
        with retries.counting(), outbound.client(timeout=TIMEOUT) as client:
            connector = connector_cls(
                base_url=base_url,
                credentials=credentials,
                config=service.config,
                environment=service.environment,
                client=client,
            )
            samples = connector.fetch(start=start, end=now)
        if service.project is None:
            raise ConnectorError("This service is not mapped to a project yet.")
        rows = samples_write(project=service.project, service=service, samples=samples)
    except ConnectorError as exc:
        safe = exc.redacted(credentials)
        _fail(service, run, safe.message, permanent=safe.permanent, retries=retries)
    except (
        Exception
    ) as exc:  # a bug or an unexpected payload: recorded, never half-written
        log.exception("sync failed", extra={"service_id": service.pk})
        _fail(
            service,
            run,
            f"Unexpected error: {type(exc).__name__}",
            permanent=False,
            retries=retries,
        )
    else:
        finished = timezone.now()
        SyncRun.objects.filter(pk=run.pk).update(
            status=SyncRun.Status.SUCCEEDED,
            finished_at=finished,
            rows_written=rows,
            window_start=run.window_start,
            window_end=run.window_end,
            **_retry_fields(retries),
        )
        ConnectedService.objects.filter(pk=service.pk).update(
            last_sync_at=finished,
            last_success_at=now,
            last_error="",
            consecutive_failures=0,
        )
        # An update() sends no signal: the dashboard's "last synced" moves.
        fragments.data_changed(ConnectedService, project_id=service.project_id)
    run.refresh_from_db()
    if service.project is not None:
        from metrics.alerts import alerts_evaluate

        alerts_evaluate(project=service.project)
    return run


def _fail(
    service: ConnectedService,
    run: SyncRun,
    message: str,
    *,
    permanent: bool,
    retries: Retries | None = None,
) -> None:
    """Record the failed run (with the retries it made) and the service's health.
    ``message`` is stored, shown and mailed as it is: it must hold no credential."""
    finished = timezone.now()
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.FAILED,
        finished_at=finished,
        error=message,
        window_start=run.window_start,
        window_end=run.window_end,
        **_retry_fields(retries or Retries()),
    )
    service.refresh_from_db()
    service.last_sync_at = finished
    service.last_error = message
    service.consecutive_failures += 1
    if permanent:
        # Bad credentials or an unknown project will not fix themselves.
        service.enabled = False
        service.disabled_reason = message[:300]
    service.save()
    if permanent:
        schedule(service)
        _notify_disabled(service, message)
    log.warning(
        "sync failed",
        extra={"service_id": service.pk, "permanent": permanent, "error": message},
    )


def _notify_disabled(service: ConnectedService, message: str) -> None:
    from projects.models import NotificationKind
    from projects.notifications import notify_owner_and_lead

    if service.project is None:
        return
    notify_owner_and_lead(
        project=service.project,
        kind=NotificationKind.SERVICE_DISABLED,
        message=f"{service.name} was disabled: {message}",
        url=f"/projects/{service.project.slug}/metrics/",
    )


@transaction.atomic
def samples_write(
    *, project: Project, service: ConnectedService, samples: Iterable[Sample]
) -> int:
    """Upsert samples (a re-pulled bucket replaces its value, never adds to it) and bring
    the daily rollups of every touched day up to date, in one transaction."""
    rows: dict[tuple[str, str, str, datetime], Decimal] = {}
    for s in samples:
        # The last value reported for a bucket wins, like a source restating it.
        rows[(s.metric.value, s.dimension, s.bucket.value, s.bucket_start)] = s.value
    if not rows:
        return 0
    now = timezone.now()
    MetricSample.objects.bulk_create(
        [
            MetricSample(
                project=project,
                service=service,
                metric=metric,
                dimension=dimension,
                bucket=bucket,
                bucket_start=start,
                value=value,
                updated_at=now,
            )
            for (metric, dimension, bucket, start), value in rows.items()
        ],
        update_conflicts=True,
        unique_fields=["service", "metric", "dimension", "bucket", "bucket_start"],
        update_fields=["value", "updated_at"],
        batch_size=1000,
    )
    touched: dict[tuple[str, str], set[date]] = defaultdict(set)
    for metric, dimension, _, start in rows:
        touched[(metric, dimension)].add(start.date())
    rollups_refresh(project=project, service=service, touched=touched)
    return len(rows)


def rollups_refresh(
    *,
    project: Project,
    service: ConnectedService,
    touched: Mapping[tuple[str, str], set[date]],
) -> None:
    """Recompute the daily value of each touched (metric, dimension, day)."""
    days = {d for ds in touched.values() for d in ds}
    start = datetime.combine(min(days), datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(max(days), datetime.min.time(), tzinfo=UTC) + timedelta(
        days=1
    )
    daily: dict[tuple[str, str, date], Decimal] = {}
    hourly: dict[tuple[str, str, date], Decimal] = defaultdict(Decimal)
    for metric, dimension, bucket, bucket_start, value in MetricSample.objects.filter(
        service=service,
        metric__in={m for m, _ in touched},
        bucket_start__gte=start,
        bucket_start__lt=end,
    ).values_list("metric", "dimension", "bucket", "bucket_start", "value"):
        key = (metric, dimension, bucket_start.astimezone(UTC).date())
        if key[2] not in touched.get((metric, dimension), ()):
            continue
        if bucket == Bucket.DAY:
            daily[key] = value
        elif METRICS[metric].combine == "sum":  # type: ignore[index]
            hourly[key] += value
    values = {**hourly, **daily}  # a day's own value wins over the sum of its hours
    DailyRollup.objects.bulk_create(
        [
            DailyRollup(
                project=project,
                service=service,
                metric=m,
                dimension=d,
                day=day,
                value=v,
            )
            for (m, d, day), v in values.items()
        ],
        update_conflicts=True,
        unique_fields=["service", "metric", "dimension", "day"],
        update_fields=["value"],
        batch_size=1000,
    )
    fragments.data_changed(DailyRollup, project_id=project.pk)  # an upsert: no signal


def hourly_samples_prune(*, now: datetime | None = None) -> int:
    """Delete HOUR samples older than RUNWAY_HOURLY_RETENTION_DAYS; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(
        days=settings.RUNWAY_HOURLY_RETENTION_DAYS
    )
    deleted, _ = MetricSample.objects.filter(
        bucket=Bucket.HOUR, bucket_start__lt=cutoff
    ).delete()
    return deleted


@transaction.atomic
def metric_source_set(
    *, project: Project, metric: str, service: ConnectedService | None
) -> None:
    """Choose the source that counts for ``metric`` (None: back to the default order)."""
    from metrics.models import MetricSource

    if service is None:
        MetricSource.objects.filter(project=project, metric=metric).delete()
        return
    MetricSource.objects.update_or_create(
        project=project, metric=metric, defaults={"service": service}
    )
