"""The metrics a web process counts itself: requests, push ingest, scrape errors.

Each gunicorn worker counts its own. With PROMETHEUS_MULTIPROC_DIR set in the web
processes' environment (before they start: prometheus_client reads it on import),
each process writes its values to a file there and ``/metrics`` adds up every
worker's; without it a scrape shows only the numbers of the worker that answered.

Created outside any registry: ``telemetry.exposition`` builds one for each scrape.
This module imports nothing from Django, so it loads the same in any process.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "runway_http_requests_total",
    "Requests answered, by resolved view name ('unmatched' when no URL matched).",
    ["view", "method", "status"],
    registry=None,
)
HTTP_REQUEST_SECONDS = Histogram(
    "runway_http_request_seconds",
    "Time to answer a request (to the first byte of a streamed one), by view name.",
    ["view"],
    registry=None,
)
INGEST_BATCHES = Counter(
    "runway_ingest_batches_total",
    "Push API batches accepted (answered 202) and OTLP trace requests stored (200).",
    registry=None,
)
INGEST_EVENTS = Counter(
    "runway_ingest_events_total",
    "Pushed events stored (an event resent with a known idempotency key is not).",
    registry=None,
)
SCRAPE_ERRORS = Counter(
    "runway_scrape_errors_total",
    "Parts of a scrape skipped because their source failed (database or broker).",
    ["source"],
    registry=None,
)
# Present at 0 from the start, so that the first error shows as an increase.
for _source in ("database", "broker"):
    SCRAPE_ERRORS.labels(_source)

IN_PROCESS = (
    HTTP_REQUESTS,
    HTTP_REQUEST_SECONDS,
    INGEST_BATCHES,
    INGEST_EVENTS,
    SCRAPE_ERRORS,
)
