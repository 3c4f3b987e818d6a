"""OpenTelemetry traces in (OTLP/HTTP): spans made and exported by the real
OpenTelemetry SDK become the project's request events and daily metrics; spans that
are no model call are counted and left out; and every refusal is the push API's,
answered in OTLP's form (a google.rpc.Status in the request's encoding)."""

from __future__ import annotations

import gzip
import io
import json
import os
import time
import zlib
from datetime import UTC, date, timedelta
from decimal import Decimal

import httpx
import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from google.protobuf import json_format
from google.protobuf.internal.encoder import _VarintBytes
from google.rpc import status_pb2
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans
from opentelemetry.sdk.trace.export import SpanExportResult

from assessments.models import ModelPrice
from metrics import ingest, otlp
from metrics.models import ConnectedService, RequestEvent
from metrics.vocabulary import Metric
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

PROTOBUF = "application/x-protobuf"
DAY = (
    (timezone.now() - timedelta(days=2))
    .astimezone(UTC)
    .replace(hour=0, minute=0, second=0, microsecond=0)
)
NINE = DAY + timedelta(hours=9)


@pytest.fixture
def secret(people):
    _, value = ingest.token_create(
        project=people["project"], name="traces", created_by=people["lead"]
    )
    return value


@pytest.fixture
def prices(db):
    """The admin-kept prices the tests count on (USD per million tokens)."""
    for name, input_price, output_price in (
        ("gpt-4o-mini", "0.15", "0.60"),
        ("text-embedding-3-small", "0.02", "0"),
        ("claude-sonnet-4-20250514", "3.00", "15.00"),
    ):
        ModelPrice.objects.update_or_create(
            name=name,
            defaults={
                "provider": "Test",
                "input_per_mtok": Decimal(input_price),
                "output_per_mtok": Decimal(output_price),
                "context_window": 128_000,
                "latency_class": "fast",
                "tier": "small",
                "prices_as_of": date(2025, 7, 1),
            },
        )


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


# --- Through the SDK's own exporter, to a live server ------------------------------


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


# --- Protobuf made by the SDK, through the test client ------------------------------


def test_spans_that_are_no_model_call_are_counted_in_partial_success(client, secret):
    body = protobuf(
        recorded(
            lambda tracer: [
                other_span(tracer, NINE),
                other_span(tracer, NINE, name="SELECT claims"),
                model_call(tracer, NINE, operation="invoke_agent", model="gpt-4o"),
                model_call(tracer, NINE, gen_ai__usage__cost=0.002),
            ]
        )
    )
    response = post(client, body, secret)
    assert response.status_code == 200
    partial = answer(response).partial_success
    assert partial.rejected_spans == 3
    assert "3 spans ignored: not GenAI model calls" in partial.error_message
    assert RequestEvent.objects.count() == 1


def test_a_request_of_model_calls_only_answers_full_success(client, secret):
    body = protobuf(
        recorded(lambda tracer: model_call(tracer, NINE, gen_ai__usage__cost=0.002))
    )
    response = post(client, body, secret)
    assert response.status_code == 200
    assert not answer(response).HasField("partial_success")


def test_cost_comes_from_the_span_before_the_price_list(client, secret, prices):
    body = protobuf(
        recorded(
            lambda tracer: [
                model_call(tracer, NINE, gen_ai__usage__cost=0.5),
                model_call(
                    tracer, NINE, model="gpt-4o-mini", response_model="gpt-4o-mini"
                ),
                model_call(tracer, NINE, model="claude-sonnet-4", operation__cost=0.25),
            ]
        )
    )
    assert post(client, body, secret).status_code == 200
    costs = sorted(RequestEvent.objects.values_list("cost_usd", flat=True))
    assert costs == [Decimal("0.00027"), Decimal("0.25"), Decimal("0.5")]


def test_a_call_priced_by_neither_is_stored_at_zero_with_a_warning(client, secret):
    body = protobuf(recorded(lambda tracer: model_call(tracer, NINE, model="acme-7b")))
    response = post(client, body, secret)
    assert response.status_code == 200
    partial = answer(response).partial_success
    assert partial.rejected_spans == 0  # stored, only warned about
    assert "acme-7b" in partial.error_message
    assert "price list" in partial.error_message
    assert RequestEvent.objects.get().cost_usd == 0


def test_the_older_prompt_and_completion_token_names_are_read(client, secret):
    body = protobuf(
        recorded(
            lambda tracer: model_call(
                tracer,
                NINE,
                input_tokens=None,
                output_tokens=None,
                gen_ai__usage__prompt_tokens=70,
                gen_ai__usage__completion_tokens=30,
                gen_ai__usage__cost=0.0001,
            )
        )
    )
    assert post(client, body, secret).status_code == 200
    event = RequestEvent.objects.get()
    assert (event.input_tokens, event.output_tokens) == (70, 30)


def test_a_span_without_an_operation_name_but_a_model_is_a_model_call(client, secret):
    """Instrumentations older than gen_ai.operation.name still name the model."""
    body = protobuf(
        recorded(
            lambda tracer: model_call(
                tracer, NINE, gen_ai__operation__name=None, gen_ai__usage__cost=0.1
            )
        )
    )
    assert post(client, body, secret).status_code == 200
    assert RequestEvent.objects.get().model == "gpt-4o-mini"


def test_a_model_call_naming_no_model_is_ignored_and_said(client, secret):
    body = protobuf(
        recorded(lambda tracer: model_call(tracer, NINE, gen_ai__request__model=None))
    )
    response = post(client, body, secret)
    assert response.status_code == 200
    partial = answer(response).partial_success
    assert partial.rejected_spans == 1
    assert "1 span ignored: model calls naming no model" in partial.error_message
    assert not RequestEvent.objects.exists()


def test_a_request_without_spans_succeeds(client, secret):
    """As OTLP asks. (The test client sends no Content-Type with an empty body, so
    the empty request is sent as one empty resource.)"""
    empty = ExportTraceServiceRequest(resource_spans=[ResourceSpans()])
    response = post(client, empty.SerializeToString(), secret)
    assert response.status_code == 200
    assert not answer(response).HasField("partial_success")
    response = post(client, b"{}", secret, "application/json")
    assert (response.status_code, response.json()) == (200, {})


# --- OTLP/JSON ----------------------------------------------------------------------

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


def test_a_json_request_is_stored_and_answered_in_json(client, secret, prices):
    response = post(client, json.dumps(json_request()), secret, "application/json")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {}
    event = RequestEvent.objects.get()
    assert event.idempotency_key == f"otlp-{TRACE_ID.lower()}-{SPAN_ID.lower()}"
    assert (event.model, event.error, event.latency_ms) == (
        "claude-sonnet-4",
        True,
        1250.0,
    )
    assert (event.input_tokens, event.output_tokens) == (1500, 300)
    # Priced as the list's dated claude-sonnet-4-20250514: 1,500 × $3 + 300 × $15.
    assert event.cost_usd == Decimal("0.009")


def test_a_json_answer_reports_ignored_spans_in_camel_case(client, secret, prices):
    document = json_request()
    spans = document["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans.append({**spans[0], "spanId": "00F067AA0BA902B7", "attributes": []})
    response = post(client, json.dumps(document), secret, "application/json")
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"  # an int64, a string in JSON
    assert partial["errorMessage"].startswith("1 span ignored")
    assert RequestEvent.objects.count() == 1


def test_json_and_protobuf_of_one_span_are_one_event(client, secret, prices):
    """The same span id in either encoding is the same key: a JSON id is hex, not
    base64 as protobuf's own JSON mapping would have it."""
    response = post(client, json.dumps(json_request()), secret, "application/json")
    assert response.status_code == 200, response.content
    assert RequestEvent.objects.count() == 1
    spans = json_format.ParseDict(
        otlp_json_as_protobuf_json(json_request()),
        ExportTraceServiceRequest(),
    )
    response = post(client, spans.SerializeToString(), secret)
    assert response.status_code == 200
    assert RequestEvent.objects.count() == 1


def otlp_json_as_protobuf_json(document):
    import base64

    span = document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    for key in ("traceId", "spanId"):
        span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
    del span["parentSpanId"], span["someFutureField"]
    return document


def test_a_json_id_in_base64_is_refused_with_the_reason(client, secret):
    body = json.dumps(json_request(traceId="W47/95gDgQPSabYzgT/GDA=="))
    response = post(client, body, secret, "application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    message = response.json()["message"]
    assert "resourceSpans[0].scopeSpans[0].spans[0].traceId" in message
    assert "hex" in message
    assert nothing_written()


def test_json_refusals_are_a_status_in_json(client, secret):
    response = post(client, b"{not json", secret, "application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"code", "message"}
    assert "not JSON" in response.json()["message"]


# --- Refusals -------------------------------------------------------------------------


def one_call():
    return protobuf(
        recorded(lambda tracer: model_call(tracer, NINE, gen_ai__usage__cost=0.01))
    )


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


def test_an_unknown_content_encoding_is_415(client, secret):
    response = post(client, one_call(), secret, HTTP_CONTENT_ENCODING="br")
    assert response.status_code == 415
    assert "gzip" in refusal(response).message
    assert nothing_written()


def test_malformed_protobuf_is_400_and_writes_nothing(client, secret):
    body = one_call()
    response = post(client, body[: len(body) // 2], secret)
    assert response.status_code == 400
    status = refusal(response)
    assert status.code == 3  # INVALID_ARGUMENT
    assert "not a protobuf-encoded ExportTraceServiceRequest" in status.message
    assert nothing_written()


def test_a_body_that_is_not_the_gzip_it_says_is_400(client, secret):
    response = post(client, one_call(), secret, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400
    assert "not valid gzip" in refusal(response).message


def test_gzip_and_deflate_bodies_are_inflated(client, secret):
    assert (
        post(
            client, gzip.compress(one_call()), secret, HTTP_CONTENT_ENCODING="gzip"
        ).status_code
        == 200
    )
    other = protobuf(
        recorded(lambda tracer: model_call(tracer, NINE, gen_ai__usage__cost=0.01))
    )
    assert (
        post(
            client, zlib.compress(other), secret, HTTP_CONTENT_ENCODING="deflate"
        ).status_code
        == 200
    )
    assert RequestEvent.objects.count() == 2


def field(number, payload):
    """A length-delimited protobuf field."""
    return _VarintBytes(number << 3 | 2) + _VarintBytes(len(payload)) + payload


def empty_spans(count):
    """An ExportTraceServiceRequest of ``count`` empty spans, two bytes each."""
    return field(1, field(2, b"\x12\x00" * count))


def test_a_small_gzip_bomb_is_413_at_once_and_writes_nothing(client, secret):
    bomb = gzip.compress(empty_spans(10_000_000))  # 19 kB for 10 million spans
    assert len(bomb) < 25_000
    started = time.perf_counter()
    response = post(client, bomb, secret, HTTP_CONTENT_ENCODING="gzip")
    assert time.perf_counter() - started < 2
    assert response.status_code == 413
    assert "inflates more than 100 times" in refusal(response).message
    assert nothing_written()


def test_an_inflated_body_is_capped_even_at_an_ordinary_ratio(client, secret):
    body = os.urandom(6 * 1024 * 1024).hex().encode()  # 12 MiB, compressed 2×
    response = post(client, gzip.compress(body), secret, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413
    assert "inflates to more than 8,388,608 bytes" in refusal(response).message


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (empty_spans(2_000_000), "at most 1,000 spans; this one has more"),
        (field(1, b"\x0a\x00" * 1_000_000), "more than 200,000 parts"),
        (field(1, field(2, field(2, b"\x4a\x00" * 1_000_000))), "200,000 parts"),
    ],
    ids=["empty spans", "empty resources", "empty attributes"],
)
def test_protobuf_is_counted_before_it_is_decoded(client, secret, body, why):
    """A few megabytes of protobuf can stand for millions of empty messages, each a
    hundred bytes or more decoded: counted on the wire, refused before that."""
    started = time.perf_counter()
    response = post(client, body, secret)
    assert time.perf_counter() - started < 2
    assert response.status_code == 413
    assert why in refusal(response).message
    assert nothing_written()


def test_a_body_over_the_limit_as_sent_is_413(client, secret):
    response = post(client, b"\x00" * (8 * 1024 * 1024 + 1), secret)
    assert response.status_code == 413
    assert "larger than 8,388,608 bytes" in refusal(response).message


def test_more_than_eight_gzip_members_is_400(client, secret):
    body = one_call()
    members = b"".join(gzip.compress(body[n::9]) for n in range(9))
    response = post(client, members, secret, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400
    assert "more than 8 members" in refusal(response).message
    assert nothing_written()


def test_a_span_too_old_is_rejected_with_its_place_and_the_rest_stored(client, secret):
    long_ago = timezone.now() - timedelta(days=401)
    body = protobuf(
        recorded(
            lambda tracer: [
                model_call(tracer, NINE, gen_ai__usage__cost=0.01),
                model_call(tracer, long_ago, model="gpt-4.1", gen_ai__usage__cost=0.01),
            ]
        )
    )
    response = post(client, body, secret)
    assert response.status_code == 200  # a 400 would not be retried: all lost
    partial = answer(response).partial_success
    assert partial.rejected_spans == 1
    message = partial.error_message
    assert message.startswith("1 span rejected as invalid model calls, not stored:")
    assert "resource 0, scope 0, span 1 (“chat gpt-4.1”" in message
    assert "more than 400 days ago" in message
    assert RequestEvent.objects.get().model == "gpt-4o-mini"  # the valid one


def test_a_span_in_the_future_is_rejected(client, secret):
    later = timezone.now() + timedelta(hours=1)
    body = protobuf(recorded(lambda tracer: model_call(tracer, later)))
    response = post(client, body, secret)
    assert response.status_code == 200
    partial = answer(response).partial_success
    assert partial.rejected_spans == 1
    assert "in the future" in partial.error_message
    assert nothing_written()


@pytest.mark.parametrize(
    ("span", "why"),
    [
        ({"endTimeUnixNano": "1"}, "ends (endTimeUnixNano) before it starts"),
        ({"endTimeUnixNano": None}, "must both be set"),
        ({"lasts": timedelta(hours=24, seconds=1)}, "lasts more than 24 hours"),
        ({"traceId": "0" * 32}, "traceId must be 16 bytes, not all zero"),
        ({"traceId": None}, "traceId must be 16 bytes, not all zero"),
        ({"spanId": "0" * 16}, "spanId must be 8 bytes, not all zero"),
        ({"spanId": ""}, "spanId must be 8 bytes, not all zero"),
        ({"spanId": "ab"}, "spanId must be 8 bytes, not all zero"),
    ],
    ids=[
        "ends before it starts",
        "no end",
        "over 24 hours",
        "zero trace id",
        "no trace id",
        "zero span id",
        "blank span id",
        "short span id",
    ],
)
def test_an_invalid_span_is_rejected_and_its_neighbour_stored(
    client, secret, span, why
):
    document = json_request()
    spans = document["resourceSpans"][0]["scopeSpans"][0]["spans"]
    bad = {**spans[0], "spanId": "00F067AA0BA902B7", **span}
    if "lasts" in bad:
        start = int(bad["startTimeUnixNano"])
        bad["endTimeUnixNano"] = str(
            start + bad.pop("lasts") // timedelta(microseconds=1) * 1000
        )
    spans.append({key: value for key, value in bad.items() if value is not None})
    response = post(client, json.dumps(document), secret, "application/json")
    assert response.status_code == 200, response.content
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert (
        "resource 0, scope 0, span 1 (“chat claude-sonnet-4”" in partial["errorMessage"]
    )
    assert why in partial["errorMessage"]
    assert RequestEvent.objects.get().idempotency_key.endswith(SPAN_ID.lower())


def test_only_the_first_three_invalid_spans_are_named(client, secret):
    document = json_request()
    spans = document["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[:] = [
        {**spans[0], "spanId": f"{n + 1:016x}", "endTimeUnixNano": "1"}
        for n in range(5)
    ]
    response = post(client, json.dumps(document), secret, "application/json")
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "5"
    message = partial["errorMessage"]
    assert message.count("before it starts") == 3
    assert "span 2 (" in message and "span 3 (" not in message
    assert message.endswith("; and 2 more.")
    assert nothing_written()


def test_the_same_span_twice_in_one_request_counts_once(client, secret, prices):
    document = json_request()
    spans = document["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans.append(dict(spans[0]))
    response = post(client, json.dumps(document), secret, "application/json")
    assert (response.status_code, response.json()) == (200, {})
    assert RequestEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("gen_ai.usage.input_tokens", "1000"),
        ("gen_ai.usage.input_tokens", -1),
        ("gen_ai.usage.output_tokens", 2.5),
        ("gen_ai.usage.cost", -0.01),
        ("gen_ai.usage.cost", "cheap"),
        ("gen_ai.request.model", "m" * 121),
        ("gen_ai.response.model", "gpt\x00"),
    ],
)
def test_an_invalid_attribute_of_a_model_call_is_named(
    client, secret, attribute, value
):
    body = protobuf(
        recorded(
            lambda tracer: [
                model_call(tracer, NINE, **{attribute.replace(".", "__"): value}),
                model_call(tracer, NINE, model="gpt-4.1", gen_ai__usage__cost=0.01),
            ]
        )
    )
    response = post(client, body, secret)
    assert response.status_code == 200
    partial = answer(response).partial_success
    assert partial.rejected_spans == 1
    assert "resource 0, scope 0, span 0 (“chat gpt-4o-mini”" in partial.error_message
    assert attribute in partial.error_message
    assert RequestEvent.objects.get().model == "gpt-4.1"


def test_a_span_whose_operation_name_is_no_string_is_ignored(client, secret):
    body = protobuf(
        recorded(
            lambda tracer: model_call(
                tracer, NINE, gen_ai__operation__name=7, gen_ai__usage__cost=0.01
            )
        )
    )
    response = post(client, body, secret)
    assert response.status_code == 200
    partial = answer(response).partial_success
    assert partial.rejected_spans == 1
    assert "1 span ignored: not GenAI model calls" in partial.error_message
    assert nothing_written()


def test_more_than_a_thousand_spans_are_refused_whole(client, secret):
    spans = recorded(
        lambda tracer: [
            model_call(tracer, NINE + timedelta(seconds=n), gen_ai__usage__cost=0.001)
            for n in range(1001)
        ]
    )
    response = post(client, protobuf(spans), secret)
    assert response.status_code == 413
    assert "at most 1,000 spans; this one has more" in refusal(response).message
    assert nothing_written()
    assert post(client, protobuf(spans[:1000]), secret).status_code == 200
    assert RequestEvent.objects.count() == 1000


def test_a_json_request_of_more_than_a_thousand_spans_is_refused_whole(client, secret):
    document = json_request()
    spans = document["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[:] = [{**spans[0], "spanId": f"{n + 1:016x}"} for n in range(1001)]
    response = post(client, json.dumps(document), secret, "application/json")
    assert response.status_code == 413
    assert "at most 1,000 spans; this one has 1,001" in response.json()["message"]
    assert nothing_written()


def test_json_of_too_many_objects_is_refused_while_it_is_read(client, secret):
    body = b'{"resourceSpans": [' + b"{}," * 200_000 + b"{}]}"
    response = post(client, body, secret, "application/json")
    assert response.status_code == 413
    assert "more than 200,000 parts" in response.json()["message"]


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


# --- The decoding, without HTTP ------------------------------------------------------


def test_an_undated_price_owns_its_family_and_the_asked_model_is_tried_first(
    client, secret, prices
):
    for name, input_price, output_price in (
        ("gpt-4o", "2.50", "10"),
        ("gpt-4o-2024-05-13", "5", "15"),  # after gpt-4o by name
    ):
        ModelPrice.objects.update_or_create(
            name=name,
            defaults={
                "provider": "Test",
                "input_per_mtok": Decimal(input_price),
                "output_per_mtok": Decimal(output_price),
                "context_window": 128_000,
                "latency_class": "fast",
                "tier": "small",
                "prices_as_of": date(2025, 7, 1),
            },
        )
    body = protobuf(
        recorded(
            lambda tracer: model_call(
                tracer,
                NINE,
                model="gpt-4o",
                response_model="gpt-4o-2024-08-06",
                input_tokens=1_000_000,
                output_tokens=1_000_000,
            )
        )
    )
    assert post(client, body, secret).status_code == 200
    assert RequestEvent.objects.get().cost_usd == Decimal("12.50")  # $2.50 + $10


def test_a_family_listed_only_in_snapshots_takes_the_latest_date():
    prices = otlp.PriceList(
        [
            ("claude-x-20250101", Decimal("3"), Decimal("15")),
            ("claude-x-2024-06-01", Decimal("9"), Decimal("9")),
            ("gpt-4o-2024-05-13", Decimal("5"), Decimal("15")),
            ("gpt-4o", Decimal("2.50"), Decimal("10")),
            ("gpt-4o-2024-11-20", Decimal("2.50"), Decimal("10")),
        ]
    )
    assert prices.price("claude-x").input_per_mtok == Decimal("3")
    assert prices.price("claude-x-2024-06-01").input_per_mtok == Decimal("9")  # exact
    assert prices.price("gpt-4o-2024-08-06").input_per_mtok == Decimal("2.50")
    # Exact names first, the answering model's then the asked one's; then families.
    assert prices.price("gpt-4o-2024-08-06", "gpt-4o-2024-05-13").input_per_mtok == 5
    assert prices.price("gpt-4o-2099-01-01", "claude-x").input_per_mtok == Decimal(
        "2.50"
    )
    assert prices.price("acme", "") is None


def test_the_price_list_matches_dated_snapshots_either_way():
    prices = otlp.PriceList(
        [
            ("gpt-4o-mini", Decimal("0.15"), Decimal("0.60")),
            ("gpt-4o", Decimal("2.50"), Decimal("10")),
            ("claude-sonnet-4-20250514", Decimal("3"), Decimal("15")),
            ("mistral-small-latest", Decimal("0.1"), Decimal("0.3")),
        ]
    )
    assert prices.price("GPT-4o-mini").input_per_mtok == Decimal("0.15")
    assert prices.price("gpt-4o-mini-2024-07-18").input_per_mtok == Decimal("0.15")
    assert prices.price("gpt-4o-2024-08-06").input_per_mtok == Decimal("2.50")
    assert prices.price("claude-sonnet-4").input_per_mtok == Decimal("3")
    assert prices.price("claude-sonnet-4@20250514").input_per_mtok == Decimal("3")
    assert prices.price("mistral-small").input_per_mtok == Decimal("0.1")
    assert prices.price("gpt-4o-mini-tts") is None
    assert prices.price("gpt-4") is None


def test_inflating_stops_at_the_limit():
    with pytest.raises(otlp.TooLarge):
        otlp.inflated(gzip.compress(b"x" * 1001), "gzip", limit=1000)
    assert otlp.inflated(gzip.compress(b"x" * 1000), "GZIP", limit=1000) == b"x" * 1000
    two_members = gzip.compress(b"ab") + gzip.compress(b"cd")
    assert otlp.inflated(two_members, "gzip", limit=1000) == b"abcd"
    with pytest.raises(otlp.BadTraces, match="cut short"):
        otlp.inflated(gzip.compress(b"x" * 100)[:-12], "gzip", limit=1000)
    with pytest.raises(otlp.UnsupportedEncoding):
        otlp.inflated(b"", "zstd", limit=1000)
    with pytest.raises(otlp.TooLarge):
        otlp.inflated(b"x" * 1001, "", limit=1000)  # the limit holds uncompressed too


def test_gzip_members_are_capped():
    eight = b"".join(gzip.compress(bytes([n])) for n in range(8))
    assert otlp.inflated(eight, "gzip", limit=1000) == bytes(range(8))
    with pytest.raises(otlp.BadTraces, match="more than 8 members"):
        otlp.inflated(eight + gzip.compress(b"9"), "gzip", limit=1000)


def test_inflating_past_a_hundredfold_is_refused_past_the_floor():
    below_floor = gzip.compress(b"\x00" * otlp.INFLATION_FLOOR)
    assert len(otlp.inflated(below_floor, "gzip", limit=10**8)) == otlp.INFLATION_FLOOR
    with pytest.raises(otlp.TooLarge, match="more than 100 times"):
        otlp.inflated(
            gzip.compress(b"\x00" * (otlp.INFLATION_FLOOR + 1)), "gzip", limit=10**8
        )
    ordinary = os.urandom(otlp.INFLATION_FLOOR).hex().encode()  # about 2×
    assert otlp.inflated(gzip.compress(ordinary), "gzip", limit=10**8) == ordinary


@pytest.mark.parametrize(
    ("span", "why"),
    [
        ({"traceId": "5b8efff798038103d269b633813fc6 c"}, "is not hex"),
        ({"spanId": " eee19b7ec3c1b174"}, "is not hex"),
        ({"trace_id": TRACE_ID}, "has both traceId and trace_id: send one"),
    ],
)
def test_json_ids_must_be_plain_hex_and_spelt_once(client, secret, span, why):
    body = json.dumps(json_request(**span))
    response = post(client, body, secret, "application/json")
    assert response.status_code == 400
    assert why in response.json()["message"]
    assert nothing_written()
