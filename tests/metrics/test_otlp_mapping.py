"""OpenTelemetry traces in (OTLP/HTTP), from spans to events (``metrics.otlp``):
which spans are model calls, what each event is read from, how a call without a cost
of its own is priced from the price list, and which model calls are rejected as
invalid (named with their place and reason) while the request's others are stored."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from metrics import otlp
from metrics.models import RequestEvent
from tests.metrics.otlp_requests import (
    NINE,
    SPAN_ID,
    answer,
    json_request,
    post,
    price,
)
from tests.metrics.otlp_spans import model_call, other_span, protobuf, recorded
from tests.metrics.test_ingest_api import nothing_written

pytestmark = pytest.mark.django_db


# --- Protobuf made by the SDK, through the test client ----------------------------


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


# --- Invalid model calls ----------------------------------------------------------


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


# --- The price list ---------------------------------------------------------------


def test_an_undated_price_owns_its_family_and_the_asked_model_is_tried_first(
    client, secret, prices
):
    for name, input_price, output_price in (
        ("gpt-4o", "2.50", "10"),
        ("gpt-4o-2024-05-13", "5", "15"),  # after gpt-4o by name
    ):
        price(name, input_price, output_price)
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
