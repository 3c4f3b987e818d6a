"""The Assessments page: readiness, open gaps and decisions across visible projects."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import scoring, services
from assessments.models import AssessmentCriterion
from projects import services as project_services
from projects.models import ItemState
from projects.roles import GlobalRole
from tests.assessments.conftest import HTMX
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

INDEX = "/assessments/"

# Two gaps (secrets 1 → 4, alerting 0 → 3); every other criterion at its target.
GAPS = {"arch-secrets-out-of-code": (1, 4), "ops-alerting": (0, 3)}
BUILD = {"ml_expertise": 5, "devops": 5, "security": 5, "timeline": 1, "maintenance": 5}
PARTNER = {
    "ml_expertise": 1,
    "devops": 1,
    "security": 1,
    "timeline": 5,
    "maintenance": 1,
}


def assess(project, assessor, changes=None):
    changes = GAPS if changes is None else changes
    return services.assessment_record(
        project=project,
        assessor=assessor,
        scores=[
            services.ScoreInput(
                c, *changes.get(c.key, (c.default_target, c.default_target))
            )
            for c in AssessmentCriterion.objects.filter(active=True)
        ],
    )


def score(project, author, scores):
    return services.partner_scoring_save(
        project=project, author=author, scores=scores, weights=scoring.DEFAULT_WEIGHTS
    )


def rows(body):
    """{project name: [readiness, last assessed, open gaps, outcome]} from the table."""
    table = body[body.index('<div id="assessment-table">') :]
    found = {}
    for row in re.findall(r"<tr>\s*<td>.*?</tr>", table, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        found[cells[0]] = [cells[2], cells[3], cells[4], cells[5]]
    return found


@pytest.fixture
def portfolio(people):
    """The people's project (assessed, scored) and two more the owner is not on."""
    owner, lead = people["owner"], people["lead"]
    claims = people["project"]
    other_team = TeamFactory(name="Retail", slug="retail")
    stranger = UserFactory()
    pricing = project_services.project_create(
        name="Pricing Agent", team=other_team, owner=stranger
    )
    search = project_services.project_create(
        name="Search Assistant", team=other_team, owner=stranger
    )
    assessment = assess(claims, lead)
    score(claims, owner, PARTNER)
    score(pricing, stranger, BUILD)
    return {
        "claims": claims,
        "pricing": pricing,
        "search": search,
        "assessment": assessment,
        "executive": UserFactory(roles=[GlobalRole.EXECUTIVE]),
        "retail": other_team,
    }


def test_members_see_only_their_projects_with_readiness_gaps_and_outcome(
    as_, people, portfolio
):
    response = as_(people["owner"]).get(INDEX)
    assert response.status_code == 200
    found = rows(response.content.decode())
    assert list(found) == ["Claims Triage Assistant"]
    readiness, assessed, gaps, outcome = found["Claims Triage Assistant"]
    assert readiness == f"{portfolio['assessment'].overall_readiness}%" == "93.0%"
    assert assessed == f"{portfolio['assessment'].created_at:%Y-%m-%d}"
    assert (gaps, outcome) == ("2", "Partner")


def test_executives_see_every_project(as_, portfolio):
    found = rows(as_(portfolio["executive"]).get(INDEX).content.decode())
    assert list(found) == [
        "Claims Triage Assistant",
        "Pricing Agent",
        "Search Assistant",
    ]
    assert found["Pricing Agent"] == ["—", "not yet", "0", "Build"]
    assert found["Search Assistant"] == ["—", "not yet", "0", "not scored"]


def test_outsiders_see_none_of_the_projects(as_, people, portfolio):
    found = rows(as_(people["outsider"]).get(INDEX).content.decode())
    assert found == {}


def test_the_latest_assessment_and_scoring_count(as_, people, portfolio):
    claims = portfolio["claims"]
    latest = assess(claims, people["lead"], {"ops-alerting": (1, 3)})
    score(claims, people["owner"], BUILD)
    found = rows(as_(people["owner"]).get(INDEX).content.decode())
    assert found["Claims Triage Assistant"][0] == f"{latest.overall_readiness}%"
    assert found["Claims Triage Assistant"][2:] == ["1", "Build"]


def test_open_gaps_leave_out_gaps_whose_item_is_closed(as_, people, portfolio):
    assessment, lead = portfolio["assessment"], people["lead"]
    gap = assessment.scores.get(criterion__key="ops-alerting")
    services.gap_to_checklist(
        score=gap, step_number=7, assignee=lead, due_date=None, actor=lead
    )
    client = as_(people["owner"])
    # An owned but open item is still an open gap.
    assert rows(client.get(INDEX).content.decode())["Claims Triage Assistant"][2] == "2"
    gap.refresh_from_db()
    project_services.item_set_state(
        item=gap.checklist_item, state=ItemState.DONE, actor=lead
    )
    body = client.get(INDEX).content.decode()
    assert rows(body)["Claims Triage Assistant"][2] == "1"
    # The tiles count open gaps by area.
    assert (
        '<p class="tile-label">Open gaps: Architecture</p><p class="tile-value">1</p>'
        in body
    )
    assert "Open gaps: Operations" not in body


def test_open_gaps_are_counted_per_project(as_, people, portfolio):
    # A second assessed project with one gap must not change the first one's count.
    assess(portfolio["pricing"], people["lead"], {"data-real-data": (0, 3)})
    found = rows(as_(portfolio["executive"]).get(INDEX).content.decode())
    assert found["Claims Triage Assistant"][2] == "2"
    assert found["Pricing Agent"][2] == "1"


def test_the_team_filter(as_, portfolio):
    client = as_(portfolio["executive"])
    found = rows(client.get(INDEX, {"team": "retail"}).content.decode())
    assert list(found) == ["Pricing Agent", "Search Assistant"]


@pytest.mark.parametrize(
    ("outcome", "names"),
    [
        ("build", ["Pricing Agent"]),
        ("partner", ["Claims Triage Assistant"]),
        ("hybrid", []),
    ],
)
def test_the_outcome_filter(as_, portfolio, outcome, names):
    found = rows(
        as_(portfolio["executive"]).get(INDEX, {"outcome": outcome}).content.decode()
    )
    assert list(found) == names


@pytest.mark.parametrize(
    ("assessed", "names"),
    [
        ("yes", ["Claims Triage Assistant"]),
        ("no", ["Pricing Agent", "Search Assistant"]),
    ],
)
def test_the_assessed_filter(as_, portfolio, assessed, names):
    found = rows(
        as_(portfolio["executive"]).get(INDEX, {"assessed": assessed}).content.decode()
    )
    assert list(found) == names


def test_no_match_says_so(as_, portfolio):
    body = (
        as_(portfolio["executive"])
        .get(INDEX, {"team": "retail", "assessed": "yes"})
        .content.decode()
    )
    assert rows(body) == {}
    assert "No projects match" in body


def test_the_htmx_table_request_returns_only_the_table(as_, portfolio):
    response = as_(portfolio["executive"]).get(
        INDEX, {"outcome": "build"}, HTTP_HX_TARGET="assessment-table", **HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="assessment-table">')
    assert list(rows(body)) == ["Pricing Agent"]


def test_an_htmx_request_for_another_target_gets_the_page(as_, portfolio):
    response = as_(portfolio["executive"]).get(INDEX, HTTP_HX_TARGET="main", **HTMX)
    assert "<html" in response.content.decode()


def test_the_index_refuses_post(as_, portfolio):
    assert as_(portfolio["executive"]).post(INDEX).status_code == 405


def test_anonymous_visitors_are_sent_to_sign_in(client, portfolio):
    response = client.get(INDEX)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def count_queries(client, url):
    client.get(url)  # warm up: the first request of a session writes it
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_query_count_does_not_grow_with_projects(as_, people):
    executive = UserFactory(roles=[GlobalRole.EXECUTIVE])
    team = people["project"].team

    def add_projects(n, start):
        for i in range(start, start + n):
            project = project_services.project_create(
                name=f"Assessed {i:02}", team=team, owner=people["owner"]
            )
            assessment = assess(project, people["lead"])
            gap = assessment.scores.get(criterion__key="ops-alerting")
            services.gap_to_checklist(
                score=gap,
                step_number=7,
                assignee=people["owner"],  # a gap's owner is one of its members
                due_date=None,
                actor=people["lead"],
            )
            score(project, people["owner"], BUILD)

    add_projects(3, 0)
    client = as_(executive)
    before = count_queries(client, INDEX)
    add_projects(9, 3)
    body = client.get(INDEX).content.decode()
    assert len(rows(body)) == 13  # 12 assessed and the people's project
    assert count_queries(client, INDEX) == before
