"""Langfuse dataset runs read into evaluation runs, against recorded payloads in
Langfuse's published shapes (datasets v2, dataset runs, scores v3). HTTP is replaced
only at the transport under the client the sync makes, as in the metrics sync tests."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import stamina
from django_celery_beat.models import PeriodicTask

from evaluations import langfuse, tasks
from evaluations.models import DatasetSync, EvaluationRun, EvaluationScore
from evaluations.selectors import scores_of
from metrics.connectors.base import ATTEMPTS
from metrics.models import ConnectedService

pytestmark = pytest.mark.django_db

PAYLOADS = Path(__file__).resolve().parent / "payloads" / "langfuse"
HOST = "https://langfuse.example.com"
SECRET = "sk-lf-claims-secret-0001"
BASIC = "Basic " + base64.b64encode(f"pk-lf-claims:{SECRET}".encode()).decode()
PROJECT_ID = "cm1proj0claims00000000001"
GOLDEN = "cm3ds0golden0000000000001"
RUN_1, RUN_2, RUN_3 = (f"cm4run0golden00000000000{n}" for n in (1, 2, 3))
SMOKE_RUN = "cm4run0smoke0000000000001"
# The newest run (run 3) was created at 09:20 and its last item added at 09:58.
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
RUN_3_QUIET_ITEMS_BUSY = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
ALL_QUIET = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)


def load(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


def traces_of(run_file: str) -> frozenset[str]:
    return frozenset(item["traceId"] for item in load(run_file)["datasetRunItems"])


SCORE_PAGES = {
    (traces_of("run_golden_1.json"), None): "scores_golden_1_page1.json",
    (
        traces_of("run_golden_1.json"),
        load("scores_golden_1_page1.json")["meta"]["cursor"],
    ): "scores_golden_1_page2.json",
    (traces_of("run_golden_2.json"), None): "scores_golden_2.json",
    (traces_of("run_golden_3.json"), None): "scores_golden_3.json",
    (traces_of("run_smoke_1.json"), None): "scores_smoke_1.json",
}
LISTS = {
    "/api/public/v2/datasets": "datasets",
    "/api/public/datasets/support-golden/runs": "runs_golden",
    "/api/public/datasets/smoke/edge cases/runs": "runs_smoke",
    "/api/public/datasets/tone-checks/runs": "runs_tone",
}
RUNS = {
    f"/api/public/datasets/support-golden/runs/{quote(name)}": f"run_golden_{n}.json"
    for n, name in (
        (1, "gpt-4o-mini prompt v7"),
        (2, "claude-sonnet prompt v8"),
        (3, "gpt-4o-mini prompt v9"),
    )
} | {
    "/api/public/datasets/smoke%2Fedge%20cases/runs/nightly%202026-11-19": "run_smoke_1.json"
}


class FakeLangfuse:
    """Answers like Langfuse's public API from the recorded payloads; ``fail`` makes
    the requests it matches answer an error instead."""

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []
        self.failing: Callable[[httpx.Request], bool] = lambda request: False
        self.status = 500

    def fail(self, when: Callable[[httpx.Request], bool], status: int = 500) -> None:
        self.failing, self.status = when, status

    def heal(self) -> None:
        self.failing = lambda request: False

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.headers.get("authorization") != BASIC:
            return httpx.Response(401, json={"message": "Invalid credentials"})
        if self.failing(request):
            return httpx.Response(self.status, json={"message": "Internal error"})
        params = request.url.params
        if request.url.path == "/api/public/v3/scores":
            key = (frozenset(params["traceId"].split(",")), params.get("cursor"))
            return httpx.Response(200, json=load(SCORE_PAGES[key]))
        if request.url.path in LISTS:
            name = f"{LISTS[request.url.path]}_page{params['page']}.json"
            return httpx.Response(200, json=load(name))
        raw = request.url.raw_path.decode()
        if raw in RUNS:
            return httpx.Response(200, json=load(RUNS[raw]))
        return httpx.Response(404, json={"message": "Not found"})

    def paths(self) -> list[str]:
        return [request.url.path for request in self.seen]

    def score_requests(self) -> list[httpx.Request]:
        return [r for r in self.seen if r.url.path == "/api/public/v3/scores"]


@pytest.fixture(autouse=True)
def _stamina_testing() -> Iterator[None]:
    # The production number of attempts, without the waits between them.
    with stamina.set_testing(True, attempts=ATTEMPTS):
        yield


@pytest.fixture
def langfuse_api(monkeypatch) -> FakeLangfuse:
    fake = FakeLangfuse()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.MockTransport(fake.answer).handle_request(request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
    # Two recorded pages per list: the payloads were recorded with a page size of 2.
    monkeypatch.setattr(langfuse, "PAGE_SIZE", 2)
    return fake


@pytest.fixture
def langfuse_service(project) -> ConnectedService:
    return ConnectedService.objects.create(
        project=project,
        kind=ConnectedService.Kind.LANGFUSE,
        name="Langfuse (Claims)",
        base_url=HOST,
        credentials=json.dumps({"public_key": "pk-lf-claims", "secret_key": SECRET}),
    )


def stored(project) -> dict[str, dict[str, Decimal]]:
    return {
        run.external_id: scores_of(run)
        for run in EvaluationRun.objects.filter(project=project)
    }


def test_dataset_runs_become_evaluation_runs_with_their_scores_per_metric(
    project, langfuse_service, langfuse_api
):
    outcome = langfuse.langfuse_sync(service=langfuse_service, now=NOW)

    assert outcome.error == ""
    # Oldest first; run 3 is still settling.
    assert outcome.stored == [SMOKE_RUN, RUN_1, RUN_2]
    assert outcome.waiting == 1
    assert stored(project) == {
        # correctness (0.9 + 0.8 + 0.7) / 3 across two pages of scores; exact_match 2
        # of 3 booleans true; helpfulness (1 + 0.4) / 2; "rating" has a 4 (a 1–5
        # scale), so it is left out whole rather than averaged with its 0.8.
        RUN_1: {
            "correctness": Decimal("0.8000"),
            "exact_match": Decimal("0.6667"),
            "helpfulness": Decimal("0.7000"),
        },
        RUN_2: {
            "correctness": Decimal("0.6500"),
            "exact_match": Decimal("0.5000"),
            "helpfulness": Decimal("0.5000"),
        },
        SMOKE_RUN: {"correctness": Decimal("1.0000")},
    }


def test_a_run_keeps_what_was_evaluated_where_and_when(
    project, langfuse_service, langfuse_api
):
    langfuse.langfuse_sync(service=langfuse_service, now=NOW)

    first = EvaluationRun.objects.get(external_id=RUN_1)
    assert (first.kind, first.origin, first.service) == (
        EvaluationRun.Kind.EVALUATION,
        EvaluationRun.Origin.LANGFUSE,
        langfuse_service,
    )
    assert first.name == "gpt-4o-mini prompt v7"
    assert first.dataset_name == "support-golden"
    assert first.dataset_version == ""
    assert first.ran_at == datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
    assert first.item_count == 3
    assert (first.items_passed, first.items_failed) == (None, None)
    assert (first.model, first.app_version, first.commit) == (
        "gpt-4o-mini",
        "prompt v7",
        "3f2a9c1d",
    )
    assert first.source_url == (
        f"{HOST}/project/{PROJECT_ID}/datasets/{GOLDEN}/runs/{RUN_1}"
    )
    # The other spellings of the same metadata.
    second = EvaluationRun.objects.get(external_id=RUN_2)
    assert (second.model, second.app_version, second.commit) == (
        "claude-sonnet-4-6",
        "v8",
        "9c0d11e",
    )
    smoke = EvaluationRun.objects.get(external_id=SMOKE_RUN)
    assert smoke.dataset_name == "smoke/edge cases"
    assert (smoke.model, smoke.app_version, smoke.commit) == ("", "", "")


def test_every_page_of_every_list_is_read(project, langfuse_service, langfuse_api):
    langfuse.langfuse_sync(service=langfuse_service, now=NOW)

    lists = sorted(
        (r.url.path, r.url.params["page"], r.url.params["limit"])
        for r in langfuse_api.seen
        if r.url.path in LISTS
    )
    assert lists == sorted(
        [
            ("/api/public/v2/datasets", "1", "2"),
            ("/api/public/v2/datasets", "2", "2"),
            ("/api/public/datasets/tone-checks/runs", "1", "2"),
            ("/api/public/datasets/smoke/edge cases/runs", "1", "2"),
            ("/api/public/datasets/support-golden/runs", "1", "2"),
            ("/api/public/datasets/support-golden/runs", "2", "2"),
        ]
    )
    # Scores are asked for by the run's traces, numeric and boolean only, and the
    # first run's second page by the cursor of its first.
    first_run = [
        r
        for r in langfuse_api.score_requests()
        if "7d1e0a3b9c2f4e51a8b6c0d1e2f3a401" in r.url.params["traceId"]
    ]
    assert [r.url.params.get("cursor") for r in first_run] == [
        None,
        load("scores_golden_1_page1.json")["meta"]["cursor"],
    ]
    assert {r.url.params["dataType"] for r in first_run} == {"NUMERIC,BOOLEAN"}
    # Dataset and run names are one path segment each, slash and spaces encoded.
    assert any(
        r.url.raw_path.startswith(b"/api/public/datasets/smoke%2Fedge%20cases/runs/")
        for r in langfuse_api.seen
    )


def test_a_second_sync_stores_nothing_new_and_reads_no_stored_run_again(
    project, langfuse_service, langfuse_api
):
    langfuse.langfuse_sync(service=langfuse_service, now=NOW)
    before = stored(project)
    langfuse_api.seen.clear()

    outcome = langfuse.langfuse_sync(service=langfuse_service, now=NOW)

    assert (outcome.stored, outcome.waiting, outcome.error) == ([], 1, "")
    assert stored(project) == before
    assert EvaluationScore.objects.count() == 7
    # Only the lists: no stored run's items or scores are fetched again.
    assert set(langfuse_api.paths()) <= set(LISTS)


def test_a_failing_page_records_why_and_stores_no_half_run(
    project, langfuse_service, langfuse_api, caplog
):
    second_run_traces = ",".join(sorted(traces_of("run_golden_2.json")))
    langfuse_api.fail(
        lambda r: (
            r.url.path == "/api/public/v3/scores"
            and ",".join(sorted(r.url.params["traceId"].split(",")))
            == second_run_traces
        )
    )

    outcome = langfuse.langfuse_sync(service=langfuse_service, now=NOW)

    assert outcome.error == "Langfuse kept failing: 500 from Langfuse"
    assert not outcome.permanent
    # The Evaluations tab can say why the last read failed.
    record = DatasetSync.objects.get(service=langfuse_service)
    assert record.last_error == "Langfuse kept failing: 500 from Langfuse"
    assert record.last_success_at is None
    assert record.runs_stored == 2
    assert SECRET not in caplog.text
    assert "dataset run sync failed" in caplog.text
    # The runs read before it are stored whole; the failing run not at all.
    assert outcome.stored == [SMOKE_RUN, RUN_1]
    assert set(stored(project)) == {SMOKE_RUN, RUN_1}
    assert not EvaluationScore.objects.filter(run__external_id=RUN_2).exists()
    # Each request was retried before the sync gave up.
    assert (
        len([r for r in langfuse_api.score_requests() if "8e2f1b4c" in str(r.url)])
        == ATTEMPTS
    )

    langfuse_api.heal()
    again = langfuse.langfuse_sync(service=langfuse_service, now=NOW)

    assert (again.stored, again.error) == ([RUN_2], "")
    record.refresh_from_db()
    assert (record.last_error, record.runs_stored) == ("", 3)
    assert record.last_success_at == record.last_attempt_at
    assert stored(project)[RUN_2]["correctness"] == Decimal("0.6500")


def test_rejected_keys_fail_the_sync_for_good_without_quoting_them(
    project, langfuse_service, langfuse_api
):
    langfuse_api.fail(lambda r: True, status=401)

    outcome = langfuse.langfuse_sync(service=langfuse_service, now=NOW)

    assert outcome.permanent
    assert outcome.error == "401 from Langfuse: the credentials were rejected"
    assert not EvaluationRun.objects.exists()


def test_a_run_still_settling_is_skipped_and_read_once_it_is_quiet(
    project, langfuse_service, langfuse_api
):
    run_3 = "/api/public/datasets/support-golden/runs/gpt-4o-mini prompt v9"
    # 10:00: the run was created 40 minutes ago; its items are not even asked for.
    langfuse.langfuse_sync(service=langfuse_service, now=NOW)
    assert run_3 not in langfuse_api.paths()

    # 10:30: the run is an hour old, but its last item was added at 09:58 and may
    # still be being scored: nothing of it is stored, and its scores are not read.
    langfuse_api.seen.clear()
    outcome = langfuse.langfuse_sync(
        service=langfuse_service, now=RUN_3_QUIET_ITEMS_BUSY
    )
    assert (outcome.stored, outcome.waiting) == ([], 1)
    assert run_3 in langfuse_api.paths()
    assert langfuse_api.score_requests() == []

    # 11:00: quiet for an hour; read and stored.
    outcome = langfuse.langfuse_sync(service=langfuse_service, now=ALL_QUIET)
    assert (outcome.stored, outcome.waiting) == ([RUN_3], 0)
    assert stored(project)[RUN_3] == {"correctness": Decimal("0.8500")}


def test_a_sync_past_its_time_budget_leaves_the_rest_for_the_next(
    project, langfuse_service, langfuse_api
):
    outcome = langfuse.langfuse_sync(
        service=langfuse_service, now=NOW, budget_seconds=-1
    )

    assert outcome.unfinished and outcome.stored == []
    assert outcome.describe() == "0 runs stored, 0 waiting, more next time"
    later = langfuse.langfuse_sync(service=langfuse_service, now=NOW)
    assert later.stored == [SMOKE_RUN, RUN_1, RUN_2]


def test_a_run_too_big_for_the_time_budget_stops_the_sync_in_its_middle(
    project, langfuse_service, langfuse_api, monkeypatch
):
    # One trace per scores request, and a clock that moves a minute at each look:
    # the budget of 210 s holds for the smoke run (one trace) and runs out on the
    # next run's first batch of scores, after the run itself was started.
    monkeypatch.setattr(langfuse, "TRACES_PER_REQUEST", 1)
    clock = iter(range(0, 100_000, 60))
    monkeypatch.setattr(
        langfuse, "time", SimpleNamespace(monotonic=lambda: next(clock))
    )

    outcome = langfuse.langfuse_sync(
        service=langfuse_service, now=NOW, budget_seconds=210
    )

    assert outcome.unfinished and outcome.error == ""
    assert outcome.stored == [SMOKE_RUN]
    assert set(stored(project)) == {SMOKE_RUN}


def test_two_syncs_of_one_service_never_run_at_once(
    project, langfuse_service, langfuse_api
):
    from django.core.cache import cache

    cache.add(f"evaluations:langfuse-sync:{langfuse_service.pk}", 1)

    outcome = langfuse.langfuse_sync(service=langfuse_service, now=NOW)

    assert outcome.describe() == (
        "skipped: another sync of this service's dataset runs was running"
    )
    assert langfuse_api.seen == []


# -- the run's link back to Langfuse -------------------------------------------------------


def test_the_link_goes_to_the_run_page_on_the_host_the_api_is_read_from(
    project, langfuse_service, langfuse_api
):
    langfuse_service.base_url = ""  # Langfuse Cloud
    langfuse_service.save()

    langfuse.langfuse_sync(service=langfuse_service, now=NOW)

    assert EvaluationRun.objects.get(external_id=SMOKE_RUN).source_url == (
        "https://cloud.langfuse.com/project/cm1proj0claims00000000001"
        "/datasets/cm3ds0smoke00000000000002/runs/cm4run0smoke0000000000001"
    )


def test_without_a_project_id_there_is_no_link_and_without_a_run_id_the_dataset_page():
    dataset = {"id": "ds 1", "projectId": "p/1"}
    assert langfuse.source_url(HOST, dataset, {"id": "r1", "datasetId": "ds 1"}) == (
        f"{HOST}/project/p%2F1/datasets/ds%201/runs/r1"
    )
    assert (
        langfuse.source_url(HOST, dataset, {})
        == f"{HOST}/project/p%2F1/datasets/ds%201"
    )
    assert langfuse.source_url(HOST, {"id": "ds1"}, {"id": "r1"}) == ""


# -- aggregation -----------------------------------------------------------------------------


def score(name: str, data_type: str, value: object, **more: object) -> dict[str, Any]:
    return {"name": name, "dataType": data_type, "value": value, **more}


def test_aggregation_keeps_numbers_and_booleans_on_a_zero_to_one_scale():
    assert langfuse.aggregate(
        [
            score("accuracy", "NUMERIC", 1, id="a"),
            score("accuracy", "NUMERIC", "0.5", id="b"),
            score("accuracy", "NUMERIC", 1, id="a"),  # the same score twice: once
            # Booleans in the older shape: 1/0 with "True"/"False", or the label only.
            score("safe", "BOOLEAN", 1, stringValue="True"),
            score("safe", "BOOLEAN", None, stringValue="False"),
            score("tone", "CATEGORICAL", "friendly"),
            score("note", "TEXT", "fine"),
            score("stars", "NUMERIC", 3),
            score("stars", "NUMERIC", 0.2),
            score("negative", "NUMERIC", -0.1),
            score("", "NUMERIC", 0.5),
            score("junk", "NUMERIC", "n/a"),
        ]
    ) == {"accuracy": Decimal("0.7500"), "safe": Decimal("0.5000")}


# -- tasks and schedule ----------------------------------------------------------------------


def test_the_sync_is_scheduled_hourly():
    scheduled = PeriodicTask.objects.get(task=tasks.SYNC_LANGFUSE_ALL)
    assert (scheduled.interval.every, scheduled.interval.period, scheduled.enabled) == (
        1,
        "hours",
        True,
    )


def test_the_hourly_sweep_syncs_each_langfuse_service_of_a_project(
    project, langfuse_service, langfuse_api, monkeypatch
):
    ConnectedService.objects.create(
        project=project, kind=ConnectedService.Kind.LANGFUSE, name="off", enabled=False
    )
    ConnectedService.objects.create(
        project=None, kind=ConnectedService.Kind.LANGFUSE, name="unmapped"
    )
    ConnectedService.objects.create(
        project=project, kind=ConnectedService.Kind.HELICONE, name="h"
    )
    monkeypatch.setattr(langfuse.timezone, "now", lambda: NOW)

    assert tasks.sync_langfuse_all.delay().get() == 1
    assert set(stored(project)) == {SMOKE_RUN, RUN_1, RUN_2}


@pytest.fixture
def langfuse_retries_in_place():
    """Eager tasks that propagate errors would raise Celery's Retry into the test;
    without propagation Celery runs the retry at once, as a worker would run it later."""
    from portal.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


def test_a_sync_that_failed_on_a_passing_error_is_tried_again(
    project, langfuse_service, langfuse_api, monkeypatch, langfuse_retries_in_place
):
    monkeypatch.setattr(langfuse.timezone, "now", lambda: NOW)
    langfuse_api.fail(lambda r: r.url.path == "/api/public/v2/datasets", status=503)

    result = tasks.sync_langfuse_service.delay(langfuse_service.pk).get()

    dataset_lists = [p for p in langfuse_api.paths() if p == "/api/public/v2/datasets"]
    assert len(dataset_lists) == (tasks.RETRIES + 1) * ATTEMPTS
    assert result == (
        "0 runs stored, 0 waiting; failed: Langfuse kept failing: 503 from Langfuse"
    )


def test_rejected_keys_are_not_tried_again(project, langfuse_service, langfuse_api):
    langfuse_api.fail(lambda r: True, status=401)

    tasks.sync_langfuse_service.delay(langfuse_service.pk).get()

    assert len(langfuse_api.seen) == 1
