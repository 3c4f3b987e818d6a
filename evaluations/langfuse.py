"""Langfuse dataset runs as evaluation runs: the Langfuse service that already holds a
project's keys also reads its datasets, their runs, and the scores on each run's items.

Reads (Langfuse's public API; shapes in ``docs/connectors.md``, "Datasets and dataset
runs"), through the metrics connector's HTTP helper (keys, timeouts, retries, address
checks):

- ``GET /api/public/v2/datasets`` and ``GET /api/public/datasets/{name}/runs``, paged
  by ``page``/``limit`` until ``meta.totalPages``;
- ``GET /api/public/datasets/{name}/runs/{runName}`` for a run's ``datasetRunItems``
  (each names its ``traceId``), only for runs not stored yet;
- ``GET /api/public/v3/scores?traceId=…&dataType=NUMERIC,BOOLEAN``, by cursor, for the
  scores on those traces (trace-level and observation-level alike). No environment
  filter: experiment traces are often in an environment of their own.

One dataset run becomes one evaluation run (origin Langfuse, run id = the dataset run's
id), stored once by ``run_record`` in one transaction, so a failed read stores nothing of
that run and the next sync reads it again. Per metric (score name) the run keeps the mean
of all its scores (every score on every item's trace); a boolean counts as 1 or 0.
Categorical and text scores are not numbers and are left out. A metric with any value
outside 0–1 (a 1–5 rating, say) is left out whole: Runway compares scores on a 0–1 scale,
and a mean of only the values that fit would misstate it.

Langfuse scores run items asynchronously (LLM-as-a-judge evaluators), so a run is read
only once it has been quiet for ``SETTLE`` (no new run item, no update of the run): a
run stored early would keep its half-scored means for good, since a stored run is never
read again. Items passed and failed are not a Langfuse notion and stay empty; neither is
a dataset version in these answers.

Langfuse v3's dataset-run endpoints were announced for removal from Langfuse Cloud on
2026-11-16 (v4 has experiments instead); self-hosted v3 keeps them. A deployment without
them answers 404, which fails the sync as permanent (not retried until the next hour).
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeGuard
from urllib.parse import quote

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from evaluations.models import DatasetSync, EvaluationRun, EvaluationScore
from evaluations.services import RunSummary, run_record
from metrics.connectors import outbound
from metrics.connectors.base import TIMEOUT, ConnectorError, json_objects
from metrics.connectors.feedback import BOOLEAN, NUMERIC
from metrics.connectors.langfuse import (
    MAX_PAGES,
    PROVIDER,
    SCORES_PAGE_SIZE,
    SCORES_PATH,
    LangfuseConnector,
)
from metrics.connectors.parsing import parse_decimal, parse_timestamp
from metrics.models import ConnectedService
from projects.models import Project

log = logging.getLogger("runway.evaluations")

DATASETS_PATH = "/api/public/v2/datasets"
# The published maximum page size of the datasets and dataset runs lists.
PAGE_SIZE = 100
# How long a run must be quiet before it is read: its items done and their evaluators
# given time to score them.
SETTLE = timedelta(hours=1)
# Trace ids per scores request: 50 ids of 32 characters keep the address under 2 kB.
TRACES_PER_REQUEST = 50
# A sync stops starting new runs after this long, inside Celery's soft time limit (4
# min); the runs left are read by the next sync.
BUDGET_SECONDS = 180.0
# The longest a sync may hold its service's lock (Celery's hard time limit is 5 min).
LOCK_SECONDS = 6 * 60

SCALE = (Decimal(0), Decimal(1))
PLACES = Decimal("0.0001")  # EvaluationScore.value's precision

# Where a run's metadata may name what was evaluated, first match wins. Langfuse has no
# field for these; SDKs and teams put them in the run's free-form metadata.
MODEL_KEYS = ("model", "model_name", "modelName")
APP_VERSION_KEYS = (
    "app_version",
    "appVersion",
    "prompt_version",
    "promptVersion",
    "version",
)
COMMIT_KEYS = ("commit", "commit_sha", "commitSha", "git_sha", "gitSha", "sha")

_ID_LENGTH = EvaluationRun._meta.get_field("external_id").max_length or 200
_NAME_LENGTH = EvaluationRun._meta.get_field("name").max_length or 200
_METRIC_LENGTH = EvaluationScore._meta.get_field("metric").max_length or 120
_URL_LENGTH = EvaluationRun._meta.get_field("source_url").max_length or 500


@dataclass
class SyncOutcome:
    """What one sync of a service did: the runs it stored (their Langfuse ids), how
    many it left for later (still settling, or past the time budget), and why it
    failed (a message that holds no credential; empty when it did not)."""

    stored: list[str] = field(default_factory=list)
    waiting: int = 0
    unfinished: bool = False
    skipped: str = ""
    error: str = ""
    permanent: bool = False

    def describe(self) -> str:
        if self.skipped:
            return f"skipped: {self.skipped}"
        text = f"{len(self.stored)} runs stored, {self.waiting} waiting"
        if self.unfinished:
            text += ", more next time"
        return f"{text}; failed: {self.error}" if self.error else text


def services_to_sync() -> QuerySet[ConnectedService]:
    """The Langfuse services whose dataset runs are read: enabled, not removed, and
    belonging to a project that is not archived (one takes no more runs, as the push
    API says)."""
    return ConnectedService.objects.filter(
        kind=ConnectedService.Kind.LANGFUSE,
        enabled=True,
        deleted_at__isnull=True,
        project__isnull=False,
        project__archived_at__isnull=True,
    ).order_by("pk")


def langfuse_sync(
    *,
    service: ConnectedService,
    now: datetime | None = None,
    budget_seconds: float = BUDGET_SECONDS,
) -> SyncOutcome:
    """Store the service's settled dataset runs that are not stored yet, oldest first.

    Each run is read whole (items, then all their scores) before it is stored in one
    transaction; a failure stops the sync with what it had stored so far, and names
    the cause in ``error``. Never two syncs of one service at once."""
    outcome = SyncOutcome()
    project = service.project
    if project is None or service.kind != ConnectedService.Kind.LANGFUSE:
        outcome.error = "Only a Langfuse service of a project has dataset runs to read."
        outcome.permanent = True
        return outcome
    lock = f"evaluations:langfuse-sync:{service.pk}"
    if not cache.add(lock, 1, timeout=LOCK_SECONDS):
        outcome.skipped = "another sync of this service's dataset runs was running"
        return outcome
    credentials: Mapping[str, str] = {}
    try:
        credentials = json.loads(service.credentials) if service.credentials else {}
        with outbound.client(timeout=TIMEOUT) as client:
            connector = LangfuseConnector(
                base_url=service.base_url,
                credentials=credentials,
                config=service.config,
                environment=service.environment,
                client=client,
            )
            _sync(
                connector,
                service=service,
                project=project,
                now=now or timezone.now(),
                deadline=time.monotonic() + budget_seconds,
                outcome=outcome,
            )
    except ConnectorError as exc:
        safe = exc.redacted(credentials)
        outcome.error, outcome.permanent = safe.message, safe.permanent
    except Exception as exc:
        # An unexpected payload or a bug: recorded, and the run it was on not stored.
        log.exception("dataset run sync failed", extra={"service_id": service.pk})
        outcome.error = f"Unexpected error: {type(exc).__name__}"
    finally:
        cache.delete(lock)
    _remember(service, outcome)
    if outcome.error:
        log.warning(
            "dataset run sync failed",
            extra={
                "service_id": service.pk,
                "permanent": outcome.permanent,
                "error": outcome.error,
                "stored": len(outcome.stored),
            },
        )
    return outcome


def _remember(service: ConnectedService, outcome: SyncOutcome) -> None:
    """Keep how this read went for the Evaluations tab (a skipped read changes
    nothing: the one running will say)."""
    if outcome.skipped:
        return
    now = timezone.now()
    record, _ = DatasetSync.objects.get_or_create(service=service)
    record.last_attempt_at = now
    record.last_error = outcome.error[:500]
    if not outcome.error:
        record.last_success_at = now
    record.runs_stored += len(outcome.stored)
    record.save()


def _sync(
    connector: LangfuseConnector,
    *,
    service: ConnectedService,
    project: Project,
    now: datetime,
    deadline: float,
    outcome: SyncOutcome,
) -> None:
    stored = set(
        EvaluationRun.objects.filter(
            project=project, origin=EvaluationRun.Origin.LANGFUSE
        ).values_list("external_id", flat=True)
    )
    for dataset in _listed(connector, DATASETS_PATH, "datasets"):
        name = dataset.get("name")
        if not isinstance(name, str) or not name:
            continue
        runs = _listed(connector, _runs_path(name), f"runs of “{name}”")
        for run in sorted(runs, key=_created):
            run_id, run_name = run.get("id"), run.get("name")
            if not _text(run_id) or not _text(run_name) or len(run_id) > _ID_LENGTH:
                continue  # without an id and a name a run cannot be read or kept apart
            if run_id in stored:
                continue
            if not _quiet(run, now):
                outcome.waiting += 1
                continue
            if time.monotonic() > deadline:
                outcome.unfinished = True
                return
            try:
                summary = _read_run(connector, dataset, run, now, deadline)
            except _OutOfTime:
                # A run with very many items: what was read is dropped (nothing of
                # it is stored) and the next sync starts it again.
                outcome.unfinished = True
                return
            if summary is None:
                outcome.waiting += 1
                continue
            _, created = run_record(
                project=project,
                summary=summary,
                origin=EvaluationRun.Origin.LANGFUSE,
                service=service,
            )
            stored.add(run_id)
            if created:
                outcome.stored.append(run_id)


def _read_run(
    connector: LangfuseConnector,
    dataset: Mapping[str, Any],
    run: Mapping[str, Any],
    now: datetime,
    deadline: float,
) -> RunSummary | None:
    """The run as a summary, or None while it is still receiving items."""
    dataset_name, run_name = str(dataset["name"]), str(run["name"])
    # A run is quiet only with a known time, so it has createdAt or updatedAt.
    ran_at = parse_timestamp(run.get("createdAt")) or parse_timestamp(
        run.get("updatedAt")
    )
    assert ran_at is not None
    detail = connector.get(f"{_runs_path(dataset_name)}/{_segment(run_name)}")
    items = json_objects(detail.get("datasetRunItems"), PROVIDER)
    if not _quiet_items(items, now):
        return None
    traces = list(
        dict.fromkeys(
            trace
            for item in items
            if isinstance(trace := item.get("traceId"), str) and trace
        )
    )
    metadata = run.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    return RunSummary(
        kind=EvaluationRun.Kind.EVALUATION,
        external_id=str(run["id"]),
        ran_at=ran_at,
        name=run_name[:_NAME_LENGTH],
        dataset_name=dataset_name[:_NAME_LENGTH],
        item_count=len(items),
        model=_metadata_text(metadata, MODEL_KEYS, 200),
        app_version=_metadata_text(metadata, APP_VERSION_KEYS, 200),
        commit=_metadata_text(metadata, COMMIT_KEYS, 64),
        source_url=source_url(connector.address, dataset, run),
        scores=aggregate(_scores(connector, traces, deadline)),
    )


def aggregate(scores: Iterable[Mapping[str, Any]]) -> dict[str, Decimal]:
    """The mean per score name of numeric and boolean scores (true 1, false 0), each
    score counted once (by id), to 4 places. Categorical and text scores are skipped,
    and so is every metric with a value outside 0–1."""
    values: dict[str, list[Decimal]] = defaultdict(list)
    off_scale: set[str] = set()
    seen: set[str] = set()
    for score in scores:
        name, score_id = score.get("name"), score.get("id")
        if not isinstance(name, str) or not name or len(name) > _METRIC_LENGTH:
            continue
        if isinstance(score_id, str):
            if score_id in seen:
                continue
            seen.add(score_id)
        value = _value(score)
        if value is None:
            continue
        if not SCALE[0] <= value <= SCALE[1]:
            off_scale.add(name)
        values[name].append(value)
    return {
        name: (sum(numbers, Decimal(0)) / len(numbers)).quantize(PLACES)
        for name, numbers in sorted(values.items())
        if name not in off_scale
    }


def source_url(address: str, dataset: Mapping[str, Any], run: Mapping[str, Any]) -> str:
    """The run's page in Langfuse's web app (``/project/{projectId}/datasets/
    {datasetId}/runs/{runId}``, on the host the API is read from), else the dataset's
    page, else empty: the API gives no web address, so it is built from the ids."""
    project_id = dataset.get("projectId")
    dataset_id = run.get("datasetId") or dataset.get("id")
    run_id = run.get("id")
    if not _text(project_id) or not _text(dataset_id):
        return ""
    url = f"{address}/project/{_segment(project_id)}/datasets/{_segment(dataset_id)}"
    if _text(run_id):
        url += f"/runs/{_segment(run_id)}"
    return url if len(url) <= _URL_LENGTH else ""


# -- reading -------------------------------------------------------------------------------


def _listed(
    connector: LangfuseConnector, path: str, what: str
) -> Iterator[dict[str, Any]]:
    """Every object of a page-numbered list (datasets, dataset runs), each id once
    (a list that shifts while it is read may repeat one at a page boundary)."""
    seen: set[str] = set()
    for body in connector.pages(
        lambda page: connector.get(
            path, {"page": page or "1", "limit": str(PAGE_SIZE)}
        ),
        cursor_of=_next_page,
        max_pages=MAX_PAGES,
        provider=PROVIDER,
        repeated=f"{PROVIDER} returned the same page of {what} twice.",
        too_many=f"{PROVIDER} returned more than {MAX_PAGES} pages of {what}.",
    ):
        for row in json_objects(body.get("data"), PROVIDER):
            key = row.get("id")
            if isinstance(key, str):
                if key in seen:
                    continue
                seen.add(key)
            yield row


def _next_page(body: dict[str, Any]) -> str | None:
    """The next page number while ``meta.page`` is below ``meta.totalPages`` and the
    page had rows; None after the last."""
    meta = body.get("meta")
    page = meta.get("page") if isinstance(meta, dict) else None
    total = meta.get("totalPages") if isinstance(meta, dict) else None
    if not _whole(page) or not _whole(total) or not body.get("data"):
        return None
    return str(page + 1) if page < total else None


class _OutOfTime(Exception):
    """The sync's time budget ran out in the middle of a run."""


def _scores(
    connector: LangfuseConnector, traces: list[str], deadline: float
) -> list[dict[str, Any]]:
    """Every numeric and boolean score on ``traces`` (observation scores included).
    The time budget is checked before each batch, so a run with very many items
    cannot carry a sync past the worker's time limit."""
    scores: list[dict[str, Any]] = []
    for start in range(0, len(traces), TRACES_PER_REQUEST):
        if time.monotonic() > deadline:
            raise _OutOfTime
        scores += _scores_of_batch(
            connector, traces[start : start + TRACES_PER_REQUEST]
        )
    return scores


def _scores_of_batch(
    connector: LangfuseConnector, traces: list[str]
) -> list[dict[str, Any]]:
    params = {
        "traceId": ",".join(traces),
        "dataType": f"{NUMERIC},{BOOLEAN}",
        "limit": str(SCORES_PAGE_SIZE),
    }

    def request_page(cursor: str | None) -> dict[str, Any]:
        return connector.get(
            SCORES_PATH, {**params, "cursor": cursor} if cursor else params
        )

    scores: list[dict[str, Any]] = []
    for page in connector.pages(
        request_page,
        cursor_of=_scores_cursor,
        max_pages=MAX_PAGES,
        provider=PROVIDER,
        repeated=f"{PROVIDER} returned the same scores cursor twice.",
        too_many=f"{PROVIDER} returned more than {MAX_PAGES} pages of scores.",
    ):
        scores += json_objects(page.get("data"), PROVIDER)
    return scores


def _scores_cursor(page: dict[str, Any]) -> str | None:
    meta = page.get("meta")
    cursor = meta.get("cursor") if isinstance(meta, dict) else None
    return cursor if isinstance(cursor, str) and cursor else None


def _runs_path(dataset_name: str) -> str:
    return f"/api/public/datasets/{_segment(dataset_name)}/runs"


def _segment(value: str) -> str:
    # A name may hold spaces or slashes: one path segment, percent-encoded.
    return quote(value, safe="")


# -- values --------------------------------------------------------------------------------


def _value(score: Mapping[str, Any]) -> Decimal | None:
    """A numeric score's number; a boolean's 1 or 0 (scores v3 sends true/false, older
    answers 1/0 with ``stringValue`` "True"/"False"); None for anything else."""
    data_type = score.get("dataType")
    if data_type == NUMERIC:
        return parse_decimal(score.get("value"))
    if data_type == BOOLEAN:
        value = parse_decimal(score.get("value"), booleans=True)
        if value is None:
            label = score.get("stringValue")
            value = {"true": Decimal(1), "false": Decimal(0)}.get(
                label.lower() if isinstance(label, str) else ""
            )
        return value if value in SCALE else None
    return None


def _quiet(run: Mapping[str, Any], now: datetime) -> bool:
    """Whether the run itself was created and last updated at least SETTLE ago."""
    moments = [parse_timestamp(run.get(key)) for key in ("createdAt", "updatedAt")]
    known = [moment for moment in moments if moment is not None]
    return bool(known) and max(known) <= now - SETTLE


def _quiet_items(items: list[dict[str, Any]], now: datetime) -> bool:
    """Whether no run item was added or changed within SETTLE."""
    return all(
        moment <= now - SETTLE
        for item in items
        for key in ("createdAt", "updatedAt")
        if (moment := parse_timestamp(item.get(key))) is not None
    )


def _created(run: Mapping[str, Any]) -> datetime:
    return parse_timestamp(run.get("createdAt")) or datetime.min.replace(tzinfo=UTC)


def _metadata_text(
    metadata: Mapping[str, Any], keys: tuple[str, ...], length: int
) -> str:
    for key in keys:
        value = metadata.get(key)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            text = " ".join(str(value).split())
            if text:
                return text[:length]
    return ""


def _text(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value)


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
