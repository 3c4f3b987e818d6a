"""Helpers for reading /metrics as Prometheus would, and a Redis database of our own
standing in for the broker."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import require

TOKEN = "t" * 40
URL = "/metrics"
# Redis database 10 is this suite's own: the tests fill and flush it.
BROKER_DB = 10


@pytest.fixture
def token(settings):
    settings.RUNWAY_METRICS_TOKEN = TOKEN
    settings.RUNWAY_METRICS_ALLOWED_IPS = []
    return TOKEN


def parse(body: bytes) -> dict[tuple[str, frozenset], float]:
    """{(sample name, frozenset of label pairs): value} of an exposition."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


@pytest.fixture
def scrape(client, token):
    """``scrape()``: GET /metrics with the token, parsed."""

    def read():
        response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200, response.content
        return parse(response.content)

    return read


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


@pytest.fixture
def broker(settings):
    """The broker setting pointed at a Redis database of our own, empty, as a client."""
    base = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    parts = urlsplit(base)
    require(
        parts.scheme == "redis",
        "a Redis server (set CELERY_BROKER_URL=redis://...) for queue lengths",
    )
    url = parts._replace(path=f"/{BROKER_DB}").geturl()
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError:
        require(False, f"Redis answering at {url}")
    settings.CELERY_BROKER_URL = url
    client.flushdb()
    yield client
    client.flushdb()
    client.close()
