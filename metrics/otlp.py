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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
# Invalid spans named in an answer; the others are only counted.
SHOWN_INVALID = 3

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
    """The body cannot be decoded as an ExportTraceServiceRequest: the request is
    refused whole (400) and nothing of it is stored."""


class TooLarge(ValueError):
    """The body, or what it inflates to, is over the limit; or it holds too many
    spans, or too many parts (attributes, events, links) to decode (413)."""


class UnsupportedEncoding(ValueError):
    """A Content-Encoding other than gzip, deflate or none (415)."""


class InvalidSpan(ValueError):
    """A model-call span that cannot be stored: it is rejected, and counted and named
    in the answer's partial_success; the request's other spans are stored."""


# Past this size, a body may inflate at most INFLATION_RATIO times its size as sent:
# OTLP compresses 5 to 20 times, a zip bomb a thousand.
INFLATION_FLOOR = 1024 * 1024
INFLATION_RATIO = 100
# A gzip body is normally one member; a few are allowed (a Collector may concatenate),
# not thousands (each is a new inflater).
MAX_GZIP_MEMBERS = 8
# Messages in a request (spans, resources, scopes, attributes, their values, events,
# links...) counted before one is built: a few bytes of protobuf or JSON can stand
# for an empty message, each of which costs a hundred bytes or more once decoded.
# 1,000 spans of 30 attributes each, with events, stay well below it.
MAX_PARTS = 200_000


# --- From bytes to an ExportTraceServiceRequest -----------------------------------


def inflated(body: bytes, content_encoding: str, limit: int) -> bytes:
    """The body with its Content-Encoding undone, refused past ``limit`` bytes once
    inflated, or when it inflates more than INFLATION_RATIO times past
    INFLATION_FLOOR: a few kilobytes of gzip can inflate to gigabytes."""
    coding = content_encoding.strip().lower()
    if coding in ("", "identity"):
        if len(body) > limit:
            raise TooLarge(
                f"The body is larger than {limit:,} bytes: send fewer spans a request."
            )
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
    allowed = min(limit, max(INFLATION_FLOOR, INFLATION_RATIO * len(data)))
    inflated_so_far = bytearray()
    members = 0
    while True:  # a gzip body may be several members one after the other
        members += 1
        if members > MAX_GZIP_MEMBERS:
            raise BadTraces(
                f"The {coding} body has more than {MAX_GZIP_MEMBERS} members: "
                "compress the body as one."
            )
        inflater = zlib.decompressobj(wbits)
        try:
            inflated_so_far += inflater.decompress(
                data, allowed + 1 - len(inflated_so_far)
            )
        except zlib.error as exc:
            raise BadTraces(
                f"The body is not valid {coding} data ({exc}), though "
                f"Content-Encoding says it is."
            ) from None
        if len(inflated_so_far) > allowed or inflater.unconsumed_tail:
            if allowed < limit:
                raise TooLarge(
                    f"The body inflates more than {INFLATION_RATIO} times its "
                    f"{len(data):,} bytes, which Runway refuses past "
                    f"{INFLATION_FLOOR:,} bytes: send the spans uncompressed, or "
                    "fewer of them a request."
                )
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


def too_many_spans(max_spans: int, count: int | None = None) -> TooLarge:
    this_one = "more" if count is None else f"{count:,}"
    return TooLarge(
        f"A request holds at most {max_spans:,} spans; this one has {this_one}: "
        "export smaller batches (OTEL_BSP_MAX_EXPORT_BATCH_SIZE in an SDK, "
        "send_batch_max_size in a Collector's batch processor)."
    )


def _too_many_parts() -> TooLarge:
    return TooLarge(
        f"The request has more than {MAX_PARTS:,} parts (spans, attributes, events, "
        "links and their values): send fewer spans a request, or record fewer "
        "attributes and events on them."
    )


def parsed(
    body: bytes, encoding: Encoding, *, max_spans: int
) -> ExportTraceServiceRequest:
    """The ExportTraceServiceRequest the body encodes. An empty body is an empty
    request, which OTLP says to accept. Spans, and parts of any kind, are counted
    before the message is built: over ``max_spans`` spans or MAX_PARTS parts, the
    request is refused (``TooLarge``)."""
    request = ExportTraceServiceRequest()
    if encoding is Encoding.PROTOBUF:
        spans = _protobuf_census(body, max_spans)
        if spans > max_spans:
            raise too_many_spans(max_spans)
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
        document = json.loads(body, object_pairs_hook=_counted_objects())
    except TooLarge:
        raise
    except (ValueError, RecursionError) as exc:
        raise BadTraces(
            f"The body is not JSON ({exc.__class__.__name__}: {exc})."
        ) from None
    if not isinstance(document, dict):
        raise BadTraces(
            "The body is not an ExportTraceServiceRequest in OTLP's JSON encoding: "
            "expected an object with resourceSpans."
        )
    spans = _hex_ids_as_base64(document)
    if spans > max_spans:
        raise too_many_spans(max_spans, spans)
    try:
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as exc:
        raise BadTraces(
            f"The body is not an ExportTraceServiceRequest in OTLP's JSON encoding ({exc})."
        ) from None
    return request


def _counted_objects() -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    """A json.loads hook that builds each object as a dict and stops the parse past
    MAX_PARTS objects."""
    objects = 0

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal objects
        objects += 1
        if objects > MAX_PARTS:
            raise _too_many_parts()
        return dict(pairs)

    return hook


def _protobuf_census(body: bytes, max_spans: int) -> int:
    """The spans of a protobuf-encoded ExportTraceServiceRequest, counted by walking
    its wire format (without building a message) up to ``max_spans`` + 1; raises
    ``TooLarge`` past MAX_PARTS messages of any kind, ``BadTraces`` when the wire
    format is broken (ParseFromString would say the same)."""
    spans = parts = 0
    pending = [(0, len(body), ExportTraceServiceRequest.DESCRIPTOR)]
    while pending:
        position, end, descriptor = pending.pop()
        fields = descriptor.fields_by_number
        while position < end:
            key = body[position]  # one byte for field numbers up to 15
            if key < 0x80:
                position += 1
            else:
                key, position = _varint(body, position, end)
            wire_type = key & 7
            if wire_type == 2:
                length = body[position] if position < end else 0x80
                if length < 0x80:
                    position += 1
                else:
                    length, position = _varint(body, position, end)
                start, position = position, position + length
                if position > end:
                    raise _broken("a field runs past the end of its message")
                field_ = fields.get(key >> 3)
                if field_ is None or field_.message_type is None:
                    continue
                parts += 1
                if parts > MAX_PARTS:
                    raise _too_many_parts()
                if field_.message_type is _SPAN:
                    spans += 1
                    if spans > max_spans:
                        return spans
                pending.append((start, position, field_.message_type))
            elif wire_type == 0:
                _, position = _varint(body, position, end)
            elif wire_type == 1:
                position += 8
            elif wire_type == 5:
                position += 4
            else:
                raise _broken(f"wire type {wire_type}, which OTLP does not use")
            if position > end:
                raise _broken("a field runs past the end of its message")
    return spans


def _varint(body: bytes, position: int, end: int) -> tuple[int, int]:
    value = shift = 0
    while position < end and shift < 64:
        byte = body[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7
    raise _broken("a number is cut short")


def _broken(why: str) -> BadTraces:
    return BadTraces(
        f"The body is not a protobuf-encoded ExportTraceServiceRequest ({why})."
    )


_ID_KEYS = (
    ("traceId", "trace_id"),
    ("spanId", "span_id"),
    ("parentSpanId", "parent_span_id"),
)
_HEX = re.compile(r"[0-9a-fA-F]*")
_SPAN = Span.DESCRIPTOR


def _hex_ids_as_base64(document: dict[str, Any]) -> int:
    """OTLP/JSON writes trace and span ids in hex, where protobuf's JSON mapping (and
    so ``json_format``) reads base64: rewrite the spans' and their links' ids in
    place. Returns how many spans there are."""
    spans = 0
    for r, resource_spans in _objects(document, "resourceSpans", "resource_spans"):
        for s, scope_spans in _objects(resource_spans, "scopeSpans", "scope_spans"):
            for n, span in _objects(scope_spans, "spans"):
                spans += 1
                where = f"resourceSpans[{r}].scopeSpans[{s}].spans[{n}]"
                _rewrite_ids(span, where)
                for k, link in _objects(span, "links"):
                    _rewrite_ids(link, f"{where}.links[{k}]")
    return spans


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
        if all(key in message for key in spellings):
            raise BadTraces(
                f"{where} has both {spellings[0]} and {spellings[1]}: send one."
            )
        for key in spellings:
            value = message.get(key)
            if not isinstance(value, str):
                continue  # json_format reports a wrong type itself
            try:
                if not _HEX.fullmatch(value):
                    raise ValueError
                raw = bytes.fromhex(value)
            except ValueError:
                raise BadTraces(
                    f"{where}.{spellings[0]} “{value[:40]}” is not hex: OTLP/JSON "
                    "writes ids as hex strings, not base64."
                ) from None
            message[key] = base64.b64encode(raw).decode("ascii")


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
    invalid: list[str] = field(default_factory=list)  # why each invalid call is

    @property
    def ignored(self) -> int:
        return self.not_model_calls + self.without_model

    @property
    def rejected(self) -> int:
        """Spans not stored: the ignored ones and the invalid model calls."""
        return self.ignored + len(self.invalid)


def model_calls(
    request: ExportTraceServiceRequest,
    *,
    now: datetime,
    max_age: timedelta,
    future_slack: timedelta,
) -> Decoded:
    """The request's model calls, and how many spans were not stored and why. A model
    call is invalid, and rejected with its place and reason, when it starts outside
    [now - max_age, now + future_slack], ends before it starts or lasts over a day,
    lacks an id, or has a token count, cost or model name out of range; the others
    are stored all the same."""
    window = _Window(now - max_age, now + future_slack, max_age)
    calls: list[ModelCall] = []
    invalid: list[str] = []
    not_model_calls = without_model = 0
    for r, resource_spans in enumerate(request.resource_spans):
        for s, scope_spans in enumerate(resource_spans.scope_spans):
            for n, span in enumerate(scope_spans.spans):
                attributes = {kv.key: kv.value for kv in span.attributes}
                if not _is_model_call(attributes):
                    not_model_calls += 1
                    continue
                try:
                    call = _model_call(span, attributes, window)
                except InvalidSpan as exc:
                    invalid.append(f"{_SpanPlace(span, r, s, n)}: {exc}")
                    continue
                if call is None:
                    without_model += 1
                else:
                    calls.append(call)
    return Decoded(calls, not_model_calls, without_model, invalid)


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
    resource: int
    scope: int
    index: int

    def __str__(self) -> str:
        name = (
            self.span.name if len(self.span.name) <= 80 else self.span.name[:79] + "…"
        )
        return (
            f"resource {self.resource}, scope {self.scope}, span {self.index} "
            f"(“{name}”, spanId {self.span.span_id.hex() or 'missing'}, "
            f"traceId {self.span.trace_id.hex() or 'missing'})"
        )


def _is_model_call(attributes: Mapping[str, AnyValue]) -> bool:
    """A span whose gen_ai.operation.name is not a string is no GenAI span: it is
    ignored, as any other."""
    operation = attributes.get(OPERATION)
    if operation is None:
        return REQUEST_MODEL in attributes
    if operation.WhichOneof("value") != "string_value":
        return False
    return operation.string_value.strip().lower() in MODEL_CALLS


def _model_call(
    span: Span,
    attributes: Mapping[str, AnyValue],
    window: _Window,
) -> ModelCall | None:
    request_model = _model_name(attributes, REQUEST_MODEL)
    model = _model_name(attributes, RESPONSE_MODEL) or request_model
    if not model:
        return None
    if len(span.trace_id) != TRACE_ID_BYTES or not any(span.trace_id):
        raise InvalidSpan("traceId must be 16 bytes, not all zero.")
    if len(span.span_id) != SPAN_ID_BYTES or not any(span.span_id):
        raise InvalidSpan("spanId must be 8 bytes, not all zero.")
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    if not start or not end:
        raise InvalidSpan("startTimeUnixNano and endTimeUnixNano must both be set.")
    if end < start:
        raise InvalidSpan("it ends (endTimeUnixNano) before it starts.")
    timestamp = EPOCH + timedelta(microseconds=start // 1000)
    if timestamp < window.earliest:
        raise InvalidSpan(
            f"it started at {timestamp:%Y-%m-%d %H:%M:%S} UTC, more than "
            f"{window.max_age.days} days ago, which is older than Runway takes."
        )
    if timestamp > window.latest:
        raise InvalidSpan(
            f"it starts at {timestamp:%Y-%m-%d %H:%M:%S} UTC, in the "
            "future: check the clock of the machine that made it."
        )
    latency_ms = (end - start) / 1_000_000
    if latency_ms > MAX_LATENCY_MS:
        raise InvalidSpan("it lasts more than 24 hours.")
    return ModelCall(
        timestamp=timestamp,
        model=model,
        request_model=request_model,
        latency_ms=latency_ms,
        input_tokens=_token_count(attributes, INPUT_TOKENS),
        output_tokens=_token_count(attributes, OUTPUT_TOKENS),
        cost_usd=_cost(attributes),
        error=span.status.code == Status.STATUS_CODE_ERROR,
        idempotency_key=f"{KEY_PREFIX}{span.trace_id.hex()}-{span.span_id.hex()}",
    )


def _text(attributes: Mapping[str, AnyValue], key: str) -> str | None:
    """A string attribute, stripped; None when absent or blank."""
    value = attributes.get(key)
    if value is None:
        return None
    if value.WhichOneof("value") != "string_value":
        raise InvalidSpan(f"{key} must be a string.")
    text: str = value.string_value.strip()
    return text or None


def _model_name(attributes: Mapping[str, AnyValue], key: str) -> str:
    """A model name as the push API takes one; "" when absent or blank."""
    name = _text(attributes, key) or ""
    if len(name) > MAX_MODEL_LENGTH or "\x00" in name:
        raise InvalidSpan(
            f"{key} must be at most {MAX_MODEL_LENGTH} characters, "
            "without NUL characters."
        )
    return name


def _token_count(attributes: Mapping[str, AnyValue], keys: Sequence[str]) -> int:
    """The first of ``keys`` present, as a whole number of tokens; 0 when none is
    (an embeddings call has no output tokens)."""
    for key in keys:
        value = attributes.get(key)
        if value is None:
            continue
        number = _number(value)
        if number is None or number != int(number) or not 0 <= number <= MAX_TOKENS:
            raise InvalidSpan(f"{key} must be a whole number from 0 to {MAX_TOKENS:,}.")
        return int(number)
    return 0


def _cost(attributes: Mapping[str, AnyValue]) -> Decimal | None:
    for key in COST:
        value = attributes.get(key)
        if value is None:
            continue
        number = _number(value)
        # str() first: Decimal(0.1) would carry the binary float's every digit.
        cost = None if number is None else Decimal(str(number))
        if cost is None or not 0 <= cost <= MAX_COST_USD:
            raise InvalidSpan(
                f"{key} must be a number of US dollars from 0 to {MAX_COST_USD:,}."
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
    as the list's claude-sonnet-4-20250514).

    A family's price is its undated row's (gpt-4o's, not gpt-4o-2024-05-13's); a
    family listed only in snapshots takes its ``-latest`` row's, else its latest
    dated one's."""

    def __init__(self, rows: Iterable[tuple[str, Decimal, Decimal]]) -> None:
        self._exact: dict[str, Price] = {}
        by_family: dict[str, tuple[tuple[int, str], Price]] = {}
        for name, input_price, output_price in sorted(rows):  # sorted: one order
            price = Price(input_price, output_price)
            self._exact[name.lower()] = price
            rank = _snapshot_rank(name)
            held = by_family.get(_family(name))
            if held is None or rank > held[0]:
                by_family[_family(name)] = (rank, price)
        self._by_family = {family: price for family, (_, price) in by_family.items()}

    def price(self, *models: str) -> Price | None:
        """The price of the first of ``models`` listed exactly, else of the first
        whose family is listed; blank names are passed over."""
        named = [model.lower() for model in models if model]
        for model in named:
            if model in self._exact:
                return self._exact[model]
        for model in named:
            price = self._by_family.get(_family(model))
            if price is not None:
                return price
        return None


def _family(model: str) -> str:
    return _SNAPSHOT.sub("", model.lower())


def _snapshot_rank(model: str) -> tuple[int, str]:
    """How a row ranks for its family's price: undated first, then -latest, then
    dated snapshots by their date."""
    snapshot = _SNAPSHOT.search(model.lower())
    if snapshot is None:
        return (3, "")
    suffix = snapshot.group()[1:]
    if suffix == "latest":
        return (2, "")
    return (1, suffix.replace("-", ""))


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
    priced by its model's or the asked-for model's exact name, else by their
    family's (``PriceList.price``)."""
    pushed: list[PushedEvent] = []
    unpriced: set[str] = set()
    for call in calls:
        cost = call.cost_usd
        if cost is None:
            price = prices.price(call.model, call.request_model)
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
    """The ExportTraceServiceResponse: partial success when spans were rejected as
    invalid (the first few named with their place and reason) or ignored, saying how
    many and why, or (with no span rejected) when some calls could not be priced."""
    notes = []
    if decoded.invalid:
        shown = decoded.invalid[:SHOWN_INVALID]
        unshown = len(decoded.invalid) - len(shown)
        notes.append(
            f"{_spans(len(decoded.invalid))} rejected as invalid model calls, not "
            f"stored: {'; '.join(shown)}"
            f"{f'; and {unshown:,} more.' if unshown else ''}"
        )
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
        response.partial_success.rejected_spans = decoded.rejected
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
