"""The engineering lead works a step's checklist in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from projects import services, step_services
from projects.models import ChecklistItem, Framework, ItemState, ProjectStep, StepStatus
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


def _finish_step_one(project, owner, lead):
    for item in ChecklistItem.objects.filter(
        project=project, step__number=1, required=True
    ):
        if item.evidence_required:
            services.evidence_add(
                item=item, actor=lead, url="https://wiki.example.com/req"
            )
        services.item_set_state(item=item, state=ItemState.DONE, actor=lead)
    approve_requirements(project, owner)
    step_services.step_mark_done(
        project_step=ProjectStep.objects.get(project=project, step__number=1)
    )


def _record_assessment_without_gaps(project, lead):
    from assessments import services as assessment_services
    from assessments.models import AssessmentCriterion

    assessment_services.assessment_record(
        project=project,
        assessor=lead,
        scores=[
            assessment_services.ScoreInput(c, 3, 3)
            for c in AssessmentCriterion.objects.all()
        ],
    )


@pytest.fixture
def step_two_almost_done():
    owner = UserFactory(first_name="Olive")
    lead = UserFactory(email="lead@runway.example", first_name="Leo", last_name="Lead")
    project = services.project_create(
        name="Claims Triage Assistant",
        team=TeamFactory(),
        owner=owner,
        lead=lead,
        data_classification="regulated",
        frameworks=Framework.objects.filter(code="hipaa"),
    )
    _finish_step_one(project, owner, lead)
    _record_assessment_without_gaps(project, lead)
    required = list(
        ChecklistItem.objects.filter(
            project=project, step__number=2, required=True
        ).order_by("order")
    )
    last = required[-1]
    for item in required[:-1]:
        if item.evidence_required:
            services.evidence_add(
                item=item, actor=lead, url="https://wiki.example.com/gap"
            )
        services.item_set_state(item=item, state=ItemState.DONE, actor=lead)
    if last.evidence_required:
        services.evidence_add(item=last, actor=lead, url="https://wiki.example.com/gap")
    return project, last


def test_the_lead_ticks_the_last_item_and_marks_the_step_done(
    live_server, page, step_two_almost_done
):
    project, last = step_two_almost_done
    sign_in(page, live_server, "lead@runway.example")

    page.goto(f"{live_server.url}/projects/{project.slug}/steps/2/")
    page.evaluate("window.notReloaded = true")
    gate = page.locator("#gate")
    progress = page.locator("#step-progress")
    before = progress.inner_text()

    # Refused, and told exactly what is missing.
    gate.get_by_role("button", name="Mark step done").click()
    expect(gate.get_by_text("cannot be marked done yet")).to_be_visible()
    expect(gate).to_contain_text(last.title)

    # Ticking updates the row, the progress and the gate in place, the last two
    # (and the stepper) with one refresh.
    refreshes = []

    def note_refresh(request):
        if request.method == "GET" and request.headers.get("hx-request"):
            refreshes.append(request.headers.get("hx-target"))

    page.on("request", note_refresh)
    row = page.locator(f"#item-{last.pk}")
    row.get_by_role("button", name=f"Tick: {last.title}").click()
    expect(row.get_by_role("button", name=f"Untick: {last.title}")).to_be_visible()
    expect(row).to_contain_text("ticked by")
    # Only the row's head was replaced: its forms are still there, and work.
    expect(row.get_by_text("Assign, due date, notes")).to_be_visible()
    all_done = re.compile(r"All \d+ required items are done")
    expect(gate).to_contain_text(all_done)
    page.remove_listener("request", note_refresh)
    assert refreshes == ["step-progress-region"]
    # The gate follows an untick too.
    row.get_by_role("button", name=f"Untick: {last.title}").click()
    expect(row.get_by_role("button", name=f"Tick: {last.title}")).to_be_visible()
    expect(gate).to_contain_text("1 required item(s) still open")
    row.get_by_role("button", name=f"Tick: {last.title}").click()
    expect(row.get_by_role("button", name=f"Untick: {last.title}")).to_be_visible()
    expect(progress).not_to_have_text(before)
    expect(gate.get_by_text("cannot be marked done yet")).to_have_count(0)
    expect(gate).to_contain_text(all_done)
    # Two changes within one round trip: the regions end on the state after both.
    other = (
        ChecklistItem.objects.filter(project=project, step__number=2, required=True)
        .exclude(pk=last.pk)
        .first()
    )
    other_row = page.locator(f"#item-{other.pk}")
    other_row.get_by_role("button", name=f"Untick: {other.title}").click()
    row.get_by_role("button", name=f"Untick: {last.title}").click()
    expect(gate).to_contain_text("2 required item(s) still open")
    expect(progress).to_contain_text("2 required open")
    other_row.get_by_role("button", name=f"Tick: {other.title}").click()
    row.get_by_role("button", name=f"Tick: {last.title}").click()
    expect(gate).to_contain_text(all_done)
    expect(progress).to_contain_text(" 0 required open")
    assert page.evaluate("window.notReloaded") is True

    gate.get_by_role("button", name="Mark step done").click()
    expect(page.locator("#step-progress")).to_contain_text("Done")
    assert (
        ProjectStep.objects.get(project=project, step__number=2).status
        == StepStatus.DONE
    )
    expect(page.locator("#stepper .stepper-step").nth(1)).to_contain_text("Done")
