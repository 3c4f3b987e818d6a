"""Confidential spend is never one click from leaving the company: a chart's mode bar
offers only download-as-image and reset axes, and stays out of the screen reader's
way. The board report loads without a 404 (its favicon included)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from projects.roles import GlobalRole
from tests.browser.helpers import sign_in
from tests.browser.test_dashboard_journey import demo_project  # noqa: F401 (fixture)
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_chart_offers_only_download_and_reset(live_server, page, demo_project):  # noqa: F811
    sign_in(page, live_server, "pm@runway.example")
    page.goto(f"{live_server.url}/projects/{demo_project.slug}/dashboard/")
    chart = page.locator("[data-chart]").first
    expect(chart.locator(".main-svg").first).to_be_visible()
    chart.hover()

    buttons = chart.locator(".modebar-btn")
    titles = {
        buttons.nth(n).get_attribute("data-title") for n in range(buttons.count())
    }
    assert titles == {"Download plot as a PNG", "Reset axes"}
    bars = chart.locator(".modebar-container")
    for n in range(bars.count()):
        assert bars.nth(n).get_attribute("aria-hidden") == "true"
    assert (
        "plot.ly" not in chart.inner_html() and "chart-studio" not in chart.inner_html()
    )


def test_the_board_report_loads_without_a_missing_file(live_server, page):
    UserFactory(email="exec@runway.example", roles=[GlobalRole.EXECUTIVE])
    missing: list[str] = []
    page.on(
        "response",
        lambda response: response.status >= 400 and missing.append(response.url),
    )
    sign_in(page, live_server, "exec@runway.example")
    page.goto(f"{live_server.url}/portfolio/report/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert missing == []
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon and page.request.get(live_server.url + icon).ok
