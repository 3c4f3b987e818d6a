"""A reviewer finds what waits for them on My work, goes where it is done, and sorts
their notifications, on a laptop and on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from projects import services, step_services
from projects.models import ChecklistItem, ProjectStep
from projects.roles import GlobalRole
from tests.browser.helpers import page_problems, sign_in
from tests.factories import TeamFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

REVIEWER = "reviewer@runway.example"


def _ask(project, number, signer, lead):
    step_services.signoff_request(
        project_step=ProjectStep.objects.select_related("step", "project").get(
            project=project, step__number=number
        ),
        role="reviewer",
        signer=signer,
        actor=lead,
    )


@pytest.fixture
def waiting_reviewer():
    """Rita is asked to sign off step 3 of two projects and has an item to do."""
    reviewer = UserFactory(
        email=REVIEWER,
        first_name="Rita",
        last_name="Reviewer",
        roles=[GlobalRole.REVIEWER],
    )
    lead = UserFactory(first_name="Leo", last_name="Lead")
    claims = services.project_create(
        name="Claims Triage Assistant",
        team=TeamFactory(),
        owner=UserFactory(first_name="Olive"),
        lead=lead,
    )
    support = services.project_create(
        name="Support Copilot", team=TeamFactory(), owner=UserFactory(), lead=lead
    )
    _ask(claims, 3, reviewer, lead)
    _ask(support, 3, reviewer, lead)
    item = ChecklistItem.objects.filter(project=claims, step__number=3).first()
    services.item_update(
        item=item, assignee=reviewer, due_date=None, notes="", actor=lead
    )
    return item


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        page.url
    )


@pytest.mark.parametrize("width", [1366, 390])
def test_a_reviewer_works_from_my_work_and_sorts_their_notifications(
    live_server, page, waiting_reviewer, width
):
    item = waiting_reviewer
    page.set_viewport_size({"width": width, "height": 900})
    problems = page_problems(page)
    sign_in(page, live_server, REVIEWER)

    # My work, from the main navigation by its label (behind the menu on a phone).
    if width < 768:
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="My work"
    ).click()
    page.wait_for_url("**/my-work/")
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()
    expect(page.get_by_text("3 things wait for you")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Sign-offs waiting for me (2)")
    ).to_be_visible()
    expect(
        page.get_by_role("heading", name="Checklist items assigned to me (1)")
    ).to_be_visible()
    expect(page.get_by_text("No requirements wait for your approval")).to_be_visible()
    _no_sideways_scroll(page)

    # A sign-off row leads to the sign-off on its step, where it is decided.
    page.get_by_role("link", name="Sign off step 3 of Claims Triage Assistant").click()
    page.wait_for_url("**/projects/claims-triage-assistant/steps/3/#signoff-heading")
    signoffs = page.get_by_role("region", name="Sign-offs")
    expect(signoffs.get_by_role("button", name="Approve")).to_be_visible()
    _no_sideways_scroll(page)

    # The item row leads to the item on its step.
    page.go_back()
    page.wait_for_url("**/my-work/")
    page.get_by_role("link", name=item.title).click()
    page.wait_for_url(f"**/projects/claims-triage-assistant/steps/3/#item-{item.pk}")
    expect(page.locator(f"#item-{item.pk}")).to_be_in_viewport()

    # Notifications: three unread, filtered without a reload, marked read in bulk.
    page.get_by_role("link", name="3 unread notifications").click()
    page.wait_for_url("**/notifications/")
    page.evaluate("window.notReloaded = true")
    _no_sideways_scroll(page)
    rows = page.locator(".notification-list li")
    expect(rows).to_have_count(3)

    page.get_by_label("Kind", exact=True).select_option("Sign-off asked of me")
    page.wait_for_url(re.compile(r"/notifications/\?kind=signoff_requested$"))
    expect(rows).to_have_count(2)
    page.get_by_label("Project", exact=True).select_option("Support Copilot")
    page.wait_for_url(re.compile(r"kind=signoff_requested&project=\d+$"))
    expect(rows).to_have_count(1)
    assert page.evaluate("window.notReloaded") is True

    page.get_by_label(
        "Select: Leo Lead asks for your reviewer sign-off of step 3 of Support Copilot"
    ).check()
    page.get_by_role("button", name="Mark selected read").click()
    expect(page.get_by_text("1 notification marked read.")).to_be_visible()
    expect(page.get_by_role("link", name="2 unread notifications")).to_be_visible()
    # The filters survive the round trip.
    expect(page.get_by_label("Project", exact=True)).to_have_value(re.compile(r"\d+"))
    expect(rows).to_have_count(1)

    page.get_by_role("link", name="Clear").click()
    page.wait_for_url("**/notifications/")
    page.get_by_label("Unread only").check()
    page.wait_for_url("**/notifications/?unread=1")
    expect(rows).to_have_count(2)
    page.get_by_role("button", name="Mark all shown read").click()
    expect(page.get_by_text("2 notifications marked read.")).to_be_visible()
    expect(page.get_by_text("No notifications match these filters")).to_be_visible()
    expect(page.get_by_role("link", name="Notifications, none unread")).to_be_visible()
    _no_sideways_scroll(page)
    assert problems == [], problems
