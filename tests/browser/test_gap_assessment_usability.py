"""The engineering lead writes a gap assessment over two sittings, leaves one criterion
not assessed, and gives two gaps one owner at once, in a real browser, by the names a
screen reader hears."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from projects import services
from tests.browser.helpers import page_problems, sign_in
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# The two criteria below their target; every other one is given its default target.
GAPS = {"arch-secrets-out-of-code": "1", "ops-alerting": "0"}
SKIPPED = "data-pii-handling"


@pytest.fixture
def project():
    owner = UserFactory(first_name="Olive", last_name="Owner")
    lead = UserFactory(email="lead@runway.example", first_name="Leo", last_name="Lead")
    project = services.project_create(
        name="Claims Triage Assistant", team=TeamFactory(), owner=owner, lead=lead
    )
    MembershipFactory(
        project=project,
        role="contributor",
        user=UserFactory(first_name="Cora", last_name="Contributor"),
    )
    return project


def now_field(page, criterion):
    return page.get_by_label(f"{criterion.name} — Now level", exact=True)


def test_a_draft_an_unassessed_criterion_and_two_gaps_with_one_owner(
    live_server, page, project
):
    from assessments.models import AssessmentCriterion

    criteria = list(AssessmentCriterion.objects.filter(active=True))
    by_key = {c.key: c for c in criteria}
    secrets, alerting, skipped = (
        by_key["arch-secrets-out-of-code"],
        by_key["ops-alerting"],
        by_key[SKIPPED],
    )
    problems = page_problems(page)
    sign_in(page, live_server, "lead@runway.example")
    page.goto(f"{live_server.url}/projects/{project.slug}/assessments/")
    page.get_by_role("link", name="Run the first assessment").click()

    # Each level field is named by its criterion, not a bare "Now" heard 25 times.
    expect(page.get_by_role("combobox", name=f"{secrets.name} — Now level")).to_have_id(
        f"level-{secrets.pk}"
    )
    expect(now_field(page, alerting)).to_have_accessible_name(
        f"{alerting.name} — Now level"
    )
    expect(
        page.get_by_label(f"{alerting.name} — Target level", exact=True)
    ).to_have_value("3")

    # First sitting: two levels, one criterion not assessed, then a draft.
    now_field(page, secrets).select_option("1")
    page.get_by_label(f"{secrets.name} — Note", exact=True).fill("Keys in .env")
    now_field(page, skipped).select_option(label="Not assessed yet")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#toasts")).to_contain_text("Draft saved")

    # Second sitting: the draft reopens with what was chosen.
    page.goto(f"{live_server.url}/projects/{project.slug}/assessments/")
    expect(page.get_by_text("A draft assessment is in progress")).to_be_visible()
    page.get_by_role("link", name="Continue the draft").click()
    expect(page.get_by_role("heading", name="Gap assessment draft")).to_be_visible()
    expect(now_field(page, secrets)).to_have_value("1")
    expect(now_field(page, skipped)).to_have_value("not-assessed")
    expect(page.get_by_label(f"{secrets.name} — Note", exact=True)).to_have_value(
        "Keys in .env"
    )

    # Recording with a level missing keeps everything typed and says what to fix.
    page.get_by_role("button", name="Record assessment").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(f"{alerting.name}: Choose a level")
    expect(now_field(page, secrets)).to_have_value("1")
    expect(now_field(page, alerting)).to_have_attribute("aria-invalid", "true")

    for criterion in criteria:
        if criterion.key == SKIPPED or criterion.key == secrets.key:
            continue
        now_field(page, criterion).select_option(
            GAPS.get(criterion.key, str(criterion.default_target))
        )
    page.get_by_role("button", name="Record assessment").click()
    expect(page.locator("#toasts")).to_contain_text("Assessment recorded")

    # The criterion not assessed is said so, and is no gap.
    expect(page.get_by_role("heading", name="Not assessed (1)")).to_be_visible()
    expect(page.get_by_text(skipped.name, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Gaps (2)")).to_be_visible()
    expect(page.get_by_text("A draft assessment is in progress")).to_have_count(0)

    # Both gaps, one owner, one post.
    page.get_by_role("checkbox", name=f"Select the gap “{secrets.name}”").check()
    page.get_by_role("checkbox", name=f"Select the gap “{alerting.name}”").check()
    several = page.get_by_role("form", name="Give several gaps one owner")
    several.get_by_label("Owner", exact=True).select_option(label="Cora Contributor")
    several.get_by_role("button", name="Assign owner to selected gaps").click()
    expect(page.locator("#toasts")).to_contain_text("Cora Contributor now owns 2 gaps")
    gaps = page.locator("section[aria-labelledby='gaps-heading'] tbody tr")
    expect(gaps).to_have_count(2)
    for n in range(2):
        expect(gaps.nth(n)).to_contain_text("Cora Contributor")
    expect(
        page.get_by_role("button", name="Assign owner to selected gaps")
    ).to_have_count(0)
    assert problems == []
