"""Writes of the push API: ingest tokens, accepting a batch, and rolling pushed
per-request events up into daily samples.

Pushed samples go straight into ``samples_write``; pushed events are stored raw and
a debounced task adds them to their day's totals and rewrites that day's samples,
so Runway computes the daily percentiles itself from the requests (never from
averages), within the sketch's stated error (``metrics.latency_sketch``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

import psycopg
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from core import fragments
from metrics import enqueue, sql
from metrics.event_totals import Event, Totals, day_samples
from metrics.latency_sketch import sketch_dump, sketch_load
from metrics.models import (
    ONE_EVENT_PER_KEY,
    ConnectedService,
    EventDayTotal,
    IngestToken,
    RequestEvent,
)
from metrics.services import samples_write
from metrics.vocabulary import Sample
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


# Events added to the day totals per transaction: a backlog is worked through in
# steps that each hold the project's lock briefly.
ROLLUP_CHUNK = 10_000
# The columns of a stored event the totals read, after its key, source, time and model.
_TOTALLED = Event._fields
# The fields Totals and EventDayTotal share by name: all but the latencies, which the
# row keeps serialised (latency_sketch).
_COUNTS = [f.name for f in dataclass_fields(Totals) if f.name != "latencies"]


def events_rollup(*, project: Project) -> int:
    """Add the project's events not yet rolled up to their day totals and rewrite
    the samples of the days they fall on from those totals; returns how many
    samples were written.

    A batch costs what the batch costs: the day's earlier events are not read
    again, their totals are. Each event is counted once, as it is marked in the
    transaction that adds it, and two runs at once take turns on the project's row.
    Events pushed while this runs are left to the rollup their push queues.
    """
    # Every pending id at once, unordered and unlimited: asked for "the oldest few",
    # PostgreSQL may walk the whole table in id order whenever its statistics
    # overrate the project's backlog (a busy project's events all rolled up while
    # other projects' wait), a second for every rollup of that project. With no
    # LIMIT there is no early stop to gamble on, and it takes the pending-only index
    # unless it believes much of the table is pending (bench/README.md).
    pending_ids = sorted(
        RequestEvent.objects.filter(
            project=project, rolled_up_at__isnull=True
        ).values_list("pk", flat=True)
    )
    written = 0
    for start in range(0, len(pending_ids), ROLLUP_CHUNK):
        written += _rollup_chunk(project, pending_ids[start : start + ROLLUP_CHUNK])
    return written


@transaction.atomic
def _rollup_chunk(project: Project, event_ids: list[int]) -> int:
    """Roll up those of the events that are still pending; returns how many samples
    were written."""
    # Runs of one project take turns on its row: a run that read the pending events
    # before another's commit and the totals after it would add those events twice.
    # Events another run added meanwhile are no longer pending and are skipped.
    Project.objects.select_for_update().filter(pk=project.pk).first()
    # Read by id alone and told apart here: with "still pending" in the query,
    # PostgreSQL may scan the whole pending-only index for every step of a backlog.
    pending = [
        row
        for *row, rolled_up_at in RequestEvent.objects.filter(
            pk__any_of=event_ids
        ).values_list(
            "pk", "service_id", "timestamp", "model", *_TOTALLED, "rolled_up_at"
        )
        if rolled_up_at is None
    ]
    if not pending:
        return 0
    added: dict[tuple[int, date, str], Totals] = defaultdict(Totals)
    for _, service_id, moment, model, *values in pending:
        added[(service_id, moment.astimezone(UTC).date(), model)].add(Event(*values))
    days = _day_totals_add(added)
    written = 0
    for service in ConnectedService.objects.filter(pk__in={s for s, _ in days}):
        samples = [
            sample
            for (service_id, day), by_model in sorted(days.items())
            if service_id == service.pk
            for sample in day_samples(day, by_model)
        ]
        written += samples_write(project=project, service=service, samples=samples)
    RequestEvent.objects.filter(pk__any_of=[row[0] for row in pending]).update(
        rolled_up_at=timezone.now()
    )
    return written


def _day_totals_add(
    added: dict[tuple[int, date, str], Totals],
) -> dict[tuple[int, date], dict[str, Totals]]:
    """Add ``added`` (by source, day and model) to the stored day totals; returns
    every model's totals of each (source, day) touched, as now stored."""
    touched = {(service_id, day) for service_id, day, _ in added}
    days: dict[tuple[int, date], dict[str, Totals]] = defaultdict(dict)
    for row in EventDayTotal.objects.filter(
        service_id__in={s for s, _ in touched}, day__in={d for _, d in touched}
    ):
        if (row.service_id, row.day) in touched:
            days[(row.service_id, row.day)][row.model] = _totals_from(row)
    for (service_id, day, model), totals in added.items():
        by_model = days[(service_id, day)]
        by_model.setdefault(model, Totals()).merge(totals)
    EventDayTotal.objects.bulk_create(
        [
            _row_from(service_id, day, model, days[(service_id, day)][model])
            for service_id, day, model in added
        ],
        update_conflicts=True,
        unique_fields=["service", "day", "model"],
        update_fields=[*_COUNTS, "latency_sketch", "updated_at"],
    )
    return days


def _totals_from(row: EventDayTotal) -> Totals:
    return Totals(
        **{name: getattr(row, name) for name in _COUNTS},
        latencies=sketch_load(bytes(row.latency_sketch)),
    )


def _row_from(service_id: int, day: date, model: str, totals: Totals) -> EventDayTotal:
    return EventDayTotal(
        service_id=service_id,
        day=day,
        model=model,
        **{name: getattr(totals, name) for name in _COUNTS},
        latency_sketch=sketch_dump(totals.latencies),
        updated_at=timezone.now(),
    )
