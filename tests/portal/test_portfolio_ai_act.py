"""The EU AI Act tier on the portfolio: a column of the table and a filter that narrows
every part of the page, as the other filters do."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from portal.portfolio import filters_description, filters_from, filters_query
from portal.selectors import Portfolio, PortfolioFilters, portfolio_projects
from projects.models import ProjectStatus
from risks.ai_act import Answers
from risks.ai_act_services import ai_act_answer
from tests.factories import TeamFactory
from tests.html import page, table_headers, table_rows, text
from tests.portal import portfolio_helpers
from tests.portal.portfolio_helpers import make

pytestmark = pytest.mark.django_db

executive, owner = portfolio_helpers.executive, portfolio_helpers.owner

HIGH = Answers(annex_iii_area="employment")
LIMITED = Answers(transparency=("interacts",))


@pytest.fixture
def tiers(owner):
    """Screener high-risk (and blocked: at risk), Copilot limited, Notes not assessed."""
    claims = TeamFactory(name="Claims")
    screener = make(owner, "Screener", team=claims, status=ProjectStatus.BLOCKED)
    ai_act_answer(project=screener, by=owner, answers=HIGH)
    copilot = make(owner, "Copilot", team=claims)
    ai_act_answer(project=copilot, by=owner, answers=LIMITED)
    make(owner, "Notes")
    return claims


def names(user, **filters):
    return sorted(p.name for p in portfolio_projects(user, PortfolioFilters(**filters)))


def test_the_tier_filter_narrows_the_projects(executive, tiers):
    assert names(executive, ai_act_tier="high") == ["Screener"]
    assert names(executive, ai_act_tier="limited") == ["Copilot"]
    assert names(executive, ai_act_tier="unassessed") == ["Notes"]
    assert names(executive, ai_act_tier="minimal") == []
    assert names(executive, ai_act_tier="limited", team=tiers.slug) == ["Copilot"]
    assert names(executive) == ["Copilot", "Notes", "Screener"]


def test_the_tier_filter_narrows_every_tile(executive, tiers):
    high = Portfolio(executive, PortfolioFilters(ai_act_tier="high")).overview()
    assert (high.projects, high.in_flight, high.at_risk) == (1, 1, 1)
    limited = Portfolio(executive, PortfolioFilters(ai_act_tier="limited")).overview()
    assert (limited.projects, limited.in_flight, limited.at_risk) == (1, 1, 0)
    funnel = {n: count for n, _, count in limited.funnel}
    assert sum(funnel.values()) == 1


def test_the_filter_comes_from_the_url_and_goes_back_into_links():
    filters = filters_from(QueryDict("ai_act_tier=high&team=claims"))
    assert filters.ai_act_tier == "high"
    assert filters.active
    assert filters_query(filters) == "team=claims&ai_act_tier=high"
    assert filters_from(QueryDict("ai_act_tier=nonsense")) == PortfolioFilters()
    assert (
        filters_description(PortfolioFilters(ai_act_tier="unassessed"), {}, {})
        == "EU AI Act tier not assessed"
    )


def test_the_page_shows_the_tier_column_and_filters_by_it(client, executive, tiers):
    client.force_login(executive)
    doc = page(client.get("/"))
    table = doc.find("section", id="portfolio-table").find("table")
    headers = table_headers(table)
    assert "AI Act tier" in headers
    column = headers.index("AI Act tier")
    tiers_shown = {row[0]: row[column] for row in table_rows(table)}
    assert tiers_shown == {
        "Copilot": "Limited risk",
        "Notes": "Not assessed",
        "Screener": "High-risk",
    }
    select = doc.find("select", attrs={"name": "ai_act_tier"})
    assert text(doc.find("label", attrs={"for": select["id"]})) == "AI Act tier"
    assert [text(o) for o in select.find_all("option")] == [
        "Any",
        "Prohibited",
        "High-risk",
        "Limited risk",
        "Minimal risk",
        "Not assessed",
    ]

    response = client.get(
        "/?ai_act_tier=high", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="portfolio-body"
    )
    assert response["HX-Push-Url"] == "/?ai_act_tier=high"
    body = page(response)
    rows = table_rows(body.find("section", id="portfolio-table").find("table"))
    assert [row[0] for row in rows] == ["Screener"]
    assert "1 project match these filters" in text(body.find(class_="toolbar"))


def test_a_change_of_tier_shows_on_the_rendered_portfolio(
    client, executive, owner, tiers
):
    client.force_login(executive)
    assert "Not assessed" in text(page(client.get("/?ai_act_tier=unassessed")))
    notes = portfolio_projects(
        executive, PortfolioFilters(ai_act_tier="unassessed")
    ).get()
    ai_act_answer(project=notes, by=owner, answers=Answers())
    doc = page(client.get("/?ai_act_tier=unassessed"))
    assert "No project matches these filters" in text(doc)
