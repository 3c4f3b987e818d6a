"""Fewer clicks on a step's page, in a real browser, by visible labels and roles:
the gate names every missing item with a link to it, a sign-off request offers
only the people who may sign, and several items are ticked at once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from projects import services
from projects.models import ChecklistItem, Framework, ItemState, ProjectRole
from projects.roles import GlobalRole
from tests.browser.helpers import page_problems, sign_in
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def step_three():
    owner = UserFactory(first_name="Olive", last_name="Owner")
    lead = UserFactory(email="lead@runway.example", first_name="Leo", last_name="Lead")
    project = services.project_create(
        name="Claims Triage Assistant",
        team=TeamFactory(),
        owner=owner,
        lead=lead,
        data_classification="regulated",
        frameworks=Framework.objects.filter(code__in=["hipaa", "soc2"]),
    )
    people = {
        "owner": owner,
        "lead": lead,
        "reviewer": MembershipFactory(
            project=project,
            role=ProjectRole.REVIEWER,
            user=UserFactory(first_name="Rita", last_name="Member-Reviewer"),
        ).user,
        "contributor": MembershipFactory(
            project=project,
            role=ProjectRole.CONTRIBUTOR,
            user=UserFactory(first_name="Carl", last_name="Contributor"),
        ).user,
        "newcomer": UserFactory(
            first_name="Nora", last_name="Newcomer", roles=[GlobalRole.REVIEWER]
        ),
        "stranger": UserFactory(first_name="Sam", last_name="Stranger"),
    }
    return project, people


def open_required(project):
    return list(
        ChecklistItem.objects.filter(
            project=project,
            step__number=3,
            required=True,
            applicable=True,
            state=ItemState.OPEN,
        ).order_by("order", "id")
    )


def test_the_gate_lists_every_missing_item_and_links_to_it(
    live_server, page, step_three
):
    project, _ = step_three
    problems = page_problems(page)
    missing = open_required(project)
    assert len(missing) > 5
    sign_in(page, live_server, "lead@runway.example")
    page.goto(f"{live_server.url}/projects/{project.slug}/steps/3/")

    gate = page.get_by_role("region", name="Exit gate")
    listed = gate.get_by_role("list", name="Required items done: what is missing")
    expect(listed.get_by_role("link")).to_have_count(len(missing))
    expect(gate).not_to_contain_text(" more")
    for item in missing:
        expect(listed.get_by_role("link", name=item.title, exact=True)).to_be_visible()

    last = missing[-1]
    listed.get_by_role("link", name=last.title, exact=True).click()
    page.wait_for_url(f"**/steps/3/#item-{last.pk}")
    expect(page.locator(f"#item-{last.pk}")).to_be_in_viewport()
    assert problems == []


def test_a_sign_off_request_offers_only_people_who_may_sign(
    live_server, page, step_three
):
    project, people = step_three
    sign_in(page, live_server, "lead@runway.example")
    page.goto(f"{live_server.url}/projects/{project.slug}/steps/3/")

    signoffs = page.get_by_role("region", name="Sign-offs")
    signoffs.get_by_text("Request a sign-off").click()
    ask = signoffs.get_by_label("Ask")
    options = [o.strip() for o in ask.locator("option").all_inner_texts()]
    assert "Rita Member-Reviewer" in options
    assert "Nora Newcomer" in options
    for name in ("Carl Contributor", "Sam Stranger", "Olive Owner", "Leo Lead"):
        assert name not in options

    ask.select_option(label="Nora Newcomer")
    signoffs.get_by_role("button", name="Request sign-off").click()
    expect(page.get_by_text("Sign-off requested from Nora Newcomer.")).to_be_visible()
    expect(page.get_by_role("region", name="Sign-offs")).to_contain_text(
        "Reviewer: Nora Newcomer"
    )


def test_several_items_are_ticked_at_once_and_focus_is_kept_on_a_tick(
    live_server, page, step_three
):
    project, _ = step_three
    problems = page_problems(page)
    first, second, third = open_required(project)[:3]
    sign_in(page, live_server, "lead@runway.example")
    page.goto(f"{live_server.url}/projects/{project.slug}/steps/3/")

    # The keyboard reaches the checklist from the top of the page.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to checklist")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("#checklist")).to_be_focused()

    # Bulk: select two items, tick both in one go.
    page.get_by_role("checkbox", name=f"Select: {first.title}").check()
    page.get_by_role("checkbox", name=f"Select: {second.title}").check()
    page.get_by_role("button", name="Tick selected").click()
    expect(page.get_by_text("2 item(s) ticked.")).to_be_visible()
    for item in (first, second):
        expect(page.get_by_role("button", name=f"Untick: {item.title}")).to_be_visible()
    expect(page.get_by_role("button", name=f"Tick: {third.title}")).to_be_visible()
    still_open = page.get_by_role("region", name="Exit gate").get_by_role(
        "list", name="Required items done: what is missing"
    )
    for item in (first, second):
        expect(
            still_open.get_by_role("link", name=item.title, exact=True)
        ).to_have_count(0)
    expect(still_open.get_by_role("link", name=third.title, exact=True)).to_be_visible()

    # A tick by keyboard leaves the focus on the item's control.
    tick = page.get_by_role("button", name=f"Tick: {third.title}")
    tick.focus()
    page.keyboard.press("Enter")
    untick = page.get_by_role("button", name=f"Untick: {third.title}")
    expect(untick).to_be_visible()
    expect(untick).to_be_focused()
    assert problems == []
