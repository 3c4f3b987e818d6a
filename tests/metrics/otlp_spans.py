"""Spans made by the real OpenTelemetry SDK, as an instrumented application makes them,
and the ways they reach Runway: the SDK's own OTLP/HTTP exporter (to a live server),
or its protobuf encoding posted with the test client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind, StatusCode, Tracer

OTLP_PATH = "/api/v1/otlp/v1/traces"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def nanos(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1) * 1000


def model_call(
    tracer: Tracer,
    start: datetime,
    *,
    model: str = "gpt-4o-mini",
    response_model: str | None = None,
    operation: str = "chat",
    duration_ms: float = 250.0,
    input_tokens: int | None = 1000,
    output_tokens: int | None = 200,
    error: bool = False,
    **attributes: Any,
) -> None:
    """One GenAI span as the semantic conventions describe it (``chat gpt-4o-mini``,
    a client span); ``attributes`` adds or overrides, dots written as ``__``."""
    values: dict[str, Any] = {
        "gen_ai.operation.name": operation,
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model,
        "server.address": "api.openai.com",
    }
    if response_model is not None:
        values["gen_ai.response.model"] = response_model
    if input_tokens is not None:
        values["gen_ai.usage.input_tokens"] = input_tokens
    if output_tokens is not None:
        values["gen_ai.usage.output_tokens"] = output_tokens
    values.update({k.replace("__", "."): v for k, v in attributes.items()})
    span = tracer.start_span(
        f"{operation} {model}",
        kind=SpanKind.CLIENT,
        attributes={k: v for k, v in values.items() if v is not None},
        start_time=nanos(start),
    )
    if error:
        span.set_attribute("error.type", "RateLimitError")
        span.set_status(StatusCode.ERROR, "429 from the provider")
    end = start + timedelta(microseconds=duration_ms * 1000)
    span.end(end_time=nanos(end))


def other_span(tracer: Tracer, start: datetime, name: str = "GET /claims/{id}") -> None:
    """A span of the application that is no model call: an HTTP server span."""
    span = tracer.start_span(
        name,
        kind=SpanKind.SERVER,
        attributes={"http.request.method": "GET", "http.route": "/claims/{id}"},
        start_time=nanos(start),
    )
    span.end(end_time=nanos(start + timedelta(milliseconds=40)))


def provider_with(processor: Any) -> TracerProvider:
    provider = TracerProvider(
        resource=Resource.create({"service.name": "claims-triage-assistant"})
    )
    provider.add_span_processor(processor)
    return provider


def recorded(make: Callable[[Tracer], None]) -> list[ReadableSpan]:
    """The spans ``make`` ends, as the SDK hands them to an exporter."""
    memory = InMemorySpanExporter()
    provider = provider_with(SimpleSpanProcessor(memory))
    make(provider.get_tracer("tests.metrics.otlp"))
    provider.shutdown()
    return list(memory.get_finished_spans())


def protobuf(spans: list[ReadableSpan]) -> bytes:
    """The spans as the SDK's OTLP exporters encode them."""
    return bytes(encode_spans(spans).SerializeToString())


class Answers(list[requests.Response]):
    """The live server's answers to an exporter, kept by a response hook: the SDK's
    exporter itself reads only the status."""


def loopback_session(answers: Answers) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: loopback only
    session.hooks["response"].append(
        lambda response, *_, **__: answers.append(response)
    )
    return session


def exporter(
    base_url: str,
    secret: str,
    answers: Answers,
    compression: Compression = Compression.NoCompression,
) -> OTLPSpanExporter:
    return OTLPSpanExporter(
        endpoint=base_url + OTLP_PATH,
        headers={"Authorization": f"Bearer {secret}"},
        compression=compression,
        session=loopback_session(answers),
        timeout=10,
    )


@contextmanager
def exporting_tracer(
    base_url: str,
    secret: str,
    answers: Answers,
    compression: Compression = Compression.NoCompression,
) -> Iterator[Tracer]:
    """A tracer whose spans the SDK exports to Runway as each one ends, as an
    application configured with the documented three lines does."""
    provider = provider_with(
        SimpleSpanProcessor(exporter(base_url, secret, answers, compression))
    )
    try:
        yield provider.get_tracer("tests.metrics.otlp")
    finally:
        provider.shutdown()
