"""The dashboard in a real browser: every chart drawn, the range changes without a reload,
and the CSP reports no violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from projects import services
from tests.browser.helpers import sign_in
from tests.factories import (
    TeamFactory,
    UserFactory,
    approve_requirements,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_project():
    from metrics import services as metric_services

    pm = UserFactory(email="pm@runway.example", first_name="Priya")
    project = services.project_create(
        name="Claims Triage Assistant", team=TeamFactory(), owner=pm
    )
    approve_requirements(project, pm)
    source = metric_services.service_create(
        project=project,
        kind="demo",
        name="Demo generator",
        created_by=pm,
        config={
            "seed": "browser",
            "requests_per_day": 20000,
            "quality_score_name": "helpfulness",
        },
    )
    metric_services.service_sync(service=source)
    return project


def test_the_dashboard_draws_every_chart_and_changes_range_in_place(
    live_server, page, demo_project
):
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            msg.type in ("error", "warning")
            and "Content Security Policy" in msg.text
            and problems.append(msg.text)
        ),
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    sign_in(page, live_server, "pm@runway.example")

    page.goto(f"{live_server.url}/projects/{demo_project.slug}/dashboard/")
    page.evaluate("window.notReloaded = true")
    charts = page.locator("[data-chart]")
    expect(charts).to_have_count(8)
    for n in range(8):
        expect(charts.nth(n).locator(".main-svg").first).to_be_visible()

    page.get_by_role("link", name="7 days").click()
    page.wait_for_url("**/dashboard/?range=7")
    expect(page.get_by_text("Showing")).to_contain_text("Showing")
    expect(
        page.locator("#dashboard-body [data-chart]").first.locator(".main-svg").first
    ).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    assert problems == [], problems
