"""The read-only API as a BI tool uses it: a personal token reads the portfolio and a
project's summary, and never more than its owner may see at that moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from assessments import services as assessment_services
from assessments.models import AssessmentCriterion
from evaluations import services as evaluation_services
from metrics import ingest
from metrics import services as metric_services
from metrics.models import Alert, ConnectedService
from metrics.vocabulary import Bucket, Metric, Sample
from portal import api as read_api
from portal import services as people_services
from portal import tokens
from projects import membership_services, services
from projects.models import (
    ChecklistItem,
    ItemState,
    Membership,
    ProjectRole,
    ProjectStatus,
)
from projects.roles import GlobalRole
from tests.evaluations.conftest import gate_run
from tests.factories import TeamFactory, UserFactory, approve_requirements

pytestmark = pytest.mark.django_db

PORTFOLIO = "/api/v1/portfolio"


def project_url(slug):
    return f"/api/v1/projects/{slug}"


def secret_for(user, **kwargs):
    kwargs.setdefault("lifetime", None)
    return tokens.api_token_create(user=user, name="BI", **kwargs)[1]


def read(client, path, secret, **params):
    return client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {secret}")


def make(owner, name, **changes):
    project = services.project_create(name=name, team=TeamFactory(), owner=owner)
    for field, value in changes.items():
        setattr(project, field, value)
    project.save()
    return project


def slugs(response):
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["items"]]


def day_start(day):
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@pytest.fixture
def pm_project(pm):
    return make(pm, "Claims Copilot")


@pytest.fixture
def other_project():
    return make(UserFactory(roles=[GlobalRole.PRODUCT_MANAGER]), "Fraud Agent")


# --- Who reads what --------------------------------------------------------------


def test_an_executive_reads_every_project(client, executive, pm_project, other_project):
    response = read(client, PORTFOLIO, secret_for(executive))
    assert slugs(response) == [pm_project.slug, other_project.slug]
    assert response.json()["count"] == 2
    assert (
        read(client, project_url(pm_project.slug), secret_for(executive)).status_code
        == 200
    )


def test_a_pm_sees_only_their_projects_on_the_page_and_in_the_api(
    client, pm, pm_project, other_project
):
    client.force_login(pm)
    page = client.get(reverse("portal:home")).content.decode()
    assert pm_project.name in page
    assert other_project.name not in page
    assert slugs(read(client, PORTFOLIO, secret_for(pm))) == [pm_project.slug]


def test_an_outsider_reads_nothing(client, outsider, pm_project):
    secret = secret_for(outsider)
    response = read(client, PORTFOLIO, secret)
    assert response.json()["count"] == 0
    assert response.json()["items"] == []
    assert response.json()["headline"]["in_flight"] == 0


def test_a_project_one_may_not_see_is_as_missing_as_one_that_does_not_exist(
    client, outsider, pm_project
):
    secret = secret_for(outsider)
    hidden = read(client, project_url(pm_project.slug), secret)
    missing = read(client, project_url("no-such-project"), secret)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_a_member_removed_from_a_project_can_no_longer_read_it(client, pm_project, pm):
    lead = UserFactory(roles=[GlobalRole.ENGINEERING_LEAD])
    membership_services.membership_set(
        project=pm_project, user=lead, role=ProjectRole.LEAD
    )
    secret = secret_for(lead)
    assert read(client, project_url(pm_project.slug), secret).status_code == 200
    membership_services.membership_remove(
        membership=Membership.objects.get(project=pm_project, user=lead)
    )
    assert read(client, project_url(pm_project.slug), secret).status_code == 404
    assert slugs(read(client, PORTFOLIO, secret)) == []


def test_a_token_loses_what_its_owner_loses_with_a_global_role(
    client, executive, pm_project
):
    secret = secret_for(executive)
    assert slugs(read(client, PORTFOLIO, secret)) == [pm_project.slug]
    executive.groups.clear()
    assert slugs(read(client, PORTFOLIO, secret)) == []
    assert read(client, project_url(pm_project.slug), secret).status_code == 404


def test_archived_projects_are_not_served(client, pm, pm_project):
    services.project_archive(project=pm_project)
    secret = secret_for(pm)
    assert slugs(read(client, PORTFOLIO, secret)) == []
    assert read(client, project_url(pm_project.slug), secret).status_code == 404


# --- Which tokens work -----------------------------------------------------------


def test_no_token_or_a_wrong_one_is_401(client, pm, pm_project):
    assert client.get(PORTFOLIO).status_code == 401
    assert client.get(project_url(pm_project.slug)).status_code == 401
    assert read(client, PORTFOLIO, "rwp_not-a-token").status_code == 401
    # A signed-in session is not a token: the API is for scripts.
    client.force_login(pm)
    assert client.get(PORTFOLIO).status_code == 401


def test_a_revoked_token_is_401(client, pm):
    token, secret = tokens.api_token_create(user=pm, name="BI", lifetime=None)
    assert read(client, PORTFOLIO, secret).status_code == 200
    tokens.api_token_revoke(token=token)
    assert read(client, PORTFOLIO, secret).status_code == 401


def test_an_expired_token_is_401(client, pm):
    token, secret = tokens.api_token_create(
        user=pm, name="BI", lifetime=timedelta(days=30)
    )
    assert read(client, PORTFOLIO, secret).status_code == 200
    token.expires_at = timezone.now() - timedelta(seconds=1)
    token.save()
    assert read(client, PORTFOLIO, secret).status_code == 401


def test_a_deactivated_users_tokens_stop_working(client, admin_user, pm_project):
    lead = UserFactory(roles=[GlobalRole.ENGINEERING_LEAD])
    membership_services.membership_set(
        project=pm_project, user=lead, role=ProjectRole.LEAD
    )
    secret = secret_for(lead)
    assert read(client, PORTFOLIO, secret).status_code == 200
    people_services.user_deactivate(user=lead, actor=admin_user)
    assert read(client, PORTFOLIO, secret).status_code == 401
    people_services.user_reactivate(user=lead, actor=admin_user)
    assert read(client, PORTFOLIO, secret).status_code == 200


def test_a_push_token_does_not_read_and_a_personal_token_does_not_push(
    client, pm, pm_project
):
    _, push_secret = ingest.token_create(
        project=pm_project, name="production", created_by=pm
    )
    assert read(client, PORTFOLIO, push_secret).status_code == 401
    response = client.post(
        reverse("api:ingest"),
        data="{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret_for(pm)}",
    )
    assert response.status_code == 401


def test_using_a_token_records_when_it_was_last_used(client, pm):
    token, secret = tokens.api_token_create(user=pm, name="BI", lifetime=None)
    assert token.last_used_at is None
    read(client, PORTFOLIO, secret)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_too_many_requests_from_one_token_get_429(client, pm, monkeypatch):
    monkeypatch.setattr(read_api.throttle, "num_requests", 2)
    secret = secret_for(pm)
    assert read(client, PORTFOLIO, secret).status_code == 200
    assert read(client, PORTFOLIO, secret).status_code == 200
    response = read(client, PORTFOLIO, secret)
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    # Another token has its own allowance.
    assert read(client, PORTFOLIO, secret_for(pm)).status_code == 200


# --- What the portfolio says -----------------------------------------------------


def test_the_portfolio_row_has_step_risk_readiness_spend_quality_and_alerts(
    client, pm, pm_project
):
    pm_project.status = ProjectStatus.AT_RISK
    pm_project.save()
    approve_requirements(pm_project, pm)  # budget $8,000, helpfulness ≥ 0.85
    assessment_services.assessment_record(
        project=pm_project,
        assessor=pm,
        scores=[
            assessment_services.ScoreInput(c, 2, 4)
            for c in AssessmentCriterion.objects.all()
        ],
    )
    service = ConnectedService.objects.create(
        project=pm_project, kind="openai", name="OpenAI"
    )
    today = timezone.localdate()
    metric_services.samples_write(
        project=pm_project,
        service=service,
        samples=[
            Sample(
                Metric.COST_BILLED_USD, day_start(today), Bucket.DAY, Decimal("12.345")
            ),
        ],
    )
    # Quality comes from an observability source; a provider's report has none.
    metric_services.samples_write(
        project=pm_project,
        service=ConnectedService.objects.create(
            project=pm_project, kind="push", name="Push API"
        ),
        samples=[
            Sample(
                Metric.QUALITY_SCORE,
                day_start(today),
                Bucket.DAY,
                Decimal("0.8"),
                "helpfulness",
            ),
        ],
    )
    Alert.objects.create(project=pm_project, kind=Alert.Kind.BUDGET, message="Over")
    row = read(client, PORTFOLIO, secret_for(pm)).json()["items"][0]
    assert row["name"] == "Claims Copilot"
    assert row["team"] == pm_project.team.name
    assert row["current_step"] == 1
    assert row["current_step_name"]
    assert row["launched"] is False
    assert row["status"] == "at_risk"
    assert row["at_risk"] is True
    assert row["at_risk_reasons"] == ["owner says at risk", "open alert"]
    assert row["readiness"] == 50.0
    assert row["spend_this_month_usd"] == 12.35
    assert row["monthly_budget_usd"] == 8000.0
    assert row["quality"] == 0.8
    assert row["quality_target"] == 0.85
    assert row["quality_score_name"] == "helpfulness"
    assert row["open_alerts"] == 1
    assert row["owner"] == pm.display_name
    assert row["owner_email"] == pm.email
    assert row["url"] == f"http://testserver/projects/{pm_project.slug}/"
    assert row["api_url"] == f"http://testserver/api/v1/projects/{pm_project.slug}"


def test_a_quiet_project_has_empty_figures_rather_than_zeros(client, pm, pm_project):
    row = read(client, PORTFOLIO, secret_for(pm)).json()["items"][0]
    assert row["current_step"] == 1
    assert row["at_risk"] is False
    assert row["at_risk_reasons"] == []
    assert row["readiness"] is None
    assert row["spend_this_month_usd"] is None
    assert row["monthly_budget_usd"] is None
    assert row["quality"] is None
    assert row["open_alerts"] == 0
    assert row["days_in_current_step"] is None  # step 1 has not started
    assert row["last_evaluation"] is None


def test_each_project_has_its_last_evaluation_and_whether_it_passed(
    client, pm, pm_project
):
    approve_requirements(pm_project, pm)  # helpfulness ≥ 0.85
    evaluation_services.plan_save(
        project=pm_project, dataset_name="golden", tolerance=Decimal("0.02")
    )
    baseline = gate_run(pm_project, "base", days_ago=3, scores={"helpfulness": "0.95"})
    evaluation_services.baseline_accept(
        project=pm_project, run=baseline, actor=pm, comment="Agreed."
    )
    # Above the target, yet 0.07 below the baseline: it did not pass.
    latest = gate_run(pm_project, "next", scores={"helpfulness": "0.88"})
    gate_run(pm_project, "smoke", dataset_name="smoke", scores={"helpfulness": "1"})
    expected = {"run_id": latest.pk, "dataset": "golden", "passed": False}

    def last_of(body):
        last = dict(body["last_evaluation"])
        # JSON keeps milliseconds.
        assert abs(parse_datetime(last.pop("ran_at")) - latest.ran_at) < timedelta(
            milliseconds=1
        )
        return last

    secret = secret_for(pm)
    assert last_of(read(client, PORTFOLIO, secret).json()["items"][0]) == expected
    body = read(client, project_url(pm_project.slug), secret).json()
    assert last_of(body) == expected
    evaluation_services.baseline_accept(
        project=pm_project, run=latest, actor=pm, comment="Cheaper model."
    )
    row = read(client, PORTFOLIO, secret).json()["items"][0]
    assert last_of(row) == {**expected, "passed": True}


def test_the_headline_counts_cover_the_visible_projects(client, pm):
    make(pm, "Calm")
    make(pm, "Worried", status=ProjectStatus.AT_RISK)
    make(UserFactory(), "Someone else's")
    headline = read(client, PORTFOLIO, secret_for(pm)).json()["headline"]
    assert headline["projects"] == 2
    assert headline["in_flight"] == 2
    assert headline["at_risk"] == 1
    assert headline["launched_this_quarter"] == 0
    assert headline["projects_per_step"]["1"] == 2
    assert headline["projects_per_step"]["launched"] == 0


def test_it_filters_by_risk_and_team(client, pm):
    calm = make(pm, "Calm")
    worried = make(pm, "Worried", status=ProjectStatus.BLOCKED)
    secret = secret_for(pm)
    assert slugs(read(client, PORTFOLIO, secret, at_risk="true")) == [worried.slug]
    assert slugs(read(client, PORTFOLIO, secret, team=calm.team.slug)) == [calm.slug]


def test_it_pages_through_the_portfolio(client, executive):
    owner = UserFactory()
    names = [f"Project {n:02}" for n in range(5)]
    for name in names:
        make(owner, name)
    secret = secret_for(executive)
    first = read(client, PORTFOLIO, secret, limit=2).json()
    assert first["count"] == 5
    assert [r["name"] for r in first["items"]] == names[:2]
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/portfolio?limit=2&offset=2"
    last = read(client, PORTFOLIO, secret, limit=2, offset=4).json()
    assert [r["name"] for r in last["items"]] == names[4:]
    assert last["next"] is None
    assert last["previous"] == "http://testserver/api/v1/portfolio?limit=2&offset=2"


def test_it_refuses_pages_larger_than_the_maximum(client, pm):
    secret = secret_for(pm)
    assert read(client, PORTFOLIO, secret, limit=read_api.MAX_LIMIT).status_code == 200
    too_big = read(client, PORTFOLIO, secret, limit=read_api.MAX_LIMIT + 1)
    assert too_big.status_code == 422
    assert read(client, PORTFOLIO, secret, offset=-1).status_code == 422


def _portfolio_of(owner, start, count):
    for n in range(start, start + count):
        project = make(owner, f"Project {n:03}", status=ProjectStatus.AT_RISK)
        Alert.objects.create(project=project, kind=Alert.Kind.BUDGET, message="!")
        lead = UserFactory()
        membership_services.membership_set(
            project=project, user=lead, role=ProjectRole.LEAD
        )
        if n % 2:
            baseline = gate_run(project, "base", days_ago=2, scores={"tone": "0.9"})
            evaluation_services.baseline_accept(
                project=project, run=baseline, actor=lead, comment="Agreed."
            )
            gate_run(project, "next", scores={"tone": "0.8"})


def test_the_number_of_queries_does_not_grow_with_the_portfolio(
    client, executive, django_assert_num_queries
):
    owner = UserFactory()
    secret = secret_for(executive)
    _portfolio_of(owner, 0, 5)
    read(client, PORTFOLIO, secret)  # the first use records last_used_at
    cache.clear()  # what is cached from the rollups: measure both reads cold
    with CaptureQueriesContext(connection) as five:
        assert read(client, PORTFOLIO, secret).json()["count"] == 5
    _portfolio_of(owner, 5, 45)
    cache.clear()
    with django_assert_num_queries(len(five.captured_queries)):
        response = read(client, PORTFOLIO, secret, limit=100)
    assert response.json()["count"] == 50
    assert len(response.json()["items"]) == 50
    assert sum(bool(r["last_evaluation"]) for r in response.json()["items"]) == 25


# --- One project -----------------------------------------------------------------


def test_a_project_has_its_steps_readiness_targets_metrics_and_alerts(
    client, pm, pm_project
):
    approve_requirements(pm_project, pm)
    assessment_services.assessment_record(
        project=pm_project,
        assessor=pm,
        scores=[
            assessment_services.ScoreInput(c, 4 if c.area == "security" else 0, 4)
            for c in AssessmentCriterion.objects.all()
        ],
    )
    service = ConnectedService.objects.create(
        project=pm_project, kind="push", name="Push API"
    )
    yesterday = timezone.localdate() - timedelta(days=1)
    before = yesterday - timedelta(days=1)
    metric_services.samples_write(
        project=pm_project,
        service=service,
        samples=[
            Sample(Metric.REQUESTS, day_start(before), Bucket.DAY, Decimal(900)),
            Sample(Metric.REQUESTS, day_start(yesterday), Bucket.DAY, Decimal(1000)),
            Sample(
                Metric.LATENCY_P95_MS, day_start(yesterday), Bucket.DAY, Decimal(1800)
            ),
            Sample(
                Metric.QUALITY_SCORE,
                day_start(yesterday),
                Bucket.DAY,
                Decimal("0.9"),
                "helpfulness",
            ),
        ],
    )
    Alert.objects.create(
        project=pm_project, kind=Alert.Kind.LATENCY, message="p95 above target"
    )
    Alert.objects.create(
        project=pm_project,
        kind=Alert.Kind.QUALITY,
        message="resolved",
        status=Alert.Status.RESOLVED,
    )
    response = read(client, project_url(pm_project.slug), secret_for(pm))
    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == pm_project.slug
    assert body["owner"] == pm.display_name
    assert body["current_step"] == 1
    assert [s["number"] for s in body["steps"]] == [1, 2, 3, 4, 5, 6, 7]
    first = body["steps"][0]
    assert first["is_current"] is True
    # Approving the requirements ticked the step-1 items the document satisfies.
    assert first["status"] == "in_progress"
    ticked = ChecklistItem.objects.filter(
        project=pm_project, step__number=1, state=ItemState.DONE
    ).count()
    assert 0 < ticked < first["checklist_total"]
    assert first["checklist_done"] == ticked
    assert body["targets"]["monthly_budget_usd"] == 8000.0
    assert body["targets"]["quality_score_name"] == "helpfulness"
    by_area = body["readiness_by_area"]["by_area"]
    assert by_area["Security"] == 100.0
    assert all(v == 0.0 for area, v in by_area.items() if area != "Security")
    assert body["readiness"] == body["readiness_by_area"]["score"]
    latest = {(m["metric"], m["dimension"]): m for m in body["latest_metrics"]}
    assert latest[("requests", "")]["value"] == 1000.0
    assert latest[("requests", "")]["day"] == yesterday.isoformat()
    assert latest[("requests", "")]["source"] == "Push API"
    assert latest[("latency_p95_ms", "")]["value"] == 1800.0
    assert latest[("quality_score", "helpfulness")]["value"] == 0.9
    assert [a["message"] for a in body["alerts"]] == ["p95 above target"]
    assert body["alerts"][0]["kind"] == "latency"


def test_a_new_project_has_no_readiness_targets_or_metrics(client, pm, pm_project):
    body = read(client, project_url(pm_project.slug), secret_for(pm)).json()
    assert body["targets"] is None
    assert body["readiness_by_area"] is None
    assert body["latest_metrics"] == []
    assert body["alerts"] == []


# --- The schema ------------------------------------------------------------------


def test_the_openapi_schema_lists_the_read_endpoints_beside_ingest(client, pm):
    client.force_login(pm)
    schema = client.get(reverse("api:openapi-json")).json()
    assert "/api/v1/ingest" in schema["paths"]
    assert "get" in schema["paths"]["/api/v1/portfolio"]
    assert "get" in schema["paths"]["/api/v1/projects/{slug}"]
    row = schema["components"]["schemas"]["ProjectRow"]["properties"]
    assert "description" in row["readiness"]


def test_an_offset_beyond_any_portfolio_is_a_422_not_a_server_error(client, pm):
    response = read(client, PORTFOLIO, secret_for(pm), offset="9" * 20)
    assert response.status_code == 422
