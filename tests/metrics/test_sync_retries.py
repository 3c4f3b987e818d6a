"""A sync run records the retries its requests needed (how many, the last status retried,
the time spent waiting) and the Metrics tab shows them with the run, so a run that got
through a rate limit does not look merely slow.

The retries are the Http helper's own (stamina's); HTTP is replaced only at the transport
under the client the sync makes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest
import stamina
from django.urls import reverse

from metrics import services
from metrics.connectors.base import ATTEMPTS
from metrics.models import SyncRun

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
EMPTY = {"status": "success", "data": {"resultType": "matrix", "result": []}}
Answer = Callable[[httpx.Request], httpx.Response]
# Half past: the sync reads the completed hours, then the hour in progress.
NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


@pytest.fixture
def no_waiting() -> Iterator[None]:
    # Production's number of attempts, without the back-off between them.
    with stamina.set_testing(True, attempts=ATTEMPTS):
        yield


@pytest.fixture
def provider(monkeypatch):
    """Answers each request with the next of the given answers (the last one repeats)."""
    seen: list[httpx.Request] = []
    queue: list[Answer] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return httpx.MockTransport(answer).handle_request(request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle_request)

    def answer_with(*answers: Answer) -> list[httpx.Request]:
        queue[:] = answers
        return seen

    return answer_with


def status(code: int, **kwargs) -> Answer:
    return lambda request: httpx.Response(code, **kwargs)


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=EMPTY)


def no_answer(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.fixture
def prometheus(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # no sync at creation
        return services.service_create(
            project=people["project"],
            kind="prometheus",
            name="Claims Prometheus",
            created_by=people["lead"],
            base_url="http://prometheus.internal:9090",
            config={"queries": {"requests": "sum(increase(http_requests_total[1h]))"}},
        )


def status_cell(client, people, service) -> str:
    client.force_login(people["viewer"])
    return client.get(
        reverse(
            "metrics:status", kwargs={"slug": people["project"].slug, "pk": service.pk}
        ),
        **HTMX,
    ).content.decode()


def metrics_tab(client, people) -> str:
    client.force_login(people["viewer"])
    return client.get(
        reverse("metrics:project", kwargs={"slug": people["project"].slug})
    ).content.decode()


def test_a_sync_that_got_through_two_429s_records_and_shows_them(
    no_waiting, provider, prometheus, people, client
):
    seen = provider(status(429, headers={"Retry-After": "0"}), status(429), ok)

    run = services.service_sync(service=prometheus)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert (run.retry_count, run.retry_last_status) == (2, 429)
    assert run.retry_wait_seconds < 1  # testing mode: no back-off
    assert len(seen) >= 3
    # The wait is measured, so it is whatever the machine took between the attempts.
    line = re.compile(r"Succeeded after 2 retries \(last: 429\), waited \d+(\.\d)? s")
    assert line.search(status_cell(client, people, prometheus))
    assert line.search(metrics_tab(client, people))


def test_a_failed_run_records_the_retries_it_made(
    no_waiting, provider, prometheus, people, client
):
    provider(status(503))

    run = services.service_sync(service=prometheus)

    assert run.status == SyncRun.Status.FAILED
    assert (run.retry_count, run.retry_last_status) == (ATTEMPTS - 1, 503)
    assert f"Failed after {ATTEMPTS - 1} retries (last: 503)" in status_cell(
        client, people, prometheus
    )


def test_retries_of_every_request_of_a_run_add_up_and_the_last_one_is_named(
    no_waiting, provider, prometheus, people, client
):
    # The range query is retried once after a 429; the query for the hour in progress
    # once after the network failed.
    provider(status(429), ok, no_answer, ok)

    run = services.service_sync(service=prometheus, now=NOW)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert (run.retry_count, run.retry_last_status) == (2, None)
    assert "Succeeded after 2 retries (last: no answer)" in status_cell(
        client, people, prometheus
    )


def test_the_time_waited_is_what_retry_after_asked_for(provider, prometheus):
    provider(status(429, headers={"Retry-After": "0.3"}), ok)

    run = services.service_sync(service=prometheus)

    assert (run.retry_count, run.retry_last_status) == (1, 429)
    assert 0.3 <= run.retry_wait_seconds < 2


def test_a_run_without_retries_says_nothing_about_them(
    no_waiting, provider, prometheus, people, client
):
    provider(ok)

    run = services.service_sync(service=prometheus)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert (run.retry_count, run.retry_last_status, run.retry_wait_seconds) == (
        0,
        None,
        0,
    )
    assert "retr" not in status_cell(client, people, prometheus)
