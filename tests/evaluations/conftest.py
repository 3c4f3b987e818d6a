"""Fixtures shared by the evaluations tests."""

from __future__ import annotations

import pytest

# --- The Evaluations tab's fixtures (tests/evaluations/test_tab_views.py,
# test_baseline_and_plan_views.py, the browser journey)


@pytest.fixture
def ui_people(gate_people):
    """``gate_people`` with a viewer of the project and someone from outside."""
    from projects.models import ProjectRole
    from tests.factories import MembershipFactory, UserFactory

    project = gate_people["project"]
    return {
        **gate_people,
        "viewer": MembershipFactory(project=project, role=ProjectRole.VIEWER).user,
        "outsider": UserFactory(),
    }


@pytest.fixture
def ui_record():
    """``ui_record(project, "run-1", days_ago=3, scores={"helpfulness": "0.9"})``: an
    evaluation run (or, with ``kind="load_test"``, a load test): ``gate_run``."""
    return gate_run


@pytest.fixture
def history(ui_people, ui_record):
    """A baseline accepted by the lead, then a newer run on the same set whose
    faithfulness fell by 0.07 (past the 0.02 tolerance): an open alert."""
    from decimal import Decimal

    from evaluations import services

    project = ui_people["project"]
    services.plan_save(
        project=project, dataset_name="golden", tolerance=Decimal("0.02")
    )
    baseline = ui_record(
        project,
        "nightly-1",
        days_ago=3,
        name="Nightly 1",
        scores={"helpfulness": "0.90", "faithfulness": "0.92"},
        dataset_version="v3",
        item_count=50,
        items_passed=46,
        items_failed=4,
        model="gpt-4o",
        app_version="prompt-12",
        commit="0123456789abcdef",
        source_url="https://ci.example.com/runs/1",
    )
    services.baseline_accept(
        project=project, run=baseline, actor=ui_people["lead"], comment="First release."
    )
    latest = ui_record(
        project,
        "nightly-2",
        days_ago=1,
        name="Nightly 2",
        scores={"helpfulness": "0.91", "faithfulness": "0.85"},
    )
    return {**ui_people, "baseline": baseline, "latest": latest}


# --- Step 6's gate and the regression alert (tests/evaluations/test_gates.py,
# test_services.py; tests elsewhere that walk a project past step 6)


@pytest.fixture
def gate_people(db):
    """A project made the way users make it, with its owner and lead and approved
    requirements (helpfulness ≥ 0.85, peak 12 rps, p95 ≤ 2500 ms, errors ≤ 1 %)."""
    from projects import services as project_services
    from tests.factories import TeamFactory, UserFactory, approve_requirements

    owner, lead = UserFactory(first_name="Olive"), UserFactory(first_name="Leo")
    project = project_services.project_create(
        name="Claims Triage Assistant", team=TeamFactory(), owner=owner, lead=lead
    )
    approve_requirements(project, owner)
    return {"project": project, "owner": owner, "lead": lead}


def gate_run(project, external_id, *, days_ago=0, scores=None, origin="push", **fields):
    """Store an evaluation run (``kind="load_test"`` for a load test) through
    ``run_record``, as the push API does; ``days_ago`` places it in the past."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from evaluations import services

    fields.setdefault("kind", "evaluation")
    if fields["kind"] == "evaluation":
        fields.setdefault("dataset_name", "golden")
    for name in ("target_rps", "achieved_rps", "p95_latency_ms", "error_rate_pct"):
        if fields.get(name) is not None:
            fields[name] = Decimal(str(fields[name]))
    summary = services.RunSummary(
        external_id=external_id,
        ran_at=timezone.now() - timedelta(days=days_ago, minutes=1),
        scores={k: Decimal(str(v)) for k, v in (scores or {}).items()},
        **fields,
    )
    run, _ = services.run_record(project=project, summary=summary, origin=origin)
    return run


def gate_evaluations_pass(project, actor, *, dataset="golden"):
    """Everything step 6's evaluation checks ask of a project whose requirements are
    ``tests.factories.COMPLETE_REQUIREMENTS``: the set named, a run on it above the
    quality target accepted as the baseline, and a load test at the peak volume
    within the latency and error-rate targets."""
    from decimal import Decimal

    from evaluations import services

    services.plan_save(project=project, dataset_name=dataset, tolerance=Decimal("0.02"))
    run = gate_run(
        project,
        f"{dataset}-passing",
        days_ago=1,
        dataset_name=dataset,
        scores={"helpfulness": "0.91", "faithfulness": "0.88"},
    )
    services.baseline_accept(
        project=project, run=run, actor=actor, comment="Meets the target."
    )
    gate_run(
        project,
        f"{dataset}-load",
        days_ago=1,
        kind="load_test",
        target_rps=12,
        achieved_rps=12.5,
        p95_latency_ms=1800,
        error_rate_pct="0.4",
    )
    return run
