"""Writes of the push API: ingest tokens, accepting a batch, and rolling pushed
per-request events up into daily samples.

Pushed samples go straight into ``samples_write``; pushed events are stored raw and
a debounced task recomputes the days they touched, so Runway computes the daily
percentiles itself from the requests (never from averages).
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

import psycopg
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Avg, Count, F, Q, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from core import fragments
from metrics import enqueue, sql
from metrics.models import (
    ONE_EVENT_PER_KEY,
    ConnectedService,
    IngestToken,
    RequestEvent,
)
from metrics.percentiles import rank_of
from metrics.services import samples_write
from metrics.vocabulary import Bucket, Metric, Sample
from projects.models import Project

if TYPE_CHECKING:
    from portal.models import User

# The secret's visible start tells people (and secret scanners) what it is.
SECRET_PREFIX = "rwy_"
PREFIX_LENGTH = 8
# last_used_at is a hint for people, not an audit trail: one write a minute is enough.
LAST_USED_GRANULARITY = timedelta(minutes=1)
PUSH_SERVICE_NAME = "Push API"
# The rollup waits this long after the first event of a burst, so a busy client
# pushing many batches a minute causes one rollup, and data shows within a minute.
ROLLUP_DELAY_SECONDS = 30
ROLLUP_PENDING_TIMEOUT = 60
SIX_PLACES = Decimal("0.000001")
EIGHT_PLACES = Decimal("0.00000001")


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def secret_new(secret_prefix: str) -> tuple[str, str, str]:
    """A new bearer secret: (the secret, its hash to store, the start of it to show).
    Push and personal tokens alike keep only the hash."""
    secret = secret_prefix + secrets.token_urlsafe(32)
    return secret, secret_hash(secret), secret[:PREFIX_LENGTH]


def last_used_note(token: Any, now: datetime) -> None:
    """Note a token's use (push or personal), at most once per LAST_USED_GRANULARITY;
    an UPDATE rather than save(): a use is not a change worth a history row."""
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        type(token).objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


@transaction.atomic
def token_create(
    *, project: Project, name: str, created_by: User | None
) -> tuple[IngestToken, str]:
    """Make a token and return it with its secret, which is not stored anywhere and
    so can be shown only this once."""
    secret, hashed, shown = secret_new(SECRET_PREFIX)
    token = IngestToken.objects.create(
        project=project,
        name=name,
        token_hash=hashed,
        prefix=shown,
        created_by=created_by,
    )
    return token, secret


@transaction.atomic
def token_revoke(*, token: IngestToken) -> None:
    """Stop the token working at once; the row stays so its history can be read."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def token_authenticate(secret: str) -> IngestToken | None:
    """The live token whose secret this is, with its project, or None. Looking the
    token up by the hash of the secret means no stored secret is ever compared
    character by character."""
    token = sql.live_ingest_token(secret_hash(secret))
    if token is not None:
        last_used_note(token, timezone.now())
    return token


def push_service(project: Project) -> ConnectedService:
    """The project's push source, made on first use."""
    found = sql.live_push_service(project)
    if found is not None:
        return found
    # Two first pushes at once must not make two push sources: the second waits for
    # the first's lock on the project row, then finds its service.
    Project.objects.select_for_update().filter(pk=project.pk).first()
    return sql.live_push_service(project) or ConnectedService.objects.create(
        project=project,
        kind=ConnectedService.Kind.PUSH,
        name=PUSH_SERVICE_NAME,
        interval_minutes=0,
    )


class PushedEvent(NamedTuple):
    """One request as the project's code reports it (validated by the API). A named
    tuple rather than a frozen dataclass: a batch makes a thousand of them, and a
    named tuple is the cheaper one to build."""

    timestamp: datetime
    model: str
    latency_ms: float
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    error: bool
    idempotency_key: str
    quality_score_name: str = ""
    quality_score: float | None = None
    feedback: int | None = None


@dataclass(frozen=True)
class IngestResult:
    accepted_events: int
    accepted_samples: int
    duplicates: int


@transaction.atomic
def batch_ingest(
    *,
    token: IngestToken,
    events: Sequence[PushedEvent],
    samples: Sequence[Sample],
) -> IngestResult:
    """Write a whole, already validated batch in one transaction: samples are upserted
    (a re-sent bucket replaces its value) and events stored once per idempotency key
    (a re-sent event is a duplicate, not a second request)."""
    project = token.project
    service = push_service(project)
    accepted_samples = (
        samples_write(project=project, service=service, samples=samples)
        if samples
        else 0
    )
    unique: dict[str, PushedEvent] = {}
    for event in events:
        unique.setdefault(event.idempotency_key, event)  # the first one sent wins
    accepted = _events_store(project, service, list(unique.values()))
    now = timezone.now()
    ConnectedService.objects.filter(pk=service.pk).update(
        last_sync_at=now, last_success_at=now, last_error="", consecutive_failures=0
    )
    # An update() sends no signal: the dashboard's "last synced" moves.
    fragments.data_changed(ConnectedService, project_id=project.pk)
    if accepted:
        transaction.on_commit(partial(rollup_schedule, project.pk))
    return IngestResult(
        accepted_events=accepted,
        accepted_samples=accepted_samples,
        duplicates=len(events) - accepted,
    )


def _events_store(
    project: Project, service: ConnectedService, events: Sequence[PushedEvent]
) -> int:
    """Insert the events whose key the project has not seen; returns how many.

    On PostgreSQL the batch is first COPYed straight into the table, in a savepoint:
    new events, the common case, cost no more than a bare COPY. If a key was stored
    before (a resent batch) or by a concurrent request, the unique constraint fails
    that COPY whole, the savepoint drops it, and the batch goes through a staging
    table that skips the keys seen before (``sql.events_copy_new``). Neither path
    builds a model instance. Other databases (SQLite in development) take the ORM
    path.
    """
    if not events:
        return 0
    if connection.vendor != "postgresql":
        seen = set(
            RequestEvent.objects.filter(
                project=project, idempotency_key__in=[e.idempotency_key for e in events]
            ).values_list("idempotency_key", flat=True)
        )
        new = [e for e in events if e.idempotency_key not in seen]
        # ignore_conflicts covers a concurrent request carrying the same keys.
        RequestEvent.objects.bulk_create(
            [_event_row(project, service, e) for e in new],
            ignore_conflicts=True,
            batch_size=500,
        )
        return len(new)
    try:
        with transaction.atomic():
            sql.events_copy(
                project.pk, service.pk, timezone.now(), event_values(events)
            )
            return len(events)
    except psycopg.errors.UniqueViolation as exc:
        if exc.diag.constraint_name != ONE_EVENT_PER_KEY:
            raise
    return sql.events_copy_new(
        project.pk, service.pk, timezone.now(), event_values(events)
    )


def event_values(events: Sequence[PushedEvent]) -> Iterator[tuple[Any, ...]]:
    """Each event's values in ``sql.EVENT_COLUMNS`` order, as COPY writes them."""
    for e in events:
        yield (
            e.timestamp,
            e.model,
            e.latency_ms,
            e.input_tokens,
            e.output_tokens,
            e.cost_usd.quantize(EIGHT_PLACES),
            e.error,
            e.quality_score_name,
            e.quality_score,
            e.feedback,
            e.idempotency_key,
        )


def _event_row(
    project: Project, service: ConnectedService, e: PushedEvent
) -> RequestEvent:
    return RequestEvent(
        project=project,
        service=service,
        timestamp=e.timestamp,
        model=e.model,
        latency_ms=e.latency_ms,
        input_tokens=e.input_tokens,
        output_tokens=e.output_tokens,
        cost_usd=e.cost_usd.quantize(EIGHT_PLACES),
        error=e.error,
        quality_score_name=e.quality_score_name,
        quality_score=e.quality_score,
        feedback=e.feedback,
        idempotency_key=e.idempotency_key,
    )


def rollup_key(project_id: int) -> str:
    return f"rollup-pending:{project_id}"


def rollup_schedule(project_id: int) -> None:
    """Queue one rollup of the project unless one is already waiting.

    Runs after commit (so the task sees the events, and a rolled-back batch never
    leaves the debounce key set with no task behind it). ``cache.add`` is atomic,
    so of many requests at once only one queues the task. The key expires by
    itself, so a lost task is replaced by the next push after a minute; the events
    it missed are still marked pending and are rolled up then.
    """
    if cache.add(rollup_key(project_id), "1", timeout=ROLLUP_PENDING_TIMEOUT):
        enqueue.task_send(
            enqueue.ROLLUP_EVENTS, project_id, countdown=ROLLUP_DELAY_SECONDS
        )


def events_rollup(*, project: Project) -> int:
    """Recompute the daily samples of every (push source, day) that has events not
    yet rolled up, from all of that day's events, and write them with
    ``samples_write``: running it again replaces the same values, never adds."""
    pending = list(
        RequestEvent.objects.filter(
            project=project, rolled_up_at__isnull=True
        ).values_list("pk", "service_id", "timestamp")
    )
    if not pending:
        return 0
    days: dict[int, set[date]] = defaultdict(set)
    for _, service_id, moment in pending:
        days[service_id].add(moment.astimezone(UTC).date())
    written = 0
    for service in ConnectedService.objects.filter(pk__in=days):
        samples = [
            s for day in sorted(days[service.pk]) for s in _day(project, service, day)
        ]
        written += samples_write(project=project, service=service, samples=samples)
    now = timezone.now()
    pks = [pk for pk, _, _ in pending]
    # Only the events counted here are marked; later arrivals wait for their own run.
    for start in range(0, len(pks), 500):
        RequestEvent.objects.filter(pk__in=pks[start : start + 500]).update(
            rolled_up_at=now
        )
    return written


def _decimal(value: float | Decimal | int | None) -> Decimal:
    return Decimal(str(value or 0)).quantize(SIX_PLACES)


def _day(project: Project, service: ConnectedService, day: date) -> list[Sample]:
    """The samples of one UTC day of one push source's events."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    # Filtered by project as well, so that the (project, timestamp) index reads only
    # the day's events, not every event the source ever pushed.
    events = RequestEvent.objects.filter(
        project=project,
        service=service,
        timestamp__gte=start,
        timestamp__lt=start + timedelta(days=1),
    )
    samples: list[Sample] = []

    def add(metric: Metric, value: float | Decimal | int | None, dim: str = "") -> None:
        samples.append(Sample(metric, start, Bucket.DAY, _decimal(value), dim))

    requests = 0
    for row in (
        events.values("model")
        .annotate(
            requests=Count("id"),
            errors=Count("id", filter=Q(error=True)),
            input_tokens=Sum("input_tokens"),
            output_tokens=Sum("output_tokens"),
            cost=Sum("cost_usd"),
        )
        .order_by("model")
    ):
        requests += row["requests"]
        add(Metric.REQUESTS, row["requests"], row["model"])
        add(Metric.ERRORS, row["errors"], row["model"])
        add(Metric.INPUT_TOKENS, row["input_tokens"], row["model"])
        add(Metric.OUTPUT_TOKENS, row["output_tokens"], row["model"])
        add(Metric.COST_OBSERVED_USD, row["cost"], row["model"])
    if requests:
        # The nearest-rank percentiles picked in the database: only the two ranked
        # values come back, not the day's every latency (a busy day's rollup spent
        # most of its time loading them).
        ranks = {p: rank_of(p, requests) for p in (50, 95)}
        at_rank = dict(
            events.annotate(
                rank=Window(RowNumber(), order_by=[F("latency_ms").asc(), F("pk")])
            )
            .filter(rank__in=set(ranks.values()))
            .values_list("rank", "latency_ms")
        )
        add(Metric.LATENCY_P50_MS, at_rank[ranks[50]])
        add(Metric.LATENCY_P95_MS, at_rank[ranks[95]])
    for score in (
        events.filter(quality_score__isnull=False)
        .values("quality_score_name")
        .annotate(mean=Avg("quality_score"))
        .order_by("quality_score_name")
    ):
        add(Metric.QUALITY_SCORE, score["mean"], score["quality_score_name"])
    votes = events.aggregate(
        voted=Count("id", filter=Q(feedback__isnull=False)),
        positive=Count("id", filter=Q(feedback=1)),
        negative=Count("id", filter=Q(feedback=-1)),
    )
    # A day with no votes at all says nothing about feedback, so it writes no zeros.
    if votes["voted"]:
        add(Metric.FEEDBACK_POSITIVE, votes["positive"])
        add(Metric.FEEDBACK_NEGATIVE, votes["negative"])
    return samples
