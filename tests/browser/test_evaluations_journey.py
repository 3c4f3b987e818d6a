"""A lead in a real browser: step 6 is refused because the latest evaluation run fell
against the baseline; on the Evaluations tab the lead reads why, opens the run,
accepts it as the new baseline with a comment, and step 6 then passes and is done.

Everything else step 6 asks is in place (earlier steps done, the checklist ticked,
the quality target met, a load test at the peak volume), so that only the regression
blocks it. The page draws its charts with no CSP violation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from evaluations import services as evaluation_services
from evaluations.models import BaselineAcceptance
from projects import services
from projects.models import ChecklistItem, ProjectStep, StepStatus
from tests.browser.helpers import page_problems, sign_in
from tests.factories import TeamFactory, UserFactory, approve_requirements

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LEAD = "leo@runway.example"
REASON = "Faithfulness fell on purpose: the shorter prompt halves latency."


def _record(project, external_id, *, days_ago, **fields):
    scores = fields.pop("scores", {})
    summary = evaluation_services.RunSummary(
        external_id=external_id,
        ran_at=timezone.now() - timedelta(days=days_ago),
        scores={metric: Decimal(value) for metric, value in scores.items()},
        **fields,
    )
    run, _ = evaluation_services.run_record(
        project=project, summary=summary, origin="push"
    )
    return run


@pytest.fixture
def regressed():
    """A project at step 6 whose latest run on "golden" fell against the baseline."""
    owner = UserFactory(first_name="Olive")
    lead = UserFactory(email=LEAD, first_name="Leo")
    project = services.project_create(
        name="Claims Triage Assistant", team=TeamFactory(), owner=owner, lead=lead
    )
    # Helpfulness at least 0.85, peak 12 requests per second, p95 2.5 s, errors 1 %.
    approve_requirements(project, owner)
    now = timezone.now()
    ProjectStep.objects.filter(project=project, step__number__lt=6).update(
        status=StepStatus.DONE, started_at=now, completed_at=now
    )
    for item in ChecklistItem.objects.filter(
        project=project, step__number=6, applicable=True, required=True
    ):
        if item.evidence_required:
            services.evidence_add(
                item=item, actor=lead, url="https://wiki.example.com/evaluation"
            )
        services.item_set_state(item=item, state="done", actor=lead)
    evaluation_services.plan_save(
        project=project, dataset_name="golden", tolerance=Decimal("0.02")
    )
    baseline = _record(
        project,
        "nightly-1",
        days_ago=3,
        kind="evaluation",
        name="Nightly 1",
        dataset_name="golden",
        scores={"helpfulness": "0.90", "faithfulness": "0.92"},
    )
    evaluation_services.baseline_accept(
        project=project, run=baseline, actor=lead, comment="First release."
    )
    _record(
        project,
        "nightly-2",
        days_ago=1,
        kind="evaluation",
        name="Nightly 2",
        dataset_name="golden",
        scores={"helpfulness": "0.88", "faithfulness": "0.85"},
    )
    _record(
        project,
        "load-1",
        days_ago=1,
        kind="load_test",
        name="Peak load",
        target_rps=Decimal(12),
        achieved_rps=Decimal("12.5"),
        p95_latency_ms=Decimal(1800),
        error_rate_pct=Decimal("0.4"),
        duration_seconds=600,
    )
    return project


def test_a_lead_accepts_a_new_baseline_and_step_six_passes(
    live_server, page, regressed
):
    project = regressed
    problems = page_problems(page)
    sign_in(page, live_server, LEAD)

    # Step 6 is refused, and the gate names the metric that fell.
    page.goto(f"{live_server.url}/projects/{project.slug}/steps/6/")
    gate = page.get_by_role("region", name="Exit gate")
    gate.get_by_role("button", name="Mark step done").click()
    expect(gate.get_by_role("alert")).to_contain_text("cannot be marked done yet")
    regression = gate.get_by_role("listitem").filter(
        has_text="No regression against the baseline"
    )
    expect(regression).to_contain_text("fails")
    expect(regression).to_contain_text("faithfulness 0.85 against 0.92")
    for passing in ("Evaluation meets the quality target", "Load test at peak volume"):
        expect(gate.get_by_role("listitem").filter(has_text=passing)).to_contain_text(
            "passes"
        )

    # The Evaluations tab says the same, with the alert and the runs over time.
    page.get_by_role("navigation", name="Project").get_by_role(
        "link", name="Evaluations", exact=True
    ).click()
    page.wait_for_url(f"**/projects/{project.slug}/evaluations/")
    expect(
        page.get_by_role("status").filter(has_text="Evaluation regression")
    ).to_contain_text("faithfulness")
    expect(page.locator("[data-chart] .main-svg").first).to_be_visible()
    expect(page.get_by_role("img", name="helpfulness on “golden”")).to_have_count(1)
    runs = page.get_by_role("region", name="Evaluation runs table")
    runs.get_by_role("link", name="Nightly 2").click()

    # On the run's page: the fall against the baseline, in words; a comment is needed.
    page.wait_for_url("**/evaluations/runs/*/")
    scores = page.get_by_role("region", name="Scores table")
    expect(scores.get_by_role("row").filter(has_text="faithfulness")).to_contain_text(
        "Regression: fell by more than the tolerance"
    )
    accept = page.get_by_role("button", name="Accept as baseline")
    accept.click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Say why this run is the new baseline."
    )
    assert BaselineAcceptance.objects.count() == 1
    page.get_by_label("Why this run is the new baseline").fill(REASON)
    page.get_by_role("button", name="Accept as baseline").click()
    expect(
        page.get_by_role("status").filter(has_text="is now the baseline")
    ).to_contain_text("“Nightly 2” is now the baseline of “golden”.")
    expect(page.get_by_text("This run is the baseline of “golden”")).to_be_visible()
    expect(page.get_by_text(REASON)).to_be_visible()

    # Back on step 6, the regression check passes and the step is done.
    page.goto(f"{live_server.url}/projects/{project.slug}/steps/6/")
    gate = page.get_by_role("region", name="Exit gate")
    expect(
        gate.get_by_role("listitem").filter(
            has_text="No regression against the baseline"
        )
    ).to_contain_text("passes")
    gate.get_by_role("button", name="Mark step done").click()
    expect(page.get_by_role("status").filter(has_text="Step 6 is done")).to_be_visible()
    assert (
        ProjectStep.objects.get(project=project, step__number=6).status
        == StepStatus.DONE
    )
    assert problems == [], problems
