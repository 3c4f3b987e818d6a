"""The portfolio in a real browser: an executive filters it, the URL, the table and the
charts follow without a reload, sorting swaps only the table, and a row opens its project."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from metrics import services as metric_services
from projects import services
from projects.models import ProjectStatus
from projects.roles import GlobalRole
from tests.browser.helpers import page_problems, sign_in
from tests.factories import (
    TeamFactory,
    UserFactory,
    approve_requirements,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def portfolio():
    UserFactory(email="exec@runway.example", roles=[GlobalRole.EXECUTIVE])
    pm = UserFactory(email="pm@runway.example", first_name="Priya")
    claims, sales = TeamFactory(name="Claims"), TeamFactory(name="Sales")
    triage = services.project_create(
        name="Claims Triage Assistant", team=claims, owner=pm
    )
    approve_requirements(triage, pm)
    source = metric_services.service_create(
        project=triage,
        kind="demo",
        name="Demo generator",
        created_by=pm,
        config={"seed": "browser", "quality_score_name": "helpfulness"},
    )
    metric_services.service_sync(service=source)
    services.project_create(name="Sales Email Writer", team=sales, owner=pm)
    blocked = services.project_create(name="Claims Fraud Flags", team=claims, owner=pm)
    blocked.status = ProjectStatus.BLOCKED
    blocked.save()
    return claims


def test_the_executive_filters_the_portfolio_and_drills_down(
    live_server, page, portfolio
):
    problems = page_problems(page)
    sign_in(page, live_server, "exec@runway.example")

    table = page.locator("#portfolio-table tbody")
    expect(table.locator("tr")).to_have_count(3)
    for chart in ("funnel-chart", "spend-chart", "quality-chart"):
        expect(page.locator(f'[data-chart="{chart}"] .main-svg').first).to_be_visible()
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Team", exact=True).select_option(label="Claims")
    page.wait_for_url(f"**/?team={portfolio.slug}")
    expect(table.locator("tr")).to_have_count(2)
    expect(page.locator("#portfolio-table")).not_to_contain_text("Sales Email Writer")
    # The charts were drawn again for the filtered projects.
    expect(page.locator('[data-chart="funnel-chart"] .main-svg').first).to_be_visible()
    expect(page.get_by_role("link", name="Export CSV")).to_have_attribute(
        "href", f"/portfolio.csv?team={portfolio.slug}"
    )

    page.get_by_label("At risk only").check()
    page.wait_for_url(f"**/?team={portfolio.slug}&at_risk=1")
    # The blocked one by its owner's word; the demo data's quality dips below the
    # target, which opens an alert on the other.
    expect(table.locator("tr")).to_have_count(2)
    expect(table.locator("tr", has_text="Claims Fraud Flags")).to_contain_text(
        "owner says blocked"
    )
    expect(table.locator("tr", has_text="Claims Triage Assistant")).to_contain_text(
        "open alert"
    )
    expect(page.get_by_label("Headline numbers")).to_contain_text("At risk2")

    page.get_by_label("At risk only").uncheck()
    page.wait_for_url(f"**/?team={portfolio.slug}")
    # Sorted by name, A to Z, by default: the header's link turns it around.
    page.get_by_role("link", name="Project", exact=True).click()
    page.wait_for_url("**sort=-name")
    expect(page.locator('th[aria-sort="descending"]')).to_have_text("Project ▼")
    expect(table.locator("tr").first).to_contain_text("Claims Triage Assistant")
    assert page.evaluate("window.notReloaded") is True

    table.get_by_role("link", name="Claims Triage Assistant").click()
    page.wait_for_url("**/projects/claims-triage-assistant/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Claims Triage Assistant"
    )
    assert problems == [], problems


def test_the_board_report_prints_the_filtered_portfolio(live_server, page, portfolio):
    problems = page_problems(page)
    sign_in(page, live_server, "exec@runway.example")
    page.goto(f"{live_server.url}/?team={portfolio.slug}")
    page.get_by_role("link", name="Board report").click()
    page.wait_for_url(f"**/portfolio/report/?team={portfolio.slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "AI portfolio — board report"
    )
    expect(page.locator(".report-header")).to_contain_text("Team Claims")
    expect(page.get_by_role("region", name="At risk (2)")).to_contain_text(
        "Claims Fraud Flags"
    )
    expect(page.locator("svg[role=img]")).to_have_count(3)
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename.startswith("runway-board-report-")
    assert problems == [], problems
