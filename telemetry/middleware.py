from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from pydantic import ValidationError

from metrics.api import IngestOut
from telemetry.instruments import (
    HTTP_REQUEST_SECONDS,
    HTTP_REQUESTS,
    INGEST_BATCHES,
    INGEST_EVENTS,
)

log = logging.getLogger("runway.telemetry")

# Any other method (a scanner's PROPFIND...) is counted as "other": every label value
# is a series Prometheus keeps, so none may come straight from the client.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
# The push API's batch endpoint (metrics.api: namespace "api", url_name "ingest").
INGEST_VIEW = "api:ingest"
# OTLP/HTTP traces in: each request answered 200 is a batch; the events it stored are
# left on the request by the view (an ExportTraceServiceResponse does not say).
OTLP_VIEW = "api:otlp-traces"
ACCEPTED_EVENTS_ATTRIBUTE = "runway_accepted_events"


class RequestMetricsMiddleware:
    """Count every request and time it, by the name of the view that answered.

    First in MIDDLEWARE, so the time includes the other middleware and the status is
    the one the client gets. Labels are the resolved view name, never the path: a path
    holds slugs and ids, and each distinct one would be a new series.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = request.resolver_match
        view = match.view_name if match is not None and match.view_name else UNMATCHED
        method = request.method if request.method in METHODS else "other"
        HTTP_REQUESTS.labels(view, method, str(response.status_code)).inc()
        HTTP_REQUEST_SECONDS.labels(view).observe(elapsed)
        if view == INGEST_VIEW and response.status_code == 202:
            _count_ingest(response)
        elif view == OTLP_VIEW and response.status_code == 200:
            INGEST_BATCHES.inc()
            INGEST_EVENTS.inc(getattr(request, ACCEPTED_EVENTS_ATTRIBUTE, 0))
        return response


def _count_ingest(response: HttpResponse) -> None:
    """Count an accepted push batch from the answer the client gets: its body is the
    API's published IngestOut, so the metrics app needs no hook for telemetry."""
    if response.streaming:
        return
    try:
        accepted = IngestOut.model_validate_json(response.content)
    except ValidationError:
        log.warning("ingest answer not understood; batch not counted")
        return
    INGEST_BATCHES.inc()
    INGEST_EVENTS.inc(accepted.accepted_events)
