"""The push API: a project's own code sends per-request events and pre-bucketed
samples with a bearer token made on the project's Metrics tab.

A batch is validated as a whole before anything is written: one bad item rejects the
batch (422, naming the item's index and field) and nothing of it is stored, so a
client can fix and resend it without double counting. Unknown fields are rejected,
so a misspelt optional field is an error rather than silently dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import wraps
from typing import Annotated, Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI, Status
from ninja.decorators import decorate_view
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from metrics import ingest, otlp, otlp_decode
from metrics.event_totals import SIX_PLACES
from metrics.models import IngestToken
from metrics.vocabulary import Bucket, Metric, Sample

log = logging.getLogger(__name__)

MAX_ITEMS = 1000
RATE = "120/m"  # per token: a batch a second, with room for bursts
FUTURE_SLACK = timedelta(minutes=5)  # clocks drift
MAX_AGE = timedelta(days=400)  # beyond a year of history plus a margin
# Served only to signed-in people: like every page of Runway, apart from the
# ingest endpoint itself, which authenticates by token.
SIGNED_IN_URL_NAMES = {"openapi-json", "openapi-view", "api-root"}


class RunwayAPI(NinjaAPI):
    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            # LoginRequiredMiddleware would send a script to the sign-in page; the
            # operations answer 401 themselves when the bearer token is missing.
            if isinstance(pattern, URLPattern) and (
                pattern.name not in SIGNED_IN_URL_NAMES
            ):
                login_not_required(pattern.callback)
        return patterns, app_name, namespace


# docs_url=None: the interactive docs load scripts from a CDN, which our CSP refuses;
# the schema itself is at openapi.json.
api = RunwayAPI(urls_namespace="api", version="1", title="Runway API", docs_url=None)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> IngestToken | None:
        return ingest.token_authenticate(token)


class TokenRateThrottle(SimpleRateThrottle):
    """Requests per token (not per address: many services share a NAT)."""

    scope = "ingest"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        token = getattr(request, "auth", None)
        if not isinstance(token, IngestToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}


throttle = TokenRateThrottle(RATE)


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": f"The body is too large; send at most {MAX_ITEMS} items a batch."},
        status=413,
    )


def storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and lone surrogates cannot be encoded.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text") from exc
    return value


_MOMENT_FORMAT = "must be an ISO 8601 string with a time zone"


def _moment(value: Any) -> datetime:
    """An ISO 8601 string with a time zone, within the window Runway keeps, as UTC.

    One call per timestamp: pydantic's own datetime type with a hook before it (to
    refuse numbers) and one after (for the window) cost three times as much on a
    large batch (bench/README.md)."""
    if not isinstance(value, str):
        raise ValueError(_MOMENT_FORMAT)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(_MOMENT_FORMAT) from None
    if moment.utcoffset() is None:
        raise ValueError(_MOMENT_FORMAT)
    try:
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError("is out of range") from exc
    now = datetime.now(UTC)  # timezone.now() would read settings.USE_TZ each time
    if moment > now + FUTURE_SLACK:
        raise ValueError("is more than 5 minutes in the future")
    if moment < now - MAX_AGE:
        raise ValueError("is more than 400 days in the past")
    return moment


def not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Name = Annotated[
    str,
    Field(strict=True, min_length=1, max_length=120),
    AfterValidator(storable),
    AfterValidator(not_blank),
]
Moment = Annotated[
    datetime, PlainValidator(_moment, json_schema_input_type=AwareDatetime)
]


class EventIn(BaseModel):
    """One request of the project's AI feature."""

    model_config = ConfigDict(extra="forbid")

    timestamp: Moment
    model: Name
    latency_ms: Annotated[
        float, Field(strict=True, ge=0, le=86_400_000, allow_inf_nan=False)
    ]
    input_tokens: Annotated[int, Field(strict=True, ge=0, le=100_000_000)]
    output_tokens: Annotated[int, Field(strict=True, ge=0, le=100_000_000)]
    cost_usd: Annotated[
        Decimal,
        Field(
            ge=0,
            le=1_000_000,
            allow_inf_nan=False,
            description="USD, as a number or a decimal string",
        ),
    ]
    error: StrictBool
    quality_score_name: Name | None = None
    quality_score: Annotated[
        float | None,
        Field(strict=True, ge=0, le=1, allow_inf_nan=False, validate_default=True),
    ] = None
    feedback: Annotated[int | None, Field(strict=True, ge=-1, le=1)] = None
    idempotency_key: Name

    @field_validator("quality_score")
    @classmethod
    def _score_has_a_name(
        cls, value: float | None, info: ValidationInfo
    ) -> float | None:
        # A score means nothing without the name of the evaluation that gave it.
        if (value is None) != (info.data.get("quality_score_name") is None):
            raise ValueError(
                "quality_score and quality_score_name come together or not at all"
            )
        return value


class SampleIn(BaseModel):
    """A value the project has already bucketed (an hour or a UTC day)."""

    model_config = ConfigDict(extra="forbid")

    metric: Metric
    bucket: Bucket
    bucket_start: Moment
    value: Annotated[Decimal, Field(ge=0, le=10**12, allow_inf_nan=False)]
    dimension: Annotated[
        str, Field(strict=True, max_length=120), AfterValidator(storable)
    ] = ""

    @field_validator("bucket_start")
    @classmethod
    def _aligned(cls, value: datetime, info: ValidationInfo) -> datetime:
        aligned = value.replace(minute=0, second=0, microsecond=0)
        if info.data.get("bucket") == Bucket.DAY:
            aligned = aligned.replace(hour=0)
        if value != aligned:
            raise ValueError(
                f"must be the start of a UTC {info.data.get('bucket', 'bucket')}"
                f" (e.g. {aligned.isoformat()})"
            )
        return value

    @field_validator("value")
    @classmethod
    def _score_in_range(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        if info.data.get("metric") == Metric.QUALITY_SCORE and value > 1:
            raise ValueError("a quality score is between 0 and 1")
        return value


class IngestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[EventIn] = Field(default_factory=list, max_length=MAX_ITEMS)
    samples: list[SampleIn] = Field(default_factory=list, max_length=MAX_ITEMS)

    @model_validator(mode="before")
    @classmethod
    def _at_most_a_thousand(cls, data: Any) -> Any:
        # Counted before the items are validated, so an oversized batch costs little.
        if isinstance(data, dict):
            count = sum(
                len(data[k])
                for k in ("events", "samples")
                if isinstance(data.get(k), list)
            )
            if count > MAX_ITEMS:
                raise ValueError(
                    f"a batch holds at most {MAX_ITEMS:,} events and samples "
                    f"together; this one has {count:,}: split it"
                )
        return data


class IngestOut(BaseModel):
    accepted_events: int = Field(description="New events stored")
    accepted_samples: int = Field(description="Sample buckets written or replaced")
    duplicates: int = Field(description="Events whose idempotency key was seen before")


class Message(BaseModel):
    detail: str


def json_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """415 for a body that does not say it is JSON, before anything reads it: a form
    post or a text body would otherwise be parsed as if it were. A request without
    credentials is left to the token check, so that it gets its 401 first."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if (
            request.method == "POST"
            and "HTTP_AUTHORIZATION" in request.META
            and request.content_type != "application/json"
        ):
            return JsonResponse(
                {"detail": "Send the batch as JSON (Content-Type: application/json)."},
                status=415,
            )
        return view(request, *args, **kwargs)

    return wrapper


@api.post(
    "/ingest",
    auth=TokenAuth(),
    throttle=[throttle],
    response={
        202: IngestOut,
        401: Message,
        403: Message,
        413: Message,
        415: Message,
        429: Message,
    },
    url_name="ingest",
    summary="Push events and samples",
)
@decorate_view(json_only)
def ingest_batch(
    request: HttpRequest, payload: IngestIn
) -> Status[IngestOut] | Status[Message]:
    """Store per-request events (rolled up into daily metrics within a minute) and
    pre-bucketed samples for the token's project. At most 1,000 items a batch; a
    batch with any invalid item is rejected whole. Resending a batch is safe: events
    count once per idempotency_key, samples replace their bucket."""
    token: IngestToken = request.auth  # type: ignore[attr-defined]
    if token.project.archived_at is not None:
        return Status(
            403,
            Message(
                detail=f"The project “{token.project.name}” is archived and takes no "
                "more data: restore it in Runway, or stop sending with this token."
            ),
        )
    result = ingest.batch_ingest(
        token=token,
        events=[
            ingest.PushedEvent(  # positional: the fields in their declared order
                e.timestamp,
                e.model,
                e.latency_ms,
                e.input_tokens,
                e.output_tokens,
                e.cost_usd,
                e.error,
                e.idempotency_key,
                e.quality_score_name or "",
                e.quality_score,
                e.feedback,
            )
            for e in payload.events
        ],
        samples=[
            Sample(
                s.metric,
                s.bucket_start,
                s.bucket,
                s.value.quantize(SIX_PLACES),
                s.dimension,
            )
            for s in payload.samples
        ],
    )
    return Status(
        202,
        IngestOut(
            accepted_events=result.accepted_events,
            accepted_samples=result.accepted_samples,
            duplicates=result.duplicates,
        ),
    )


# --- OTLP/HTTP traces -------------------------------------------------------------
# An OpenTelemetry SDK or Collector pointed at https://<runway>/api/v1/otlp posts its
# spans to the route below (exporters add /v1/traces to the endpoint they are given);
# docs/otlp.md has the configuration. The protocol fixes the answers: 200 with an
# ExportTraceServiceResponse, and every refusal a google.rpc.Status, in the encoding
# of the request.

# The body as sent and as inflated. OTLP suggests accepting up to 20 MiB, but 1,000
# spans (the most a request may hold) need far less unless they carry prompts, and
# decoding costs memory and time in proportion: docs/otlp.md says to leave message
# content out of the spans sent to Runway.
OTLP_MAX_BODY_BYTES = 8 * 1024 * 1024
# google.rpc.Code of each refusal: OTLP clients go by the HTTP status and may only
# log the code, but it costs nothing to be right.
_RPC_CODES = {400: 3, 401: 16, 403: 7, 411: 3, 413: 8, 415: 3, 429: 8, 503: 14}
# Seconds an OTLP client is asked to wait before retrying after a database error.
OTLP_RETRY_AFTER = 30
_UNAUTHENTICATED = (
    "Send the project's push token (made on its Metrics tab) as "
    "“Authorization: Bearer rwy_…”; with an OpenTelemetry SDK, set "
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS=Authorization=Bearer%20rwy_…"
)
_THROTTLED = (
    f"Too many requests with this token (at most {RATE.replace('/m', ' a minute')}): "
    "export spans in batches (BatchSpanProcessor), not one request a span."
)


class OtlpResponse(HttpResponse):
    """An answer already in OTLP's form, which ``otlp_wire_format`` leaves alone."""

    def __init__(
        self, body: bytes, encoding: otlp_decode.Encoding, status: int = 200
    ) -> None:
        super().__init__(body, status=status, content_type=encoding.content_type)


def otlp_refusal(
    message: str, status: int, encoding: otlp_decode.Encoding
) -> OtlpResponse:
    return OtlpResponse(
        otlp.status_body(message, _RPC_CODES.get(status, 2), encoding),
        encoding,
        status,
    )


def otlp_wire_format(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer as OTLP says to: 415 for a content type that is neither of its two
    encodings (as ``json_only``, a request without credentials gets its 401 first),
    and the refusals Ninja makes itself (401 for a missing or wrong token, 429 when
    throttled) as a google.rpc.Status in the request's encoding."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        encoding = otlp_decode.encoding_of(request.content_type or "")
        if encoding is None and "HTTP_AUTHORIZATION" in request.META:
            return otlp_refusal(
                "Send the spans as OTLP/HTTP: Content-Type application/x-protobuf "
                "or application/json.",
                415,
                otlp_decode.Encoding.JSON,
            )
        response = view(request, *args, **kwargs)
        if response.status_code < 400 or isinstance(response, OtlpResponse):
            return response
        message = {401: _UNAUTHENTICATED, 429: _THROTTLED}.get(
            response.status_code, response.reason_phrase
        )
        refusal = otlp_refusal(
            message, response.status_code, encoding or otlp_decode.Encoding.JSON
        )
        if response.has_header("Retry-After"):
            refusal["Retry-After"] = response["Retry-After"]
        return refusal

    return wrapper


class LengthRequired(ValueError):
    """A body without Content-Length, through a server that does not say where it
    ends (411)."""


def _otlp_body(request: HttpRequest) -> bytes:
    """The body, refused past OTLP_MAX_BODY_BYTES. Read from the stream rather than
    ``request.body``, whose limit (DATA_UPLOAD_MAX_MEMORY_SIZE) is sized for forms
    and push batches, not for a batch of spans. A chunked body (no Content-Length)
    is read to its end when the server has undone the chunking and says so
    (``wsgi.input_terminated``, as gunicorn does); otherwise Django would read it as
    empty and the spans would be lost without a word, so it is refused."""
    too_large = otlp_decode.TooLarge(
        f"The body is larger than {OTLP_MAX_BODY_BYTES:,} bytes: send fewer "
        "spans a request."
    )
    declared = request.META.get("CONTENT_LENGTH") or ""
    if not declared:
        if not request.META.get("wsgi.input_terminated"):
            raise LengthRequired(
                "Send the body with a Content-Length: this server cannot read a "
                "chunked body."
            )
        body = _read_to_end(request.META["wsgi.input"], OTLP_MAX_BODY_BYTES + 1)
    elif not declared.isdigit() or int(declared) > OTLP_MAX_BODY_BYTES:
        raise too_large
    else:
        body = request.read(OTLP_MAX_BODY_BYTES + 1)
    if len(body) > OTLP_MAX_BODY_BYTES:
        raise too_large
    return body


def _read_to_end(stream: Any, at_most: int) -> bytes:
    """Up to ``at_most`` bytes of a stream that ends where the body does."""
    chunks: list[bytes] = []
    size = 0
    while size < at_most:
        chunk = stream.read(min(64 * 1024, at_most - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


@api.post(
    "/otlp/v1/traces",
    auth=TokenAuth(),
    throttle=[throttle],
    url_name="otlp-traces",
    summary="Receive OpenTelemetry traces (OTLP/HTTP)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-protobuf": {
                    "schema": {"type": "string", "format": "binary"}
                },
                "application/json": {
                    "schema": {
                        "type": "object",
                        "description": "An ExportTraceServiceRequest in OTLP's "
                        "JSON encoding (ids in hex)",
                    }
                },
            },
        },
        "responses": {
            "200": {"description": "An ExportTraceServiceResponse"},
            "400": {"description": "A google.rpc.Status: the body cannot be decoded"},
            "401": {"description": "A google.rpc.Status: no valid push token"},
            "403": {"description": "A google.rpc.Status: the project is archived"},
            "411": {"description": "A google.rpc.Status: no Content-Length"},
            "413": {"description": "A google.rpc.Status: too many spans or bytes"},
            "415": {"description": "A google.rpc.Status: not protobuf or JSON"},
            "429": {"description": "A google.rpc.Status: too many requests"},
            "503": {"description": "A google.rpc.Status: try again later"},
        },
    },
)
@decorate_view(otlp_wire_format)
def otlp_traces(request: HttpRequest) -> HttpResponse:
    """Store the GenAI model calls among OpenTelemetry spans (OTLP/HTTP, protobuf or
    JSON, gzip accepted) as events of the token's project, once per trace and span
    id. Spans that are not model calls are ignored and counted in the answer's
    partial_success, as are invalid model-call spans (with their reasons); the
    request's other spans are stored. A body that cannot be decoded, or more than
    1,000 spans, is refused whole. docs/otlp.md has the details."""
    token: IngestToken = request.auth  # type: ignore[attr-defined]
    encoding = (
        otlp_decode.encoding_of(request.content_type or "") or otlp_decode.Encoding.JSON
    )
    if token.project.archived_at is not None:
        return otlp_refusal(
            f"The project “{token.project.name}” is archived and takes no more data: "
            "restore it in Runway, or stop sending with this token.",
            403,
            encoding,
        )
    try:
        traces = otlp_decode.parsed(
            otlp_decode.inflated(
                _otlp_body(request),
                request.headers.get("Content-Encoding", ""),
                OTLP_MAX_BODY_BYTES,
            ),
            encoding,
            max_spans=MAX_ITEMS,
        )
    except otlp_decode.BadTraces as exc:
        return otlp_refusal(str(exc), 400, encoding)
    except LengthRequired as exc:
        return otlp_refusal(str(exc), 411, encoding)
    except otlp_decode.TooLarge as exc:
        return otlp_refusal(str(exc), 413, encoding)
    except otlp_decode.UnsupportedEncoding as exc:
        return otlp_refusal(str(exc), 415, encoding)
    decoded = otlp.model_calls(
        traces, now=datetime.now(UTC), max_age=MAX_AGE, future_slack=FUTURE_SLACK
    )
    accepted = 0
    unpriced: set[str] = set()
    if decoded.calls:  # no source, no "last synced" moved, for a request of none
        try:
            needs_prices = any(call.cost_usd is None for call in decoded.calls)
            events, unpriced = otlp.events(
                decoded.calls, otlp.price_list() if needs_prices else otlp.PriceList(())
            )
            accepted = ingest.batch_ingest(
                token=token, events=events, samples=[]
            ).accepted_events
        except DatabaseError:
            log.exception("OTLP traces not stored: database error")
            refusal = otlp_refusal(
                "Runway could not store the spans just now: send them again.",
                503,
                encoding,
            )
            refusal["Retry-After"] = str(OTLP_RETRY_AFTER)
            return refusal
    # Read by telemetry.middleware, which counts stored events.
    request.runway_accepted_events = accepted  # type: ignore[attr-defined]
    return OtlpResponse(otlp.export_response(decoded, unpriced, encoding), encoding)
