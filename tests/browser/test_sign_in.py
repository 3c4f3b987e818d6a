"""A product manager signs in through the real sign-in page, sees the portfolio, signs out."""

from __future__ import annotations

import pytest

from projects.models import ProjectRole
from projects.roles import GlobalRole
from tests.factories import (
    TEST_PASSWORD,
    MembershipFactory,
    ProjectFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def demo_pm():
    pm = UserFactory(
        email="pm@runway.example",
        first_name="Priya",
        last_name="Manager",
        roles=[GlobalRole.PRODUCT_MANAGER],
    )
    MembershipFactory(
        user=pm, role=ProjectRole.OWNER, project=ProjectFactory(name="Support Copilot")
    )
    ProjectFactory(name="Someone Else's Project")
    return pm


def test_a_product_manager_signs_in_sees_the_portfolio_and_signs_out(
    live_server, page, demo_pm
):
    problems: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Email").fill("pm@runway.example")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    page.wait_for_url(live_server.url + "/")
    assert page.get_by_role("heading", name="Portfolio").is_visible()
    assert page.get_by_role("link", name="Support Copilot").is_visible()
    assert page.get_by_text("Someone Else's Project").count() == 0
    user_menu = page.locator(".user-menu summary")
    assert user_menu.get_by_text("Priya Manager").is_visible()
    assert user_menu.get_by_text("Product manager").is_visible()
    nav = page.get_by_role("navigation", name="Main")
    for item in ("Portfolio", "Projects", "Assessments", "Metrics"):
        assert nav.get_by_role("link", name=item).is_visible()
    assert nav.get_by_role("link", name="Admin").count() == 0
    # htmx loaded under the CSP (scripts only with the nonce).
    assert page.evaluate("typeof window.htmx") == "object"

    user_menu.click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/**")
    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url
    assert problems == [], problems


def test_the_project_search_filters_without_a_reload_and_keeps_the_url(
    live_server, page, demo_pm
):
    MembershipFactory(
        user=demo_pm,
        role=ProjectRole.OWNER,
        project=ProjectFactory(name="Claims Helper"),
    )
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill("pm@runway.example")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(live_server.url + "/")

    page.goto(live_server.url + "/projects/")
    page.get_by_label("Search by name").fill("claims")
    page.wait_for_url("**/projects/?q=claims")
    table = page.locator("#project-table")
    assert table.get_by_role("link", name="Claims Helper").is_visible()
    assert table.get_by_role("link", name="Support Copilot").count() == 0
