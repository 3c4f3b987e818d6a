""" "At risk" has one meaning (domain.md): the portfolio tile and its filter, the
projects list and its filter, a project's overview and the read API all agree on
which projects are at risk, and each lists why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from metrics.models import Alert
from portal import tokens
from projects import services
from projects.models import ProjectStatus, ProjectStep, StepStatus
from projects.roles import GlobalRole
from tests.factories import TeamFactory, UserFactory
from tests.html import page, table_headers, table_rows, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def executive():
    return UserFactory(roles=[GlobalRole.EXECUTIVE])


@pytest.fixture
def portfolio(executive):
    """Five projects, each at risk for one reason, or not at all."""
    owner = UserFactory()

    def make(name, **changes):
        project = services.project_create(name=name, team=TeamFactory(), owner=owner)
        for field, value in changes.items():
            setattr(project, field, value)
        project.save()
        return project

    calm = make("Calm")
    alerted = make("Alerted")  # the owner says on track
    Alert.objects.create(project=alerted, kind=Alert.Kind.LATENCY, message="slow")
    make("Flagged", status=ProjectStatus.BLOCKED)
    overdue = make("Overdue")
    ProjectStep.objects.filter(project=overdue, step__number=2).update(
        due_date=timezone.localdate() - timedelta(days=3)
    )
    stalled = make("Stalled")
    ProjectStep.objects.filter(project=stalled, step__number=1).update(
        status=StepStatus.IN_PROGRESS,
        started_at=timezone.now() - timedelta(days=60),
        last_activity_at=timezone.now() - timedelta(days=45),
    )
    return {"calm": calm, "alerted": alerted, "overdue": overdue}


EXPECTED = {
    "Alerted": "open alert",
    "Flagged": "owner says blocked",
    "Overdue": "overdue step",
    "Stalled": "stalled",
}


def _column(table, heading):
    at = table_headers(table).index(heading)
    return {row[0]: row[at] for row in table_rows(table)}


def test_the_portfolio_counts_filters_and_explains_the_same_projects(
    client, executive, portfolio
):
    client.force_login(executive)
    doc = page(client.get("/"))
    tile = next(
        t for t in doc.select(".tile") if text(t.select_one(".tile-label")) == "At risk"
    )
    assert text(tile.select_one(".tile-value")) == str(len(EXPECTED))
    reasons = _column(doc.select_one("#portfolio-table table"), "At risk because")
    assert reasons == {**EXPECTED, "Calm": "—"}

    only = page(client.get("/", {"at_risk": "1"}))
    table = only.select_one("#portfolio-table table")
    assert sorted(row[0] for row in table_rows(table)) == sorted(EXPECTED)


def test_the_projects_list_says_the_same_and_shows_the_owners_word_apart(
    client, executive, portfolio
):
    client.force_login(executive)
    table = page(client.get("/projects/")).select_one("#project-table table")
    assert _column(table, "At risk because") == {**EXPECTED, "Calm": "—"}
    # The owner says on track; the open alert still puts the project at risk.
    assert _column(table, "Owner's status")["Alerted"] == "On track"

    doc = page(client.get("/projects/", {"at_risk": "1"}))
    table = doc.select_one("#project-table table")
    assert sorted(row[0] for row in table_rows(table)) == sorted(EXPECTED)
    assert doc.find("input", {"name": "at_risk"}).find_parent("label") is not None
    assert "At risk only" in text(doc.find("input", {"name": "at_risk"}).parent)


def test_a_projects_overview_says_whether_and_why_it_is_at_risk(
    client, executive, portfolio
):
    client.force_login(executive)
    for project, expected in (
        (portfolio["alerted"], "Yes: open alert"),
        (portfolio["overdue"], "Yes: overdue step"),
        (portfolio["calm"], "No"),
    ):
        doc = page(client.get(project.get_absolute_url()))
        term = next(dt for dt in doc.select("dl.details dt") if text(dt) == "At risk")
        assert text(term.find_next_sibling("dd")) == expected
        facts = {text(d.dt): text(d.dd) for d in doc.select("dl.facts > div")}
        assert facts["Owner's status"] == "On track"


def test_the_read_api_agrees(client, executive, portfolio):
    secret = tokens.api_token_create(user=executive, name="BI", lifetime=None)[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    summary = client.get("/api/v1/portfolio", **auth).json()
    assert summary["headline"]["at_risk"] == len(EXPECTED)
    listed = client.get("/api/v1/portfolio", {"at_risk": "true"}, **auth).json()
    assert {p["name"]: p["at_risk_reasons"] for p in listed["items"]} == {
        name: [reason] for name, reason in EXPECTED.items()
    }
    one = client.get(f"/api/v1/projects/{portfolio['calm'].slug}", **auth).json()
    assert one["at_risk"] is False and one["at_risk_reasons"] == []


def test_an_alert_resolved_takes_the_project_off_the_list(client, executive, portfolio):
    client.force_login(executive)
    Alert.objects.filter(project=portfolio["alerted"]).update(
        status=Alert.Status.RESOLVED
    )
    # The update bypassed the signals that move the cached pages on; a save does not.
    for alert in Alert.objects.filter(project=portfolio["alerted"]):
        alert.save()
    table = page(client.get("/projects/")).select_one("#project-table table")
    assert _column(table, "At risk because")["Alerted"] == "—"
