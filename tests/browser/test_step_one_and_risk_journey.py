"""Two journeys by what is on the screen, on a laptop and on a phone:

- an owner approves the requirements and finds step 1's items the document satisfies
  already ticked, each with a link back to the approved version;
- an executive sees one meaning of "at risk": a project whose owner says "on track"
  but has an open alert is counted, filtered, listed with its reason and says so on
  its own overview, with the owner's word shown apart.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from assessments import services as assessment_services
from metrics.models import Alert
from projects import services
from projects.roles import GlobalRole
from tests.browser.helpers import page_problems, sign_in
from tests.factories import TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {
    "laptop": {"width": 1366, "height": 900},
    "phone": {"width": 390, "height": 844},
}

REQUIREMENTS = {
    "users": 800,
    "requests_per_day": 20000,
    "peak_rps": 12,
    "p95_latency_ms": 2500,
    "quality_score_name": "helpfulness",
    "data_classification": "internal",
    "cloud": "AWS",
    "region": "eu-west-1",
    "integration_points": [
        {"system": "Claims", "direction": "both", "protocol": "REST"}
    ],
    "success_criteria": [
        {
            "statement": "Deflect tickets",
            "metric": "deflection",
            "comparison": ">=",
            "target": "0.3",
        }
    ],
}


@pytest.fixture(params=sorted(VIEWPORTS))
def viewport(request, page):
    page.set_viewport_size(VIEWPORTS[request.param])
    return request.param


@pytest.fixture
def owner():
    return UserFactory(email="owner@runway.example", first_name="Olive")


def test_approving_requirements_ticks_what_the_document_satisfies(
    live_server, page, viewport, owner
):
    project = services.project_create(
        name="Claims Triage Assistant", team=TeamFactory(), owner=owner
    )
    assessment_services.requirements_save(
        project=project,
        author=owner,
        values={
            **REQUIREMENTS,
            "error_rate_pct": Decimal("1"),
            "uptime_pct": Decimal("99.9"),
            "quality_score_target": Decimal("0.85"),
            "monthly_budget_usd": Decimal("8000"),
        },
    )
    problems = page_problems(page)
    sign_in(page, live_server, "owner@runway.example")
    page.goto(f"{live_server.url}/projects/{project.slug}/requirements/")
    page.get_by_role("button", name="Approve", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text(
        "step-1 checklist items it satisfies are ticked"
    )

    page.goto(f"{live_server.url}/projects/{project.slug}/steps/1/")
    volume = "Estimate users, daily request volume and peak request rate"
    expect(page.get_by_role("button", name=f"Untick: {volume}")).to_be_visible()
    # Not in the document: still the owner's to tick.
    expect(
        page.get_by_role(
            "button",
            name="Tick: Record model choice drivers and the intended routing tiers",
        )
    ).to_be_visible()
    item = page.locator("li.item").filter(has_text=volume)
    item.get_by_role("list", name="Evidence").get_by_role("link").click()
    page.wait_for_url(f"**/projects/{project.slug}/requirements/#version-1")
    expect(page.locator("#version-1")).to_contain_text("Approved")
    assert problems == []


def test_at_risk_means_the_same_everywhere(live_server, page, viewport):
    executive = UserFactory(email="exec@runway.example", roles=[GlobalRole.EXECUTIVE])
    owner = UserFactory()
    services.project_create(name="Quiet Helper", team=TeamFactory(), owner=owner)
    alerted = services.project_create(
        name="Noisy Copilot", team=TeamFactory(), owner=owner
    )
    Alert.objects.create(project=alerted, kind=Alert.Kind.LATENCY, message="slow")
    problems = page_problems(page)
    sign_in(page, live_server, executive.email)

    tile = page.locator(".tile").filter(has_text="At risk")
    expect(tile.locator(".tile-value")).to_have_text("1")
    page.get_by_label("At risk only").check()
    table = page.get_by_role("region", name="Projects table")
    expect(table.get_by_role("link", name="Noisy Copilot")).to_be_visible()
    expect(table.get_by_role("link", name="Quiet Helper")).to_have_count(0)
    row = table.get_by_role("row").filter(has_text="Noisy Copilot")
    expect(row).to_contain_text("open alert")
    expect(row).to_contain_text("On track")  # the owner's word, in its own column

    page.goto(f"{live_server.url}/projects/?at_risk=1")
    expect(page.get_by_label("At risk only")).to_be_checked()
    table = page.get_by_role("region", name="Projects table")
    expect(table.get_by_role("row").filter(has_text="Noisy Copilot")).to_contain_text(
        "open alert"
    )
    expect(table.get_by_role("link", name="Quiet Helper")).to_have_count(0)

    table.get_by_role("link", name="Noisy Copilot").click()
    about = page.get_by_role("region", name="About")
    expect(about).to_contain_text("At risk")
    expect(about).to_contain_text("Yes: open alert")
    owner_word = page.locator("dl.facts > div").filter(has_text="Owner's status")
    expect(owner_word.locator("dd")).to_have_text("On track")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= VIEWPORTS[viewport]["width"]
    assert problems == []
