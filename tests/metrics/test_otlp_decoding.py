"""OpenTelemetry traces in (OTLP/HTTP), from the bytes of a request to the spans in
it (``metrics.otlp_decode``): both encodings, OTLP/JSON with its hex ids as the
specification writes it; gzip and deflate undone; and a body refused whole (400 or
413, nothing written) when it cannot be decoded or stands for too much: zip bombs,
too many spans, too many parts counted before a message is built."""

from __future__ import annotations

import gzip
import json
import os
import time
import zlib
from datetime import timedelta
from decimal import Decimal

import pytest
from google.protobuf import json_format
from google.protobuf.internal.encoder import _VarintBytes
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans

from metrics import otlp_decode
from metrics.models import RequestEvent
from tests.metrics.otlp_requests import (
    NINE,
    SPAN_ID,
    TRACE_ID,
    answer,
    json_request,
    one_call,
    post,
    refusal,
)
from tests.metrics.otlp_spans import model_call, protobuf, recorded
from tests.metrics.test_ingest_api import nothing_written

pytestmark = pytest.mark.django_db


# --- OTLP/JSON --------------------------------------------------------------------


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


# --- Bodies that cannot be decoded ------------------------------------------------


def test_a_request_without_spans_succeeds(client, secret):
    """As OTLP asks. (The test client sends no Content-Type with an empty body, so
    the empty request is sent as one empty resource.)"""
    empty = ExportTraceServiceRequest(resource_spans=[ResourceSpans()])
    response = post(client, empty.SerializeToString(), secret)
    assert response.status_code == 200
    assert not answer(response).HasField("partial_success")
    response = post(client, b"{}", secret, "application/json")
    assert (response.status_code, response.json()) == (200, {})


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


# --- Bodies too large to decode ---------------------------------------------------


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


# --- Inflating, without HTTP ------------------------------------------------------


def test_inflating_stops_at_the_limit():
    with pytest.raises(otlp_decode.TooLarge):
        otlp_decode.inflated(gzip.compress(b"x" * 1001), "gzip", limit=1000)
    assert (
        otlp_decode.inflated(gzip.compress(b"x" * 1000), "GZIP", limit=1000)
        == b"x" * 1000
    )
    two_members = gzip.compress(b"ab") + gzip.compress(b"cd")
    assert otlp_decode.inflated(two_members, "gzip", limit=1000) == b"abcd"
    with pytest.raises(otlp_decode.BadTraces, match="cut short"):
        otlp_decode.inflated(gzip.compress(b"x" * 100)[:-12], "gzip", limit=1000)
    with pytest.raises(otlp_decode.UnsupportedEncoding):
        otlp_decode.inflated(b"", "zstd", limit=1000)
    with pytest.raises(otlp_decode.TooLarge):
        otlp_decode.inflated(
            b"x" * 1001, "", limit=1000
        )  # the limit holds uncompressed too


def test_gzip_members_are_capped():
    eight = b"".join(gzip.compress(bytes([n])) for n in range(8))
    assert otlp_decode.inflated(eight, "gzip", limit=1000) == bytes(range(8))
    with pytest.raises(otlp_decode.BadTraces, match="more than 8 members"):
        otlp_decode.inflated(eight + gzip.compress(b"9"), "gzip", limit=1000)


def test_inflating_past_a_hundredfold_is_refused_past_the_floor():
    below_floor = gzip.compress(b"\x00" * otlp_decode.INFLATION_FLOOR)
    assert (
        len(otlp_decode.inflated(below_floor, "gzip", limit=10**8))
        == otlp_decode.INFLATION_FLOOR
    )
    with pytest.raises(otlp_decode.TooLarge, match="more than 100 times"):
        otlp_decode.inflated(
            gzip.compress(b"\x00" * (otlp_decode.INFLATION_FLOOR + 1)),
            "gzip",
            limit=10**8,
        )
    ordinary = os.urandom(otlp_decode.INFLATION_FLOOR).hex().encode()  # about 2×
    assert (
        otlp_decode.inflated(gzip.compress(ordinary), "gzip", limit=10**8) == ordinary
    )
