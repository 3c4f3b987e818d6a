"""The other apps' tables, read when Prometheus scrapes.

Read from the database rather than counted in a process, these are the same whichever
web process or host answers, and count what every worker on every host did.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis
from django.core.cache import cache
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from metrics.models import Alert, ConnectedService, SyncRun

# A run this old has committed, and so has every run with a smaller id (ids are taken
# at insert, and a sync's insert commits at once): past it the totals cannot change.
SETTLED_AFTER = timedelta(minutes=10)
# A run still "running" after this has lost its worker and its service has stopped
# syncing (metrics marks such runs abandoned at the service's next sync, after
# ABANDON_AFTER, 10 minutes). It no longer holds the checkpoint back; should it end
# after all, the end is not counted.
STUCK_AFTER = timedelta(days=1)
CHECKPOINT_KEY = "telemetry:sync-runs:v1"

Outcome = tuple[str, str]  # (connector kind, run status)


@dataclass(frozen=True)
class SyncTotals:
    runs: dict[Outcome, int]
    retries: dict[str, int]


@dataclass
class _Checkpoint:
    upto: int
    runs: dict[Outcome, int]
    retries: dict[str, int]

    @classmethod
    def load(cls) -> _Checkpoint:
        # Plain lists in the cache: a pickled class would tie it to this code's layout.
        # The cache is a speed-up here: without it, the runs are counted from scratch.
        try:
            found: Any = cache.get(CHECKPOINT_KEY)
        except (redis.RedisError, OSError):
            found = None
        if not found:
            return cls(0, {}, {})
        return cls(
            found["upto"],
            {(kind, status): n for kind, status, n in found["runs"]},
            dict(found["retries"]),
        )

    def save(self) -> None:
        value = {
            "upto": self.upto,
            "runs": [[kind, status, n] for (kind, status), n in self.runs.items()],
            "retries": list(self.retries.items()),
        }
        with contextlib.suppress(redis.RedisError, OSError):
            cache.set(CHECKPOINT_KEY, value, timeout=None)


def sync_run_totals(*, now: datetime | None = None) -> SyncTotals:
    """Finished sync runs (succeeded, failed, skipped, abandoned) by connector kind and
    outcome, and the requests they retried, by kind; a run still running is not yet
    counted.

    Nothing prunes sync runs (metrics prunes hourly samples only), but removing a
    project deletes its services' runs. So that a scrape costs the same after years of
    runs, the totals of the runs that can no longer change are kept in the cache with
    the id they reach, and a scrape adds up only the runs after it (two aggregate
    queries over recent rows). Runs deleted once behind that checkpoint stay counted,
    so the counters do not go down; if the cache loses the checkpoint, the next
    scrape counts the runs kept from scratch.
    """
    now = now or timezone.now()
    checkpoint = _Checkpoint.load()
    tail = SyncRun.objects.filter(pk__gt=checkpoint.upto)
    running = Q(status=SyncRun.Status.RUNNING)
    bounds = tail.aggregate(
        first_open=Min(
            "pk",
            filter=(running & Q(started_at__gt=now - STUCK_AFTER))
            | Q(started_at__gt=now - SETTLED_AFTER),
        ),
        last=Max("pk"),
    )
    if bounds["first_open"] is not None:
        settled_upto = bounds["first_open"] - 1
    else:
        settled_upto = bounds["last"] or checkpoint.upto
    settled = Q(pk__lte=settled_upto)
    rows = (
        tail.exclude(running)
        .values_list("service__kind", "status")
        .annotate(
            runs=Count("pk"),
            retries=Coalesce(Sum("retry_count"), 0),
            settled_runs=Count("pk", filter=settled),
            settled_retries=Coalesce(Sum("retry_count", filter=settled), 0),
        )
        .order_by()
    )
    runs, retries = dict(checkpoint.runs), dict(checkpoint.retries)
    for kind, status, n, retried, settled_n, settled_retried in rows:
        runs[kind, status] = runs.get((kind, status), 0) + n
        retries[kind] = retries.get(kind, 0) + retried
        checkpoint.runs[kind, status] = (
            checkpoint.runs.get((kind, status), 0) + settled_n
        )
        checkpoint.retries[kind] = checkpoint.retries.get(kind, 0) + settled_retried
    if settled_upto > checkpoint.upto:
        checkpoint.upto = settled_upto
        checkpoint.save()
    return SyncTotals(runs=runs, retries=retries)


@dataclass(frozen=True)
class ServiceFreshness:
    service_id: int
    project: str  # the project's slug
    connector: str
    seconds_since_success: float
    interval_seconds: int


def services_freshness(*, now: datetime | None = None) -> list[ServiceFreshness]:
    """Every service beat syncs (enabled, not removed, mapped to a project; not the
    push API, which clients feed), with the seconds since its last successful sync, or
    since it was added when it never had one: a service that never syncs then ages
    like one that stopped."""
    now = now or timezone.now()
    rows = (
        ConnectedService.objects.filter(
            enabled=True, deleted_at__isnull=True, project__isnull=False
        )
        .exclude(kind=ConnectedService.Kind.PUSH)
        .values_list(
            "pk",
            "project__slug",
            "kind",
            "last_success_at",
            "created_at",
            "interval_minutes",
        )
        .order_by("pk")
    )
    return [
        ServiceFreshness(
            service_id=pk,
            project=slug,
            connector=kind,
            seconds_since_success=max(
                0.0, (now - (last_success or created)).total_seconds()
            ),
            interval_seconds=interval * 60,
        )
        for pk, slug, kind, last_success, created, interval in rows
    ]


def open_alerts_by_kind() -> dict[str, int]:
    """Open alerts by kind; every kind is present, at 0 when none is open."""
    counts = dict(
        Alert.objects.filter(status=Alert.Status.OPEN)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {**dict.fromkeys(Alert.Kind.values, 0), **counts}
