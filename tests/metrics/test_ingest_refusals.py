"""Everything the push API refuses, and how: a malformed batch is refused whole,
naming the item; a missing, unknown or revoked token, too many requests and an
archived project are refused too; whatever arrives, nothing is half-written."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import api as api_module
from metrics import ingest
from metrics.models import (
    ConnectedService,
    IngestToken,
    MetricSample,
    RequestEvent,
)
from tests.metrics.test_ingest_api import (
    DAY,
    URL,
    event,
    nothing_written,
    push,
    sample,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(people):
    _, value = ingest.token_create(
        project=people["project"], name="production", created_by=people["lead"]
    )
    return value


FAR_FUTURE = (timezone.now() + timedelta(hours=1)).isoformat()
LONG_AGO = (timezone.now() - timedelta(days=401)).isoformat()


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (
            {"events": [event(1), event(2, latency_ms="fast")]},
            ["events", 1, "latency_ms"],
        ),
        ({"events": [event(1), event(2, model="gpt\x00")]}, ["events", 1, "model"]),
        (
            {"events": [event(1), event(2, idempotency_key="k-\ud800")]},
            ["events", 1, "idempotency_key"],
        ),
        (
            {"events": [event(1, quality_score_name="tone\x00", quality_score=0.5)]},
            ["events", 0, "quality_score_name"],
        ),
        (
            {"events": [event(1), event(2, quality_score=0.5)]},
            ["events", 1, "quality_score"],
        ),
        (
            {"events": [event(1, quality_score_name="helpfulness")]},
            ["events", 0, "quality_score"],
        ),
        ({"samples": [sample(dimension="eu\x00")]}, ["samples", 0, "dimension"]),
        (
            {"events": [event(1), event(2, input_tokens=-5)]},
            ["events", 1, "input_tokens"],
        ),
        ({"events": [event(1, output_tokens=1.5)]}, ["events", 0, "output_tokens"]),
        ({"events": [event(1, error="no")]}, ["events", 0, "error"]),
        ({"events": [event(1, timestamp=FAR_FUTURE)]}, ["events", 0, "timestamp"]),
        ({"events": [event(1, timestamp=LONG_AGO)]}, ["events", 0, "timestamp"]),
        (
            {"events": [event(1, timestamp="2026-01-01T00:00:00")]},
            ["events", 0, "timestamp"],
        ),
        ({"events": [event(1, feedback=2)]}, ["events", 0, "feedback"]),
        ({"events": [event(1, quality_score=0.5)]}, ["events", 0, "quality_score"]),
        (
            {"events": [event(1, quality_score_name="helpfulness", quality_score=1.5)]},
            ["events", 0, "quality_score"],
        ),
        ({"events": [event(1, model="x" * 121)]}, ["events", 0, "model"]),
        (
            {"events": [{k: v for k, v in event(1).items() if k != "idempotency_key"}]},
            ["events", 0, "idempotency_key"],
        ),
        ({"events": [event(1, colour="blue")]}, ["events", 0, "colour"]),
        (
            {"events": [event(1)], "samples": [sample(), sample(metric="vibes")]},
            ["samples", 1, "metric"],
        ),
        (
            {"samples": [sample(bucket_start=(DAY + timedelta(hours=3)).isoformat())]},
            ["samples", 0, "bucket_start"],
        ),
        (
            {
                "samples": [
                    sample(
                        bucket="hour",
                        bucket_start=(DAY + timedelta(minutes=30)).isoformat(),
                    )
                ]
            },
            ["samples", 0, "bucket_start"],
        ),
        ({"samples": [sample(bucket="week")]}, ["samples", 0, "bucket"]),
        ({"samples": [sample(value=-1)]}, ["samples", 0, "value"]),
        (
            {"samples": [sample(metric="quality_score", value=3)]},
            ["samples", 0, "value"],
        ),
        ({"samples": [sample(dimension=7)]}, ["samples", 0, "dimension"]),
    ],
    ids=lambda v: "-".join(map(str, v)) if isinstance(v, list) else None,
)
def test_a_batch_with_one_bad_item_is_refused_whole_naming_the_item(
    client, secret, body, where
):
    response = push(client, body, secret)
    assert response.status_code == 422, response.content
    locations = [error["loc"] for error in response.json()["detail"]]
    assert ["body", "payload", *where] in locations
    assert nothing_written()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gpt\x00", "Value error, must not contain NUL characters"),
        (
            "gpt-\udc00",  # a lone surrogate: refused by pydantic itself
            "Input should be a valid string, unable to parse raw data as a unicode string",
        ),
    ],
)
def test_text_postgresql_cannot_hold_is_refused_with_the_reason(
    client, secret, text, message
):
    body = {"events": [event(1), event(2), event(3, model=text)]}
    response = push(client, body, secret)
    assert response.status_code == 422
    assert [(e["loc"], e["msg"]) for e in response.json()["detail"]] == [
        (["body", "payload", "events", 2, "model"], message)
    ]
    assert nothing_written()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize(
    ("template", "where"),
    [
        ('{"events": [EVENT]}', ["events", 0, "latency_ms"]),
        ('{"samples": [SAMPLE]}', ["samples", 0, "value"]),
    ],
)
def test_nan_and_infinity_are_refused(client, secret, literal, template, where):
    field = where[-1]
    item = json.dumps(event(1) if "EVENT" in template else sample())
    item = item.replace(
        f'"{field}": {json.dumps((event(1) if "EVENT" in template else sample())[field])}',
        f'"{field}": {literal}',
    )
    assert literal in item
    raw = template.replace("EVENT", item).replace("SAMPLE", item)
    response = push(client, None, secret, raw=raw)
    assert response.status_code == 422, response.content
    assert ["body", "payload", *where] in [e["loc"] for e in response.json()["detail"]]
    assert nothing_written()


def test_a_batch_over_a_thousand_items_is_refused(client, secret):
    body = {
        "events": [event(i) for i in range(600)],
        "samples": [sample() for _ in range(401)],
    }
    response = push(client, body, secret)
    assert response.status_code == 422
    assert "at most 1,000" in json.dumps(response.json())
    assert "1,001" in json.dumps(response.json())
    assert nothing_written()


def test_a_body_that_is_not_json_is_a_400(client, secret):
    response = push(client, None, secret, raw="{not json")
    assert response.status_code == 400
    assert nothing_written()


def test_a_body_that_is_not_json_is_refused_with_415_and_writes_nothing(client, secret):
    for content_type, data in (
        ("text/plain", json.dumps({"events": [event(1)]})),
        ("application/x-www-form-urlencoded", "events=1"),
    ):
        response = client.post(
            URL,
            data=data,
            content_type=content_type,
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )
        assert response.status_code == 415
        assert "application/json" in response.json()["detail"]
    assert not RequestEvent.objects.exists()


@pytest.mark.parametrize("field", ["model", "idempotency_key", "quality_score_name"])
def test_a_blank_name_or_key_is_refused_naming_the_field(client, secret, field):
    response = push(client, {"events": [event(1, **{field: "   "})]}, secret)
    assert response.status_code == 422
    assert ["body", "payload", "events", 0, field] in [
        e["loc"] for e in response.json()["detail"]
    ]
    assert not RequestEvent.objects.exists()


@pytest.mark.parametrize(
    "header",
    [None, "Bearer ", "Bearer rwy_not-a-token", "Basic dXNlcjpwYXNz", "rwy_x"],
)
def test_requests_without_a_valid_token_get_401(client, secret, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.post(
        URL,
        data=json.dumps({"events": [event(1)]}),
        content_type="application/json",
        **extra,
    )
    assert response.status_code == 401
    assert nothing_written()


def test_a_revoked_token_gets_401(client, secret):
    token = IngestToken.objects.get()
    ingest.token_revoke(token=token)
    assert push(client, {"events": [event(1)]}, secret).status_code == 401
    assert nothing_written()


def test_too_many_requests_from_one_token_get_429(client, secret, monkeypatch):
    monkeypatch.setattr(api_module.throttle, "num_requests", 2)
    assert push(client, {}, secret).status_code == 202
    assert push(client, {}, secret).status_code == 202
    response = push(client, {}, secret)
    assert response.status_code == 429
    assert "Retry-After" in response.headers


def test_a_token_of_an_archived_project_is_refused_with_a_clear_message(
    client, people, secret
):
    from django.utils import timezone

    project = people["project"]
    project.archived_at = timezone.now()
    project.save()
    response = push(client, {"events": [event(1)]}, secret)
    assert response.status_code == 403
    assert "archived" in response.json()["detail"]
    assert not RequestEvent.objects.exists()


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = list(event(0)) + ["quality_score_name", "quality_score", "feedback"]
SAMPLE_FIELDS = [*sample(), "dimension"]


@st.composite
def mutated_batches(draw):
    body = {
        "events": [event(i) for i in range(draw(st.integers(0, 3)))],
        "samples": [sample() for _ in range(draw(st.integers(0, 2)))],
    }
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["events", "samples", "top"]))
        if kind == "top":
            body[draw(st.sampled_from(["events", "samples", "extra"]))] = draw(
                json_values
            )
            continue
        items = body[kind] if isinstance(body.get(kind), list) else None
        if not items:
            continue
        item = items[draw(st.integers(0, len(items) - 1))]
        if not isinstance(item, dict):
            continue
        field = draw(st.sampled_from(FIELDS if kind == "events" else SAMPLE_FIELDS))
        if draw(st.booleans()):
            item.pop(field, None)
        else:
            item[field] = draw(json_values)
    return body


def _written():
    return (
        RequestEvent.objects.count(),
        MetricSample.objects.count(),
        ConnectedService.objects.count(),
    )


def _check(client, secret, body):
    before = _written()
    response = push(client, None, secret, raw=json.dumps(body))
    assert response.status_code in {202, 400, 413, 422}, (
        response.status_code,
        response.content[:500],
    )
    if response.status_code != 202:
        assert _written() == before
        assert "detail" in response.json()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=json_values)
def test_arbitrary_json_never_breaks_the_api(client, secret, monkeypatch, body):
    monkeypatch.setattr(api_module.throttle, "num_requests", 10_000)
    _check(client, secret, body)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=mutated_batches())
def test_mutated_batches_are_accepted_or_refused_whole(
    client, secret, monkeypatch, body
):
    monkeypatch.setattr(api_module.throttle, "num_requests", 10_000)
    _check(client, secret, copy.deepcopy(body))
