"""OpenTelemetry traces in (OTLP/HTTP): the spans of GenAI model calls become pushed
events, as if the project's code had sent them to the push API.

An application instrumented with the OpenTelemetry GenAI semantic conventions
(OpenLLMetry, Logfire, the vendors' own SDKs...) exports its spans to
``/api/v1/otlp/v1/traces``. A span is a model call when its ``gen_ai.operation.name``
is one of ``MODEL_CALLS`` (or, from instrumentations older than that attribute, when
it names a ``gen_ai.request.model``); every other span (HTTP, database, tool and
agent spans) is ignored and counted, and the client is told how many. docs/otlp.md
says what each event field is read from.

This module holds what follows decoding: spans to model calls, their cost, and the
answer. From the request's bytes to an ExportTraceServiceRequest (encodings, limits,
refusals of the body) is ``metrics.otlp_decode``. Everything is pure except
``price_list``, the one read of the admin-kept price list
(``assessments.models.ModelPrice``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from google.protobuf import json_format  # type: ignore[import-untyped]
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
from metrics.otlp_decode import Encoding

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


class InvalidSpan(ValueError):
    """A model-call span that cannot be stored: it is rejected, and counted and named
    in the answer's partial_success; the request's other spans are stored."""


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
