"""OpenTelemetry traces in (OTLP/HTTP), the endpoint as an exporter meets it: spans
made and exported by the real OpenTelemetry SDK to a live server become the project's
request events and daily metrics; and the push API's refusals (token, archived
project, content type, a body without a length, rate, database) are answered in
OTLP's form, a google.rpc.Status in the request's encoding."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from google.rpc import status_pb2
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.trace.export import SpanExportResult

from metrics import ingest
from metrics.models import ConnectedService, RequestEvent
from metrics.vocabulary import Metric
from tests.metrics.otlp_requests import (
    NINE,
    PROTOBUF,
    answer,
    json_request,
    one_call,
    post,
    refusal,
)
from tests.metrics.otlp_spans import (
    OTLP_PATH,
    Answers,
    exporter,
    exporting_tracer,
    model_call,
    other_span,
    protobuf,
    recorded,
)
from tests.metrics.test_ingest_api import (
    nothing_written,
    rollup,
    within_the_sketch_error,
)

pytestmark = pytest.mark.django_db


# --- Through the SDK's own exporter, to a live server -----------------------------


@pytest.mark.django_db(transaction=True)
def test_spans_the_sdk_exports_become_events_and_daily_metrics(
    live_server, people, secret, prices
):
    answers = Answers()
    with exporting_tracer(live_server.url, secret, answers) as tracer:
        other_span(tracer, NINE)
        model_call(
            tracer,
            NINE,
            response_model="gpt-4o-mini-2024-07-18",
            duration_ms=812.5,
            input_tokens=1000,
            output_tokens=200,
        )
        model_call(tracer, NINE + timedelta(minutes=1), duration_ms=400, error=True)
        model_call(
            tracer,
            NINE + timedelta(minutes=2),
            model="claude-sonnet-4",
            operation="chat",
            duration_ms=1600,
            input_tokens=2000,
            output_tokens=500,
            gen_ai__usage__cost=0.0125,
        )
        model_call(
            tracer,
            NINE + timedelta(minutes=3),
            model="text-embedding-3-small",
            operation="embeddings",
            duration_ms=50,
            input_tokens=300,
            output_tokens=None,
        )
        model_call(tracer, NINE, operation="execute_tool", model="gpt-4o-mini")

    assert [a.status_code for a in answers] == [200] * 6
    assert all(a.headers["Content-Type"] == PROTOBUF for a in answers)
    partial = [
        ExportTraceServiceResponse.FromString(a.content).partial_success
        for a in answers
    ]
    # The HTTP span and the tool span: counted, said why, not stored.
    assert [p.rejected_spans for p in partial] == [1, 0, 0, 0, 0, 1]
    assert "1 span ignored: not GenAI model calls" in partial[0].error_message
    assert partial[1].error_message == ""

    events = RequestEvent.objects.filter(project=people["project"]).order_by(
        "timestamp", "model"
    )
    assert [(e.model, e.error) for e in events] == [
        ("gpt-4o-mini-2024-07-18", False),  # the model that answered
        ("gpt-4o-mini", True),
        ("claude-sonnet-4", False),
        ("text-embedding-3-small", False),
    ]
    first, failed, claude, embedding = events
    assert first.timestamp == NINE
    assert first.latency_ms == 812.5
    assert (first.input_tokens, first.output_tokens) == (1000, 200)
    # 1,000 × $0.15 + 200 × $0.60 per million, the snapshot priced as its model.
    assert first.cost_usd == Decimal("0.00027")
    assert claude.cost_usd == Decimal("0.0125")  # the span's own cost
    assert (embedding.output_tokens, embedding.cost_usd) == (0, Decimal("0.000006"))
    assert (
        first.idempotency_key.startswith("otlp-")
        and len(first.idempotency_key) == len("otlp-") + 32 + 1 + 16
    )

    ingest.events_rollup(project=people["project"])
    day = NINE
    assert rollup(Metric.REQUESTS, "gpt-4o-mini", day) == 1
    assert rollup(Metric.ERRORS, "gpt-4o-mini", day) == 1
    assert rollup(Metric.REQUESTS, "claude-sonnet-4", day) == 1
    assert rollup(Metric.INPUT_TOKENS, "claude-sonnet-4", day) == 2000
    assert rollup(Metric.COST_OBSERVED_USD, "claude-sonnet-4", day) == Decimal("0.0125")
    assert float(rollup(Metric.LATENCY_P50_MS, "", day)) == within_the_sketch_error(400)
    service = ConnectedService.objects.get(project=people["project"], kind="push")
    assert service.last_success_at is not None


@pytest.mark.django_db(transaction=True)
def test_gzip_from_the_sdk_is_accepted(live_server, people, secret):
    answers = Answers()
    with exporting_tracer(
        live_server.url, secret, answers, compression=Compression.Gzip
    ) as tracer:
        model_call(tracer, NINE, gen_ai__usage__cost=0.001)
    assert [a.status_code for a in answers] == [200]
    assert answers[0].request.headers["Content-Encoding"] == "gzip"
    assert RequestEvent.objects.get().cost_usd == Decimal("0.001")


@pytest.mark.django_db(transaction=True)
def test_the_same_spans_exported_twice_count_once(live_server, people, secret):
    spans = recorded(
        lambda tracer: [
            model_call(tracer, NINE + timedelta(minutes=n), gen_ai__usage__cost=0.01)
            for n in range(3)
        ]
    )
    answers = Answers()
    sdk = exporter(live_server.url, secret, answers)
    assert sdk.export(spans) == SpanExportResult.SUCCESS
    assert sdk.export(spans) == SpanExportResult.SUCCESS  # a retry, say
    sdk.shutdown()
    assert [a.status_code for a in answers] == [200, 200]
    assert RequestEvent.objects.count() == 3
    ingest.events_rollup(project=people["project"])
    assert rollup(Metric.REQUESTS, "gpt-4o-mini", NINE) == 3
    assert rollup(Metric.COST_OBSERVED_USD, "gpt-4o-mini", NINE) == Decimal("0.03")


@pytest.mark.django_db(transaction=True)
def test_the_sdk_is_told_a_bad_token_fails(live_server, people, secret):
    spans = recorded(lambda tracer: model_call(tracer, NINE))
    answers = Answers()
    sdk = exporter(live_server.url, "rwy_not-a-token", answers)
    assert sdk.export(spans) == SpanExportResult.FAILURE
    sdk.shutdown()
    assert [a.status_code for a in answers] == [401]  # not retried
    assert "push token" in status_pb2.Status.FromString(answers[0].content).message
    assert not RequestEvent.objects.exists()


# --- Refusals ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization", [None, "Bearer rwy_unknown", "Basic dXNlcjpwYXNz"]
)
def test_no_valid_token_is_401_with_a_status_saying_what_to_send(
    client, people, authorization
):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.post(OTLP_PATH, data=one_call(), content_type=PROTOBUF, **headers)
    assert response.status_code == 401
    status = refusal(response)
    assert status.code == 16  # UNAUTHENTICATED
    assert "OTEL_EXPORTER_OTLP_TRACES_HEADERS" in status.message
    assert nothing_written()


def test_a_revoked_token_is_401(client, secret):
    ingest.token_revoke(token=ingest.token_authenticate(secret))
    assert post(client, one_call(), secret).status_code == 401
    assert nothing_written()


def test_an_archived_project_is_403(client, people, secret):
    project = people["project"]
    project.archived_at = timezone.now()
    project.save(update_fields=["archived_at"])
    response = post(client, one_call(), secret)
    assert response.status_code == 403
    assert "archived" in refusal(response).message
    assert nothing_written()


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/grpc"],
)
def test_another_content_type_is_415(client, secret, content_type):
    response = post(client, json.dumps(json_request()), secret, content_type)
    assert response.status_code == 415
    assert "application/x-protobuf" in response.json()["message"]
    assert nothing_written()


# --- Chunked bodies ---------------------------------------------------------------


def chunked(body):
    """What a server hands on for a chunked request: no Content-Length."""
    return {"CONTENT_LENGTH": "", "wsgi.input": io.BytesIO(body)}


def test_a_chunked_body_is_read_when_the_server_says_where_it_ends(client, secret):
    body = one_call()
    response = post(
        client, body, secret, **chunked(body), **{"wsgi.input_terminated": True}
    )
    assert response.status_code == 200
    assert RequestEvent.objects.count() == 1


def test_a_chunked_body_over_the_limit_is_413(client, secret):
    body = b"\x00" * (8 * 1024 * 1024 + 1)
    response = post(
        client, body, secret, **chunked(body), **{"wsgi.input_terminated": True}
    )
    assert response.status_code == 413
    assert nothing_written()


def test_a_chunked_body_the_server_cannot_end_is_411(client, secret):
    body = one_call()
    response = post(client, body, secret, **chunked(body))
    assert response.status_code == 411
    assert "Content-Length" in refusal(response).message
    assert nothing_written()


@pytest.mark.django_db(transaction=True)
def test_a_chunked_post_to_a_server_that_cannot_read_it_is_411(live_server, secret):
    """Django's development server (as the live server) does not undo chunking."""

    def pieces():
        yield one_call()

    with httpx.Client(trust_env=False) as loopback:
        response = loopback.post(
            live_server.url + OTLP_PATH,
            content=pieces(),
            headers={"Authorization": f"Bearer {secret}", "Content-Type": PROTOBUF},
        )
    assert response.status_code == 411
    assert "Content-Length" in status_pb2.Status.FromString(response.content).message
    assert not RequestEvent.objects.exists()


# --- Storing, rate and schema -----------------------------------------------------


def test_a_database_error_is_503_with_retry_after(client, secret, monkeypatch):
    def failing(**_):
        raise OperationalError("the database is down")

    monkeypatch.setattr(ingest, "batch_ingest", failing)
    response = post(client, one_call(), secret)
    assert response.status_code == 503  # which OTLP clients retry
    assert int(response["Retry-After"]) > 0
    status = refusal(response)
    assert status.code == 14  # UNAVAILABLE
    assert "send them again" in status.message


def test_a_request_without_model_calls_writes_nothing(client, secret, monkeypatch):
    monkeypatch.setattr(ingest, "batch_ingest", pytest.fail)
    body = protobuf(recorded(lambda tracer: other_span(tracer, NINE)))
    response = post(client, body, secret)
    assert response.status_code == 200
    assert answer(response).partial_success.rejected_spans == 1
    assert not ConnectedService.objects.exists()  # no Push API source made


def test_too_many_requests_is_429_with_retry_after(client, secret):
    for _ in range(120):
        post(client, b"{}", secret, "application/json")
    response = post(client, one_call(), secret)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "BatchSpanProcessor" in refusal(response).message


def test_the_openapi_schema_lists_the_traces_endpoint(client, people):
    client.force_login(people["viewer"])
    schema = client.get(reverse("api:openapi-json")).json()
    operation = schema["paths"][OTLP_PATH]["post"]
    assert set(operation["requestBody"]["content"]) == {PROTOBUF, "application/json"}
