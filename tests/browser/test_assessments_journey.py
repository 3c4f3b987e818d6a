"""The PM weighs build vs partner and compares model costs in a real browser."""

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

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def pm_project():
    pm = UserFactory(email="pm@runway.example", first_name="Priya")
    project = services.project_create(
        name="Claims Triage Assistant", team=TeamFactory(), owner=pm
    )
    approve_requirements(project, pm)
    return project


def test_the_recommendation_follows_the_scores_without_a_reload(
    live_server, page, pm_project
):
    sign_in(page, live_server, "pm@runway.example")
    page.goto(f"{live_server.url}/projects/{pm_project.slug}/build-vs-partner/")
    page.evaluate("window.notReloaded = true")
    result = page.locator("#partner-result")

    for label, value in [
        ("Internal AI/ML expertise", "5"),
        ("DevOps and infrastructure capability", "5"),
        ("Security and compliance knowledge for the industry", "5"),
        ("Timeline pressure", "1"),
        ("Long-term maintenance capacity", "5"),
    ]:
        page.get_by_label(label, exact=True).select_option(value)
    expect(result).to_contain_text("Build")
    expect(result).to_contain_text("build score 100.0")

    page.get_by_label("DevOps and infrastructure capability", exact=True).select_option(
        "1"
    )
    page.get_by_label("Timeline pressure", exact=True).select_option("5")
    page.get_by_label("Internal AI/ML expertise", exact=True).select_option("3")
    expect(result).to_contain_text("Hybrid")
    expect(result).to_contain_text(
        "DevOps capacity and timeline pull towards a partner"
    )
    expect(result).to_contain_text("would make it")
    assert page.evaluate("window.notReloaded") is True

    page.get_by_role("button", name="Save this scoring").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.locator("#toasts")).to_contain_text("Scoring saved: Hybrid")


def test_the_cost_projection_updates_as_the_routing_changes(
    live_server, page, pm_project
):
    sign_in(page, live_server, "pm@runway.example")
    page.goto(f"{live_server.url}/projects/{pm_project.slug}/costs/")
    result = page.locator("#cost-result")
    from assessments.models import ModelPrice

    print("DBG", ModelPrice.objects.count(), page.locator("main").inner_text()[:1500])
    expect(result).to_contain_text("a month")
    page.get_by_label("Input tokens per request").fill("1500")
    expect(result).to_contain_text("monthly budget")
    before = result.inner_text()
    page.get_by_label("Tier 1 share (%)").fill("50")
    page.get_by_label("Tier 2 share (%)").fill("50")
    expect(result).not_to_have_text(before)
    expect(page.locator("#cost-result [data-chart] .main-svg").first).to_be_visible()
