"""The portfolio's residual risk heat map: the live risks of the projects shown,
counted by residual impact and likelihood, each cell saying its band in words, and
following the portfolio's filters."""

from __future__ import annotations

import pytest

from portal.selectors import Portfolio, PortfolioFilters
from projects.models import ProjectStatus
from risks import services
from risks.models import RiskCategory, RiskStatus
from tests.factories import TeamFactory
from tests.html import page, table_headers, text
from tests.portal import portfolio_helpers
from tests.portal.portfolio_helpers import make

pytestmark = pytest.mark.django_db

executive, owner = portfolio_helpers.executive, portfolio_helpers.owner


def risk(project, likelihood, impact, status=None):
    made = services.risk_create(
        project=project,
        title=f"Risk {likelihood}×{impact}",
        category=RiskCategory.SECURITY,
        residual_likelihood=likelihood,
        residual_impact=impact,
    )
    if status is not None:
        services.risk_update(risk=made, status=status)
    return made


def heat_map(client, query=""):
    """The heat map section of the portfolio page, and its cells by row heading."""
    heading = page(client.get(f"/{query}")).find(id="risk-heat-heading")
    section = heading.find_parent("section")
    table = section.find("table")
    cells = {}
    if table is not None:
        for row in table.find("tbody").find_all("tr"):
            cells[text(row.find("th"))] = [text(td) for td in row.find_all("td")]
    return section, table, cells


def test_it_counts_live_risks_by_residual_impact_and_likelihood(
    client, executive, owner
):
    first, second = make(owner, "First"), make(owner, "Second")
    risk(first, 4, 5)
    risk(second, 4, 5)
    risk(first, 1, 2)
    risk(first, 2, 2, status=RiskStatus.CLOSED)  # no longer carried
    client.force_login(executive)

    section, table, cells = heat_map(client)
    assert table_headers(table) == [
        "Impact ↓ / Likelihood →",
        "1 Rare",
        "2 Unlikely",
        "3 Possible",
        "4 Likely",
        "5 Almost certain",
    ]
    assert list(cells) == [
        "5 Severe",
        "4 Major",
        "3 Moderate",
        "2 Minor",
        "1 Negligible",
    ]
    assert cells["5 Severe"] == [
        "0 medium",
        "0 high",
        "0 critical",
        "2 critical",
        "0 critical",
    ]
    assert cells["2 Minor"][0] == "1 low"
    assert sum(int(c.split()[0]) for row in cells.values() for c in row) == 3
    assert "3 live risks" in text(table.find("caption"))
    assert all(th["scope"] == "row" for th in table.select("tbody th"))
    assert all(th["scope"] == "col" for th in table.select("thead th"))
    legend = text(section.find(class_="legend"))
    assert "low 1–4" in legend and "critical 15–25" in legend
    assert "scored 15 or more needs an executive" in legend


def test_suggestions_are_not_in_the_map_until_taken_into_the_register(
    client, executive, owner
):
    project = make(owner, "Suggested only")  # the library suggests risks on creation
    assert project.risks.filter(status=RiskStatus.SUGGESTED).exists()
    client.force_login(executive)
    section, table, _ = heat_map(client)
    assert table is None
    assert "No live risk yet" in text(section)


def test_it_follows_the_portfolio_filters(client, executive, owner):
    claims, sales = TeamFactory(name="Claims"), TeamFactory(name="Sales")
    risk(make(owner, "In claims", team=claims), 5, 5)
    risk(make(owner, "In sales", team=sales), 1, 1)
    risk(make(owner, "Also in sales", team=sales), 1, 1)
    client.force_login(executive)

    _, _, cells = heat_map(client, f"?team={claims.slug}")
    assert cells["5 Severe"][4] == "1 critical"
    assert cells["1 Negligible"][0] == "0 low"

    _, _, cells = heat_map(client, f"?team={sales.slug}")
    assert cells["5 Severe"][4] == "0 critical"
    assert cells["1 Negligible"][0] == "2 low"

    filters = PortfolioFilters(team=sales.slug)
    assert Portfolio(executive, filters).risk_heat_map().total == 2

    make(
        owner, "Riskless", team=TeamFactory(name="Legal"), status=ProjectStatus.BLOCKED
    )
    section, table, _ = heat_map(client, "?status=blocked")
    assert table is None
    assert "No live risk in the projects matching these filters" in text(section)


def test_it_shows_only_the_projects_the_viewer_sees(client, owner):
    mine = make(owner, "Mine")
    risk(mine, 3, 3)
    risk(make(portfolio_helpers.UserFactory(), "Not mine"), 3, 3)
    client.force_login(owner)
    _, _, cells = heat_map(client)
    assert cells["3 Moderate"][2] == "1 medium"


def test_a_new_risk_shows_on_the_cached_portfolio(client, executive, owner):
    project = make(owner, "Cached")
    risk(project, 2, 3)
    client.force_login(executive)
    assert heat_map(client)[2]["3 Moderate"][1] == "1 medium"
    risk(project, 2, 3)
    assert heat_map(client)[2]["3 Moderate"][1] == "2 medium"
