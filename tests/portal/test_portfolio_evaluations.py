"""The portfolio's "last evaluation": the date of the latest run on each project's
tracked evaluation set and whether it passed (met the approved quality target and did
not fall past the tolerance against the set's baseline), on the page and in the CSV,
read for a whole page in two queries."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from evaluations import services
from evaluations.summary import last_evaluation, last_evaluations, passes
from tests.evaluations.conftest import gate_run
from tests.factories import approve_requirements
from tests.html import page, table_headers, table_rows
from tests.portal import portfolio_helpers
from tests.portal.portfolio_helpers import make

pytestmark = pytest.mark.django_db

executive, owner = portfolio_helpers.executive, portfolio_helpers.owner
D = Decimal


@pytest.fixture
def project(owner):
    """A project whose approved requirements ask helpfulness ≥ 0.85."""
    project = make(owner, "Claims Copilot")
    approve_requirements(project, owner)
    return project


def accept(project, run, owner):
    services.baseline_accept(project=project, run=run, actor=owner, comment="Agreed.")


# --- What passing means


@pytest.mark.parametrize(
    ("scores", "baseline", "target", "passed"),
    [
        ({"helpfulness": D("0.85")}, None, D("0.85"), True),
        ({"helpfulness": D("0.84")}, None, D("0.85"), False),
        ({"tone": D("0.99")}, None, D("0.85"), False),  # the score is missing
        ({"helpfulness": D("0.99")}, None, None, False),  # no target to meet
        # Within the tolerance, and a metric the baseline lacks is not compared.
        (
            {"helpfulness": D("0.88"), "x": D("0")},
            {"helpfulness": D("0.9")},
            D("0.85"),
            True,
        ),
        # Above the target, yet fallen past the tolerance: it regressed.
        ({"helpfulness": D("0.87")}, {"helpfulness": D("0.9")}, D("0.85"), False),
        (
            {"helpfulness": D("0.9"), "tone": D("0.5")},
            {"tone": D("0.6")},
            D("0.85"),
            False,
        ),
    ],
)
def test_a_run_passes_on_the_target_and_against_the_baseline(
    scores, baseline, target, passed
):
    assert (
        passes(
            scores=scores,
            baseline=baseline,
            quality_name="helpfulness",
            quality_target=target,
            tolerance=D("0.02"),
        )
        is passed
    )


# --- Which run, and its verdict


def test_a_project_without_runs_has_no_last_evaluation(project):
    gate_run(project, "k6-1", kind="load_test", achieved_rps=20)
    assert last_evaluation(project) is None
    assert last_evaluations([]) == {}


def test_the_last_evaluation_is_the_latest_run_on_the_named_set(project):
    services.plan_save(project=project, dataset_name="golden", tolerance=D("0.02"))
    golden = gate_run(project, "g-1", days_ago=3, scores={"helpfulness": "0.9"})
    gate_run(project, "s-1", dataset_name="smoke", scores={"helpfulness": "0.1"})
    gate_run(project, "k6-1", kind="load_test", achieved_rps=20)
    last = last_evaluation(project)
    assert (last.run_id, last.ran_at, last.dataset, last.passed) == (
        golden.pk,
        golden.ran_at,
        "golden",
        True,
    )


def test_without_a_named_set_the_newest_run_of_any_set_counts(project):
    gate_run(project, "g-1", days_ago=3, scores={"helpfulness": "0.9"})
    smoke = gate_run(
        project, "s-1", dataset_name="smoke", scores={"helpfulness": "0.5"}
    )
    last = last_evaluation(project)
    assert (last.run_id, last.dataset, last.passed) == (smoke.pk, "smoke", False)


def test_a_run_above_the_target_that_regressed_against_the_baseline_failed(
    project, owner
):
    services.plan_save(project=project, dataset_name="golden", tolerance=D("0.02"))
    baseline = gate_run(project, "g-1", days_ago=3, scores={"helpfulness": "0.95"})
    accept(project, baseline, owner)
    latest = gate_run(project, "g-2", scores={"helpfulness": "0.88"})
    assert last_evaluation(project).passed is False
    # Wider tolerance, or the run accepted as the new baseline: it passes.
    services.plan_save(project=project, dataset_name="golden", tolerance=D("0.1"))
    assert last_evaluation(project).passed is True
    services.plan_save(project=project, dataset_name="golden", tolerance=D("0.02"))
    assert last_evaluation(project).passed is False
    accept(project, latest, owner)
    assert last_evaluation(project).passed is True


def test_a_baseline_of_another_set_is_not_compared(project, owner):
    smoke = gate_run(
        project, "s-1", days_ago=3, dataset_name="smoke", scores={"helpfulness": "1"}
    )
    accept(project, smoke, owner)
    gate_run(project, "g-1", scores={"helpfulness": "0.86"})
    assert last_evaluation(project).passed is True


def test_without_approved_requirements_no_run_passes(owner):
    project = make(owner, "Unapproved")
    gate_run(project, "g-1", scores={"helpfulness": "0.99"})
    assert last_evaluation(project).passed is False


def test_a_page_of_projects_is_read_in_two_queries(owner, django_assert_num_queries):
    ids = []
    for n in range(6):
        project = make(owner, f"Project {n}")
        approve_requirements(project, owner)
        if n % 3:
            services.plan_save(
                project=project, dataset_name="golden", tolerance=D("0.02")
            )
            base = gate_run(project, f"b{n}", days_ago=2, scores={"helpfulness": "0.9"})
            accept(project, base, owner)
            gate_run(project, f"l{n}", scores={"helpfulness": f"0.8{n}"})
        ids.append(project.pk)
    with django_assert_num_queries(2):
        found = last_evaluations(ids)
    assert sorted(found) == [ids[n] for n in (1, 2, 4, 5)]
    assert [found[ids[n]].passed for n in (1, 2, 4, 5)] == [False, False, False, False]


# --- On the page and in the CSV


def _row_of(body, name):
    (table,) = page(body).select("#portfolio-table table")
    headers = table_headers(table)
    for cells in table_rows(table):
        if cells[0] == name:
            return dict(zip(headers, cells, strict=True))
    raise AssertionError(f"{name} is not in the table")


def test_the_table_shows_the_date_and_verdict_and_links_to_the_run(
    client, executive, owner, project
):
    make(owner, "Never evaluated")
    run = gate_run(project, "g-1", scores={"helpfulness": "0.9"})
    day = f"{timezone.localtime(run.ran_at):%Y-%m-%d}"
    client.force_login(executive)
    body = client.get("/").content.decode()
    assert _row_of(body, "Claims Copilot")["Last evaluation"] == (
        f"{day} on “golden” passed"
    )
    assert _row_of(body, "Never evaluated")["Last evaluation"] == "none yet"
    link = f'href="/projects/{project.slug}/evaluations/runs/{run.pk}/"'
    assert link in body


def test_a_new_run_shows_on_the_rendered_portfolio_at_once(
    client, executive, owner, project
):
    services.plan_save(project=project, dataset_name="golden", tolerance=D("0.02"))
    accept(
        project,
        gate_run(project, "g-1", days_ago=1, scores={"helpfulness": "0.95"}),
        owner,
    )
    client.force_login(executive)
    assert _row_of(client.get("/").content.decode(), "Claims Copilot")[
        "Last evaluation"
    ].endswith("passed")
    gate_run(project, "g-2", scores={"helpfulness": "0.88"})  # fell by 0.07
    body = client.get("/").content.decode()
    assert _row_of(body, "Claims Copilot")["Last evaluation"].endswith("failed")
    # The regression's alert links to the Evaluations tab.
    assert f'href="/projects/{project.slug}/evaluations/">Claims Copilot</a>' in body


def test_the_csv_has_the_last_evaluations_date_and_result(
    client, executive, owner, project
):
    make(owner, "Never evaluated")
    run = gate_run(project, "g-1", scores={"helpfulness": "0.5"})
    client.force_login(executive)
    text = b"".join(client.get("/portfolio.csv").streaming_content).decode()
    rows = {row["project"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows["Claims Copilot"]["last evaluation"] == (
        f"{timezone.localtime(run.ran_at):%Y-%m-%d}"
    )
    assert rows["Claims Copilot"]["last evaluation result"] == "failed"
    assert rows["Never evaluated"]["last evaluation"] == ""
    assert rows["Never evaluated"]["last evaluation result"] == ""


# --- The demo


def test_the_demo_has_evaluation_history_from_step_6_on_and_one_regression(
    client, settings
):
    from django.core.management import call_command

    from evaluations.gates import evaluation_quality_met, load_test_met, no_regression
    from evaluations.models import BaselineAcceptance, EvaluationRun
    from metrics.models import Alert
    from portal.demo_data import EVALUATION_REGRESSED, PORTFOLIO
    from projects.models import Project
    from projects.roles import GlobalRole
    from tests.factories import UserFactory

    settings.RUNWAY_DEMO_PASSWORD = "demo-password-for-tests"
    call_command("seed_demo", stdout=io.StringIO())
    later = {d.name for d in PORTFOLIO if d.stage >= 6}
    assert EVALUATION_REGRESSED in later and len(later) >= 5
    assert not EvaluationRun.objects.exclude(project__name__in=later).exists()
    projects = list(Project.objects.filter(name__in=later))
    for project in projects:
        runs = EvaluationRun.objects.filter(project=project, origin="demo")
        evaluations = runs.filter(kind="evaluation")
        assert evaluations.count() >= 5, project
        first, last = evaluations.order_by("ran_at")[0], evaluations.first()
        assert (last.ran_at - first.ran_at).days >= 28  # over weeks
        assert last.scores.count() == 3  # the quality score and two others
        assert BaselineAcceptance.objects.filter(project=project).exists()
        checks = [c(project, 6) for c in (evaluation_quality_met, load_test_met)]
        assert all(c.passed for c in checks) or project.name == EVALUATION_REGRESSED
        regression = no_regression(project, 6)
        assert regression.passed is (project.name != EVALUATION_REGRESSED), (
            project,
            regression.reason,
        )
    (alert,) = Alert.objects.filter(kind=Alert.Kind.EVALUATION, status="open")
    assert alert.project.name == EVALUATION_REGRESSED
    assert "fell against the baseline" in alert.message
    verdicts = {
        p.name: last.passed
        for p in projects
        if (last := last_evaluations([p.pk]).get(p.pk)) is not None
    }
    assert verdicts == {name: name != EVALUATION_REGRESSED for name in later}
    client.force_login(UserFactory(roles=[GlobalRole.EXECUTIVE]))
    body = client.get("/").content.decode()
    assert _row_of(body, EVALUATION_REGRESSED)["Last evaluation"].endswith("failed")

    counts = (EvaluationRun.objects.count(), BaselineAcceptance.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (EvaluationRun.objects.count(), BaselineAcceptance.objects.count()) == counts
