"""What the OTLP tests send and read back through the test client: a request posted
with a push token, its answer or refusal decoded, and an ExportTraceServiceRequest in
OTLP's JSON encoding written by hand. The spans themselves come from
``tests.metrics.otlp_spans``; the fixtures (``secret``, ``prices``) from conftest."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from decimal import Decimal

from django.utils import timezone
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse,
)

from assessments.models import ModelPrice
from tests.metrics.otlp_spans import OTLP_PATH, model_call, protobuf, recorded

PROTOBUF = "application/x-protobuf"
DAY = (
    (timezone.now() - timedelta(days=2))
    .astimezone(UTC)
    .replace(hour=0, minute=0, second=0, microsecond=0)
)
NINE = DAY + timedelta(hours=9)


def post(client, body, secret, content_type=PROTOBUF, **headers):
    return client.post(
        OTLP_PATH,
        data=body,
        content_type=content_type,
        **({"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}),
        **headers,
    )


def answer(response):
    """The ExportTraceServiceResponse of a protobuf request."""
    assert response["Content-Type"] == PROTOBUF
    return ExportTraceServiceResponse.FromString(response.content)


def refusal(response):
    """The google.rpc.Status of a refused protobuf request."""
    assert response["Content-Type"] == PROTOBUF
    return status_pb2.Status.FromString(response.content)


TRACE_ID = "5B8EFFF798038103D269B633813FC60C"
SPAN_ID = "EEE19B7EC3C1B174"


def json_request(**span_overrides):
    """An ExportTraceServiceRequest in OTLP's JSON encoding, written by hand as the
    specification shows it: camelCase, ids in hex, 64-bit numbers as strings."""
    start = NINE + timedelta(minutes=5)
    span = {
        "traceId": TRACE_ID,
        "spanId": SPAN_ID,
        "parentSpanId": "",
        "name": "chat claude-sonnet-4",
        "kind": 3,
        "startTimeUnixNano": str(int(start.timestamp()) * 10**9),
        "endTimeUnixNano": str(int(start.timestamp()) * 10**9 + 1_250_000_000),
        "attributes": [
            {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
            {
                "key": "gen_ai.request.model",
                "value": {"stringValue": "claude-sonnet-4"},
            },
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "1500"}},
            {"key": "gen_ai.usage.output_tokens", "value": {"intValue": 300}},
        ],
        "status": {"code": 2, "message": "overloaded"},
        "someFutureField": {"ignored": True},
    }
    span.update(span_overrides)
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [
                        {"key": "service.name", "value": {"stringValue": "triage"}}
                    ]
                },
                "scopeSpans": [{"scope": {"name": "manual"}, "spans": [span]}],
            }
        ]
    }


def one_call():
    return protobuf(
        recorded(lambda tracer: model_call(tracer, NINE, gen_ai__usage__cost=0.01))
    )


def price(name, input_per_mtok, output_per_mtok):
    """An admin-kept price of ``name`` (USD per million tokens)."""
    ModelPrice.objects.update_or_create(
        name=name,
        defaults={
            "provider": "Test",
            "input_per_mtok": Decimal(input_per_mtok),
            "output_per_mtok": Decimal(output_per_mtok),
            "context_window": 128_000,
            "latency_class": "fast",
            "tier": "small",
            "prices_as_of": date(2025, 7, 1),
        },
    )
