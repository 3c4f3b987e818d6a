"""OpenTelemetry traces in (OTLP/HTTP): the spans of GenAI model calls become pushed
events, as if the project's code had sent them to the push API.

An application instrumented with the OpenTelemetry GenAI semantic conventions
(OpenLLMetry, Logfire, the vendors' own SDKs...) exports its spans to
``/api/v1/otlp/v1/traces``. A span is a model call when its ``gen_ai.operation.name``
is one of ``MODEL_CALLS`` (or, from instrumentations older than that attribute, when
it names a ``gen_ai.request.model``); every other span (HTTP, database, tool and
agent spans) is ignored and counted, and the client is told how many. docs/otlp.md
says what each event field is read from.

Decoding uses the OpenTelemetry protocol's own messages (``opentelemetry-proto``);
nothing here parses protobuf. Everything is pure except ``price_list``, the one read
of the admin-kept price list (``assessments.models.ModelPrice``).
"""

from __future__ import annotations

import base64
import enum
import json
import math
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from google.protobuf import json_format  # type: ignore[import-untyped]
from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from google.rpc import status_pb2  # type: ignore[import-untyped]
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from assessments.costs import TOKENS_PER_PRICE_UNIT
from assessments.models import ModelPrice
from metrics.ingest import PushedEvent

# The operations that are a request to a model. Tool calls (execute_tool) and agent
# spans (invoke_agent, create_agent) are not: an agent span's token counts are the
# sum of the model calls under it, which are counted themselves.
MODEL_CALLS = frozenset({"chat", "text_completion", "generate_content", "embeddings"})

OPERATION = "gen_ai.operation.name"
REQUEST_MODEL = "gen_ai.request.model"
RESPONSE_MODEL = "gen_ai.response.model"
# The current names first, then those of OpenLLMetry before the conventions settled.
INPUT_TOKENS = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
OUTPUT_TOKENS = ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
# USD the span says the call cost: the name some SDKs and gateways use, then Pydantic
# AI's (which Logfire shows).
COST = ("gen_ai.usage.cost", "operation.cost")

# The push API's bounds (metrics.api.EventIn), so that both ways in store the same.
MAX_TOKENS = 100_000_000
MAX_COST_USD = Decimal(1_000_000)
MAX_LATENCY_MS = 86_400_000
MAX_MODEL_LENGTH = 120

TRACE_ID_BYTES = 16
SPAN_ID_BYTES = 8
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
KEY_PREFIX = "otlp-"

# A dated snapshot or alias at the end of a model name: gpt-4o-mini-2024-07-18,
# claude-sonnet-4-20250514, claude-sonnet-4@20250514 (Vertex), mistral-small-latest.
_SNAPSHOT = re.compile(r"[-@](?:\d{4}-\d{2}-\d{2}|\d{8}|latest)$")
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_ZLIB_WBITS = zlib.MAX_WBITS


class Encoding(enum.Enum):
    """The two encodings of OTLP/HTTP, by their content type; an answer is sent in
    the encoding of its request."""

    PROTOBUF = "application/x-protobuf"
    JSON = "application/json"

    @property
    def content_type(self) -> str:
        return self.value


def encoding_of(content_type: str) -> Encoding | None:
    """The encoding a request's content type (without its parameters) names, or None."""
    for encoding in Encoding:
        if content_type.strip().lower() == encoding.value:
            return encoding
    return None


class BadTraces(ValueError):
    """The body cannot be decoded, or a model-call span in it is invalid: the request
    is refused whole (400) and nothing of it is stored."""


class TooLarge(ValueError):
    """The body, or what it inflates to, is over the limit; or it holds too many
    spans (413)."""


class UnsupportedEncoding(ValueError):
    """A Content-Encoding other than gzip, deflate or none (415)."""


# --- From bytes to an ExportTraceServiceRequest -----------------------------------


def inflated(body: bytes, content_encoding: str, limit: int) -> bytes:
    """The body with its Content-Encoding undone, refused past ``limit`` bytes once
    inflated: a few kilobytes of gzip can inflate to gigabytes."""
    coding = content_encoding.strip().lower()
    if coding in ("", "identity"):
        return body
    if coding == "gzip":
        return _inflate(body, _GZIP_WBITS, limit, coding)
    if coding == "deflate":  # HTTP's "deflate" is the zlib format
        return _inflate(body, _ZLIB_WBITS, limit, coding)
    raise UnsupportedEncoding(
        f"Content-Encoding “{content_encoding}” is not supported: send the body "
        "uncompressed, or compressed with gzip (or deflate)."
    )


def _inflate(data: bytes, wbits: int, limit: int, coding: str) -> bytes:
    inflated_so_far = bytearray()
    while True:  # a gzip body may be several members one after the other
        inflater = zlib.decompressobj(wbits)
        try:
            inflated_so_far += inflater.decompress(
                data, limit + 1 - len(inflated_so_far)
            )
        except zlib.error as exc:
            raise BadTraces(
                f"The body is not valid {coding} data ({exc}), though "
                f"Content-Encoding says it is."
            ) from None
        if len(inflated_so_far) > limit or inflater.unconsumed_tail:
            raise TooLarge(
                f"The body inflates to more than {limit:,} bytes: send fewer spans "
                "a request."
            )
        if not inflater.eof:
            raise BadTraces(f"The {coding} body is cut short.")
        data = inflater.unused_data
        if not data or wbits != _GZIP_WBITS:
            break
    if data:
        raise BadTraces(f"The {coding} body has bytes after its end.")
    return bytes(inflated_so_far)


def parsed(body: bytes, encoding: Encoding) -> ExportTraceServiceRequest:
    """The ExportTraceServiceRequest the body encodes. An empty body is an empty
    request, which OTLP says to accept."""
    request = ExportTraceServiceRequest()
    if encoding is Encoding.PROTOBUF:
        try:
            request.ParseFromString(body)
        except DecodeError as exc:
            raise BadTraces(
                f"The body is not a protobuf-encoded ExportTraceServiceRequest ({exc})."
            ) from None
        return request
    if not body.strip():
        return request
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BadTraces(
            f"The body is not JSON ({exc.__class__.__name__}: {exc})."
        ) from None
    if not isinstance(document, dict):
        raise BadTraces(
            "The body is not an ExportTraceServiceRequest in OTLP's JSON encoding: "
            "expected an object with resourceSpans."
        )
    _hex_ids_as_base64(document)
    try:
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as exc:
        raise BadTraces(
            f"The body is not an ExportTraceServiceRequest in OTLP's JSON encoding ({exc})."
        ) from None
    return request


_ID_KEYS = (
    ("traceId", "trace_id"),
    ("spanId", "span_id"),
    ("parentSpanId", "parent_span_id"),
)


def _hex_ids_as_base64(document: dict[str, Any]) -> None:
    """OTLP/JSON writes trace and span ids in hex, where protobuf's JSON mapping (and
    so ``json_format``) reads base64: rewrite the spans' and their links' ids in
    place."""
    for r, resource_spans in _objects(document, "resourceSpans", "resource_spans"):
        for s, scope_spans in _objects(resource_spans, "scopeSpans", "scope_spans"):
            for n, span in _objects(scope_spans, "spans"):
                where = f"resourceSpans[{r}].scopeSpans[{s}].spans[{n}]"
                _rewrite_ids(span, where)
                for k, link in _objects(span, "links"):
                    _rewrite_ids(link, f"{where}.links[{k}]")


def _objects(
    parent: dict[str, Any], *keys: str
) -> Iterator[tuple[int, dict[str, Any]]]:
    for key in keys:
        items = parent.get(key)
        if isinstance(items, list):
            for index, item in enumerate(items):
                if isinstance(item, dict):
                    yield index, item


def _rewrite_ids(message: dict[str, Any], where: str) -> None:
    for spellings in _ID_KEYS:
        for key in spellings:
            value = message.get(key)
            if not isinstance(value, str):
                continue  # json_format reports a wrong type itself
            try:
                raw = bytes.fromhex(value)
            except ValueError:
                raise BadTraces(
                    f"{where}.{spellings[0]} “{value[:40]}” is not hex: OTLP/JSON "
                    "writes ids as hex strings, not base64."
                ) from None
            message[key] = base64.b64encode(raw).decode("ascii")


def span_count(request: ExportTraceServiceRequest) -> int:
    return sum(
        len(scope_spans.spans)
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
    )


# --- From spans to model calls ---------------------------------------------------


@dataclass(frozen=True)
class ModelCall:
    """One model-call span, read and checked: a pushed event but for its cost, which
    is None when the span carries none (it is then priced from the price list)."""

    timestamp: datetime
    model: str
    request_model: str
    latency_ms: float
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal | None
    error: bool
    idempotency_key: str


@dataclass(frozen=True)
class Decoded:
    calls: list[ModelCall] = field(default_factory=list)
    not_model_calls: int = 0  # spans of other operations, or no GenAI spans at all
    without_model: int = 0  # model calls that name no model

    @property
    def ignored(self) -> int:
        return self.not_model_calls + self.without_model


def model_calls(
    request: ExportTraceServiceRequest,
    *,
    now: datetime,
    max_age: timedelta,
    future_slack: timedelta,
) -> Decoded:
    """The request's model calls, and how many spans were not stored and why. Raises
    ``BadTraces`` naming the first invalid model-call span: a start outside
    [now - max_age, now + future_slack], an end before the start, a missing id, a
    token count or cost that is not a number in range."""
    window = _Window(now - max_age, now + future_slack, max_age)
    calls: list[ModelCall] = []
    not_model_calls = without_model = 0
    for r, resource_spans in enumerate(request.resource_spans):
        for s, scope_spans in enumerate(resource_spans.scope_spans):
            for n, span in enumerate(scope_spans.spans):
                where = _SpanPlace(
                    span, f"resourceSpans[{r}].scopeSpans[{s}].spans[{n}]"
                )
                attributes = {kv.key: kv.value for kv in span.attributes}
                if not _is_model_call(attributes, where):
                    not_model_calls += 1
                    continue
                call = _model_call(span, attributes, where, window)
                if call is None:
                    without_model += 1
                else:
                    calls.append(call)
    return Decoded(calls, not_model_calls, without_model)


@dataclass(frozen=True)
class _Window:
    """When a stored call may have started."""

    earliest: datetime
    latest: datetime
    max_age: timedelta


@dataclass(frozen=True)
class _SpanPlace:
    """Where a span is, for a message a developer can find it by."""

    span: Span
    path: str

    def __str__(self) -> str:
        name = (
            self.span.name if len(self.span.name) <= 80 else self.span.name[:79] + "…"
        )
        return (
            f"span “{name}” (spanId {self.span.span_id.hex() or 'missing'}, "
            f"traceId {self.span.trace_id.hex() or 'missing'}, at {self.path})"
        )


def _is_model_call(attributes: Mapping[str, AnyValue], where: _SpanPlace) -> bool:
    operation = _text(attributes, OPERATION, where)
    if operation is None:
        return REQUEST_MODEL in attributes
    return operation.lower() in MODEL_CALLS


def _model_call(
    span: Span,
    attributes: Mapping[str, AnyValue],
    where: _SpanPlace,
    window: _Window,
) -> ModelCall | None:
    request_model = _model_name(attributes, REQUEST_MODEL, where)
    model = _model_name(attributes, RESPONSE_MODEL, where) or request_model
    if not model:
        return None
    if len(span.trace_id) != TRACE_ID_BYTES or not any(span.trace_id):
        raise BadTraces(f"{where}: traceId must be 16 bytes, not all zero.")
    if len(span.span_id) != SPAN_ID_BYTES or not any(span.span_id):
        raise BadTraces(f"{where}: spanId must be 8 bytes, not all zero.")
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    if not start or not end:
        raise BadTraces(
            f"{where}: startTimeUnixNano and endTimeUnixNano must both be set."
        )
    if end < start:
        raise BadTraces(f"{where}: it ends (endTimeUnixNano) before it starts.")
    timestamp = EPOCH + timedelta(microseconds=start // 1000)
    if timestamp < window.earliest:
        raise BadTraces(
            f"{where}: it started at {timestamp:%Y-%m-%d %H:%M:%S} UTC, more than "
            f"{window.max_age.days} days ago, which is older than Runway takes."
        )
    if timestamp > window.latest:
        raise BadTraces(
            f"{where}: it starts at {timestamp:%Y-%m-%d %H:%M:%S} UTC, in the "
            "future: check the clock of the machine that made it."
        )
    latency_ms = (end - start) / 1_000_000
    if latency_ms > MAX_LATENCY_MS:
        raise BadTraces(f"{where}: it lasts more than 24 hours.")
    return ModelCall(
        timestamp=timestamp,
        model=model,
        request_model=request_model,
        latency_ms=latency_ms,
        input_tokens=_token_count(attributes, INPUT_TOKENS, where),
        output_tokens=_token_count(attributes, OUTPUT_TOKENS, where),
        cost_usd=_cost(attributes, where),
        error=span.status.code == Status.STATUS_CODE_ERROR,
        idempotency_key=f"{KEY_PREFIX}{span.trace_id.hex()}-{span.span_id.hex()}",
    )


def _text(
    attributes: Mapping[str, AnyValue], key: str, where: _SpanPlace
) -> str | None:
    """A string attribute, stripped; None when absent or blank."""
    value = attributes.get(key)
    if value is None:
        return None
    if value.WhichOneof("value") != "string_value":
        raise BadTraces(f"{where}: {key} must be a string.")
    text: str = value.string_value.strip()
    return text or None


def _model_name(attributes: Mapping[str, AnyValue], key: str, where: _SpanPlace) -> str:
    """A model name as the push API takes one; "" when absent or blank."""
    name = _text(attributes, key, where) or ""
    if len(name) > MAX_MODEL_LENGTH or "\x00" in name:
        raise BadTraces(
            f"{where}: {key} must be at most {MAX_MODEL_LENGTH} characters, "
            "without NUL characters."
        )
    return name


def _token_count(
    attributes: Mapping[str, AnyValue], keys: Sequence[str], where: _SpanPlace
) -> int:
    """The first of ``keys`` present, as a whole number of tokens; 0 when none is
    (an embeddings call has no output tokens)."""
    for key in keys:
        value = attributes.get(key)
        if value is None:
            continue
        number = _number(value)
        if number is None or number != int(number) or not 0 <= number <= MAX_TOKENS:
            raise BadTraces(
                f"{where}: {key} must be a whole number from 0 to {MAX_TOKENS:,}."
            )
        return int(number)
    return 0


def _cost(attributes: Mapping[str, AnyValue], where: _SpanPlace) -> Decimal | None:
    for key in COST:
        value = attributes.get(key)
        if value is None:
            continue
        number = _number(value)
        # str() first: Decimal(0.1) would carry the binary float's every digit.
        cost = None if number is None else Decimal(str(number))
        if cost is None or not 0 <= cost <= MAX_COST_USD:
            raise BadTraces(
                f"{where}: {key} must be a number of US dollars from 0 to "
                f"{MAX_COST_USD:,}."
            )
        return cost
    return None


def _number(value: AnyValue) -> int | float | None:
    kind = value.WhichOneof("value")
    if kind == "int_value":
        whole: int = value.int_value
        return whole
    if kind == "double_value" and math.isfinite(value.double_value):
        fraction: float = value.double_value
        return fraction
    return None


# --- Cost, and the answer --------------------------------------------------------


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input_per_mtok: Decimal
    output_per_mtok: Decimal


class PriceList:
    """The admin-kept prices by model name, matched without regard to case: exactly,
    else with any dated snapshot or ``-latest`` taken off both names (a span's
    gpt-4o-mini-2024-07-18 is priced as the list's gpt-4o-mini, its claude-sonnet-4
    as the list's claude-sonnet-4-20250514)."""

    def __init__(self, rows: Iterable[tuple[str, Decimal, Decimal]]) -> None:
        self._exact: dict[str, Price] = {}
        self._by_family: dict[str, Price] = {}
        # Sorted, so that of two snapshots of one model the later one's price is used.
        for name, input_price, output_price in sorted(rows):
            price = Price(input_price, output_price)
            self._exact[name.lower()] = price
            self._by_family[_family(name)] = price

    def price(self, model: str) -> Price | None:
        return self._exact.get(model.lower()) or self._by_family.get(_family(model))


def _family(model: str) -> str:
    return _SNAPSHOT.sub("", model.lower())


def price_list() -> PriceList:
    """Every model of the price list, active or not: a model taken off the list for
    new projects still costs what it costs."""
    return PriceList(
        ModelPrice.objects.values_list("name", "input_per_mtok", "output_per_mtok")
    )


def events(
    calls: Sequence[ModelCall], prices: PriceList
) -> tuple[list[PushedEvent], set[str]]:
    """The calls as pushed events, and the models of those that had no cost of their
    own and no price in the list (stored with a cost of 0). A call without a cost is
    priced by its model, else by the model it asked for."""
    pushed: list[PushedEvent] = []
    unpriced: set[str] = set()
    for call in calls:
        cost = call.cost_usd
        if cost is None:
            price = prices.price(call.model) or (
                prices.price(call.request_model) if call.request_model else None
            )
            if price is None:
                unpriced.add(call.model)
                cost = Decimal(0)
            else:
                # Capped as the push API caps a cost: only absurd token counts and
                # prices reach it, and the column holds no more.
                cost = min(
                    (
                        call.input_tokens * price.input_per_mtok
                        + call.output_tokens * price.output_per_mtok
                    )
                    / TOKENS_PER_PRICE_UNIT,
                    MAX_COST_USD,
                )
        pushed.append(
            PushedEvent(  # positional: the fields in their declared order
                call.timestamp,
                call.model,
                call.latency_ms,
                call.input_tokens,
                call.output_tokens,
                cost,
                call.error,
                call.idempotency_key,
            )
        )
    return pushed, unpriced


def export_response(decoded: Decoded, unpriced: set[str], encoding: Encoding) -> bytes:
    """The ExportTraceServiceResponse: partial success when spans were ignored, naming
    how many and why, or (with no span rejected) when some calls could not be
    priced."""
    notes = []
    if decoded.not_model_calls:
        notes.append(
            f"{_spans(decoded.not_model_calls)} ignored: not GenAI model calls (no "
            f"{OPERATION} of {', '.join(sorted(MODEL_CALLS))}, nor without one a "
            f"{REQUEST_MODEL})."
        )
    if decoded.without_model:
        notes.append(
            f"{_spans(decoded.without_model)} ignored: model calls naming no model "
            f"({REQUEST_MODEL} or {RESPONSE_MODEL})."
        )
    if unpriced:
        named = sorted(unpriced)
        more = f" and {len(named) - 10} more" if len(named) > 10 else ""
        notes.append(
            f"Stored with a cost of 0: calls to {', '.join(named[:10])}{more}, which "
            f"carry no {COST[0]} and are not in Runway's price list (a Runway admin "
            "can add them)."
        )
    response = ExportTraceServiceResponse()
    if notes:
        response.partial_success.rejected_spans = decoded.ignored
        response.partial_success.error_message = " ".join(notes)
    return _encoded(response, encoding)


def _spans(count: int) -> str:
    return f"{count:,} span{'' if count == 1 else 's'}"


def status_body(message: str, code: int, encoding: Encoding) -> bytes:
    """A refusal as OTLP says to send it: a google.rpc.Status."""
    return _encoded(status_pb2.Status(code=code, message=message), encoding)


def _encoded(message: Any, encoding: Encoding) -> bytes:
    if encoding is Encoding.PROTOBUF:
        wire: bytes = message.SerializeToString()
        return wire
    text: str = json_format.MessageToJson(message, indent=None)
    return text.encode("utf-8")
