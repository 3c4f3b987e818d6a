"""Evaluation runs and load tests pushed from a CI pipeline: stored once per run id on
the token's project, judged against the baseline at once, and refused whole (422
naming the field) when the summary is wrong, with the push API's token, throttle and
limits."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluations import services
from evaluations.models import EvaluationRun, EvaluationScore
from metrics import api as metrics_api
from metrics import ingest
from metrics.models import Alert, IngestToken
from portal import tokens
from projects.models import ProjectRole
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/evaluations/runs"
AN_HOUR_AGO = timezone.now() - timedelta(hours=1)


@pytest.fixture
def push_project(db):
    return ProjectFactory(name="Claims Triage Assistant")


@pytest.fixture
def push_lead(push_project):
    return MembershipFactory(project=push_project, role=ProjectRole.LEAD).user


@pytest.fixture
def push_secret(push_project, push_lead):
    _, secret = ingest.token_create(
        project=push_project, name="CI", created_by=push_lead
    )
    return secret


def post(client, body, secret, *, raw=None, content_type="application/json"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    return client.post(
        URL,
        data=raw if raw is not None else json.dumps(body),
        content_type=content_type,
        **headers,
    )


def evaluation(**overrides):
    body = {
        "run_id": "gh-4711-1",
        "name": "Nightly eval",
        "ran_at": AN_HOUR_AGO.isoformat(),
        "dataset": {"name": "claims-golden", "version": "v3", "items": 200},
        "model": "gpt-4o-mini",
        "app_version": "prompt-v12",
        "commit": "9fceb02d0ae598e95dc970b74767f19372d61af8",
        "url": "https://github.com/acme/claims/actions/runs/4711",
        "scores": {"faithfulness": 0.91, "answer_relevancy": 0.87654},
        "items_passed": 182,
        "items_failed": 18,
    }
    body.update(overrides)
    return body


def load_test(**overrides):
    body = {
        "kind": "load_test",
        "run_id": "k6-88",
        "ran_at": AN_HOUR_AGO.isoformat(),
        "target_rps": 12,
        "achieved_rps": 12.5,
        "duration_seconds": 600,
        "p95_latency_ms": 1840.25,
        "error_rate_pct": 0.4,
    }
    body.update(overrides)
    return body


def without(body, field):
    return {k: v for k, v in body.items() if k != field}


def scores_of(run):
    return dict(run.scores.values_list("metric", "value"))


# --- Accepted ---------------------------------------------------------------------


def test_an_evaluation_run_is_stored_with_its_scores(client, push_project, push_secret):
    response = post(client, evaluation(), push_secret)

    assert response.status_code == 201, response.content
    run = EvaluationRun.objects.get()
    assert run.project == push_project
    assert (run.kind, run.origin, run.external_id) == (
        "evaluation",
        "push",
        "gh-4711-1",
    )
    assert run.ran_at == AN_HOUR_AGO
    assert (run.dataset_name, run.dataset_version, run.item_count) == (
        "claims-golden",
        "v3",
        200,
    )
    assert (run.items_passed, run.items_failed) == (182, 18)
    assert (run.model, run.app_version, run.commit) == (
        "gpt-4o-mini",
        "prompt-v12",
        "9fceb02d0ae598e95dc970b74767f19372d61af8",
    )
    assert run.source_url == "https://github.com/acme/claims/actions/runs/4711"
    # Four places, as the score column keeps them.
    assert scores_of(run) == {
        "faithfulness": Decimal("0.91"),
        "answer_relevancy": Decimal("0.8765"),
    }
    answer = response.json()
    assert answer["id"] == run.pk
    assert answer["run_id"] == "gh-4711-1"
    assert answer["duplicate"] is False
    assert answer["runway_url"] == "http://testserver" + reverse(
        "evaluations:run", kwargs={"slug": push_project.slug, "pk": run.pk}
    )
    assert answer["scores"] == {"answer_relevancy": 0.8765, "faithfulness": 0.91}
    assert answer["dataset"] == {"name": "claims-golden", "version": "v3", "items": 200}


def test_only_the_run_id_the_set_and_a_score_are_needed(client, push_secret):
    body = {
        "run_id": "r1",
        "ran_at": AN_HOUR_AGO.isoformat(),
        "dataset": {"name": "claims-golden"},
        "scores": {"faithfulness": 1},
    }
    assert post(client, body, push_secret).status_code == 201
    run = EvaluationRun.objects.get()
    assert (run.name, run.model, run.source_url, run.item_count) == ("", "", "", None)
    assert scores_of(run) == {"faithfulness": Decimal(1)}


def test_a_load_test_is_stored_with_its_figures(client, push_project, push_secret):
    response = post(client, load_test(), push_secret)

    assert response.status_code == 201, response.content
    run = EvaluationRun.objects.get()
    assert (run.kind, run.project, run.external_id) == (
        "load_test",
        push_project,
        "k6-88",
    )
    assert run.target_rps == Decimal("12")
    assert run.achieved_rps == Decimal("12.5")
    assert run.duration_seconds == 600
    assert run.p95_latency_ms == Decimal("1840.25")
    assert run.error_rate_pct == Decimal("0.4")
    assert not run.scores.exists()
    assert response.json()["achieved_rps"] == 12.5


def test_a_resent_run_id_changes_nothing_and_says_duplicate(client, push_secret):
    first = post(client, evaluation(), push_secret)
    again = post(
        client,
        evaluation(scores={"faithfulness": 0.2}, name="Something else"),
        push_secret,
    )

    assert again.status_code == 200, again.content
    answer = again.json()
    assert answer["duplicate"] is True
    assert answer["id"] == first.json()["id"]
    assert answer["name"] == "Nightly eval"
    assert answer["scores"] == {"answer_relevancy": 0.8765, "faithfulness": 0.91}
    run = EvaluationRun.objects.get()
    assert run.name == "Nightly eval"
    assert scores_of(run)["faithfulness"] == Decimal("0.91")
    assert EvaluationScore.objects.count() == 2


def _regression_setup(client, push_project, push_lead, push_secret):
    services.plan_save(
        project=push_project, dataset_name="claims-golden", tolerance=Decimal("0.02")
    )
    post(client, evaluation(run_id="base", scores={"faithfulness": 0.9}), push_secret)
    services.baseline_accept(
        project=push_project,
        run=EvaluationRun.objects.get(external_id="base"),
        actor=push_lead,
        comment="Signed off after review",
    )


def open_alerts(project):
    return Alert.objects.filter(
        project=project, kind=Alert.Kind.EVALUATION, status=Alert.Status.OPEN
    )


def test_a_run_that_regresses_against_the_baseline_opens_the_evaluation_alert(
    client, push_project, push_lead, push_secret
):
    _regression_setup(client, push_project, push_lead, push_secret)
    assert not open_alerts(push_project).exists()

    later = (AN_HOUR_AGO + timedelta(minutes=30)).isoformat()
    response = post(
        client,
        evaluation(run_id="next", ran_at=later, scores={"faithfulness": 0.85}),
        push_secret,
    )

    assert response.status_code == 201
    alert = open_alerts(push_project).get()
    assert "faithfulness" in alert.message
    assert "0.85" in alert.message


def test_a_run_within_the_tolerance_opens_no_alert(
    client, push_project, push_lead, push_secret
):
    _regression_setup(client, push_project, push_lead, push_secret)
    later = (AN_HOUR_AGO + timedelta(minutes=30)).isoformat()
    post(
        client,
        evaluation(run_id="next", ran_at=later, scores={"faithfulness": 0.89}),
        push_secret,
    )
    assert EvaluationRun.objects.count() == 2
    assert not open_alerts(push_project).exists()


# --- Refused ----------------------------------------------------------------------

IN_AN_HOUR = (timezone.now() + timedelta(hours=1)).isoformat()


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (evaluation(scores={"faithfulness": 1.2}), ["scores", "faithfulness"]),
        (evaluation(scores={"faithfulness": -0.1}), ["scores", "faithfulness"]),
        (evaluation(scores={"faithfulness": "high"}), ["scores", "faithfulness"]),
        (evaluation(scores={}), ["scores"]),
        (evaluation(scores={f"m{i}": 0.5 for i in range(101)}), ["scores"]),
        (evaluation(scores={"x" * 121: 0.5}), ["scores", "x" * 121, "[key]"]),
        (evaluation(scores={"  ": 0.5}), ["scores", "  ", "[key]"]),
        (without(evaluation(), "run_id"), ["run_id"]),
        (evaluation(run_id="   "), ["run_id"]),
        (evaluation(run_id="r" * 201), ["run_id"]),
        (without(evaluation(), "ran_at"), ["ran_at"]),
        (evaluation(ran_at="2026-01-01T09:00:00"), ["ran_at"]),
        (evaluation(ran_at=IN_AN_HOUR), ["ran_at"]),
        (evaluation(ran_at=1767225600), ["ran_at"]),
        (evaluation(url="ftp://example.com/run/1"), ["url"]),
        (evaluation(url="javascript:alert(1)"), ["url"]),
        (without(evaluation(), "dataset"), ["dataset"]),
        (evaluation(dataset={"version": "v3"}), ["dataset", "name"]),
        (evaluation(dataset={"name": "golden", "items": -1}), ["dataset", "items"]),
        (evaluation(items_passed=190, items_failed=20), ["items_failed"]),
        (evaluation(items_passed=201, items_failed=None), ["items_passed"]),
        (evaluation(items_failed=-1), ["items_failed"]),
        (evaluation(commit="a" * 65), ["commit"]),
        (evaluation(model="gpt\x00"), ["model"]),
        (evaluation(target_rps=10), ["target_rps"]),
        (evaluation(achieved_rps=10), ["achieved_rps"]),
        (evaluation(kind="smoke_test"), ["kind"]),
        (evaluation(colour="blue"), ["colour"]),
        (without(load_test(), "achieved_rps"), ["achieved_rps"]),
        (load_test(achieved_rps=-1), ["achieved_rps"]),
        (load_test(error_rate_pct=150), ["error_rate_pct"]),
        (load_test(duration_seconds=1.5), ["duration_seconds"]),
        (load_test(scores={"faithfulness": 0.9}), ["scores"]),
    ],
    ids=lambda v: "-".join(map(str, v))[:40] if isinstance(v, list) else None,
)
def test_a_wrong_summary_is_refused_naming_the_field(client, push_secret, body, where):
    response = post(client, body, push_secret)

    assert response.status_code == 422, response.content
    assert ["body", "payload", *where] in [e["loc"] for e in response.json()["detail"]]
    assert not EvaluationRun.objects.exists()


def test_too_many_scores_are_refused_saying_how_many(client, push_secret):
    body = evaluation(scores={f"m{i}": 0.5 for i in range(101)})
    response = post(client, body, push_secret)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "payload", "scores"]
    assert "at most 100" in error["msg"]
    assert "101" in error["msg"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity"])
def test_nan_and_infinity_are_refused(client, push_secret, literal):
    raw = json.dumps(evaluation()).replace("0.91", literal)
    response = post(client, None, push_secret, raw=raw)
    assert response.status_code == 422
    assert not EvaluationRun.objects.exists()


@pytest.mark.parametrize(
    "header", [None, "Bearer ", "Bearer rwy_not-a-token", "Basic dXNlcjpwYXNz"]
)
def test_requests_without_a_valid_push_token_get_401(client, push_secret, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.post(
        URL, data=json.dumps(evaluation()), content_type="application/json", **extra
    )
    assert response.status_code == 401
    assert not EvaluationRun.objects.exists()


def test_a_revoked_token_gets_401(client, push_secret):
    ingest.token_revoke(token=IngestToken.objects.get())
    assert post(client, evaluation(), push_secret).status_code == 401
    assert not EvaluationRun.objects.exists()


def test_a_personal_access_token_does_not_push_runs(client, push_lead, push_secret):
    _, personal = tokens.api_token_create(user=push_lead, name="BI", lifetime=None)
    assert post(client, evaluation(), personal).status_code == 401
    assert not EvaluationRun.objects.exists()


def test_another_projects_token_stores_on_its_own_project_only(
    client, push_project, push_secret
):
    other = ProjectFactory(name="Fraud Screening")
    _, other_secret = ingest.token_create(project=other, name="CI", created_by=None)

    assert post(client, evaluation(), other_secret).status_code == 201
    assert not EvaluationRun.objects.filter(project=push_project).exists()
    assert EvaluationRun.objects.get().project == other
    # The run id is the caller's, per project: the same id is a new run elsewhere.
    assert post(client, evaluation(), push_secret).status_code == 201
    assert EvaluationRun.objects.filter(project=push_project).count() == 1


def test_a_token_of_an_archived_project_is_refused(client, push_project, push_secret):
    push_project.archived_at = timezone.now()
    push_project.save()
    response = post(client, evaluation(), push_secret)
    assert response.status_code == 403
    assert "archived" in response.json()["detail"]
    assert not EvaluationRun.objects.exists()


def test_a_body_that_is_not_json_is_refused_with_415(client, push_secret):
    response = post(
        client,
        None,
        push_secret,
        raw=json.dumps(evaluation()),
        content_type="text/plain",
    )
    assert response.status_code == 415
    assert not EvaluationRun.objects.exists()


def test_a_body_over_the_size_limit_is_413(client, push_secret, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    body = evaluation(scores={f"metric-{i:03}-{'x' * 30}": 0.5 for i in range(60)})
    assert len(json.dumps(body)) > 2_000

    response = post(client, body, push_secret)

    assert response.status_code == 413
    assert "one run's summary" in response.json()["detail"]
    assert not EvaluationRun.objects.exists()


def test_the_push_throttle_applies_with_the_events_budget(
    client, push_secret, monkeypatch
):
    monkeypatch.setattr(metrics_api.throttle, "num_requests", 2)
    assert (
        client.post(
            reverse("api:ingest"),
            data="{}",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {push_secret}",
        ).status_code
        == 202
    )
    assert post(client, evaluation(run_id="a"), push_secret).status_code == 201

    response = post(client, evaluation(run_id="b"), push_secret)

    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert list(EvaluationRun.objects.values_list("external_id", flat=True)) == ["a"]


def test_pushing_a_run_records_when_the_token_was_last_used(client, push_secret):
    token = IngestToken.objects.get()
    assert token.last_used_at is None
    post(client, evaluation(), push_secret)
    token.refresh_from_db()
    assert token.last_used_at is not None


# --- Whatever arrives -------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = [*evaluation(), *load_test(), "dataset.items", "scores.faithfulness"]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    kind=st.sampled_from(["evaluation", "load_test"]),
    changes=st.lists(st.tuples(st.sampled_from(FIELDS), json_values), max_size=3),
)
def test_any_summary_is_stored_whole_or_refused_whole(
    client, push_secret, monkeypatch, kind, changes
):
    monkeypatch.setattr(metrics_api.throttle, "num_requests", 10_000)
    EvaluationRun.objects.all().delete()
    body = evaluation() if kind == "evaluation" else load_test()
    for field, value in changes:
        outer, _, inner = field.partition(".")
        if inner and isinstance(body.get(outer), dict):
            body[outer][inner] = value
        else:
            body[outer] = value

    response = post(client, body, push_secret)

    assert response.status_code in {201, 422}, response.content
    stored = EvaluationRun.objects.count()
    assert stored == (1 if response.status_code == 201 else 0)
