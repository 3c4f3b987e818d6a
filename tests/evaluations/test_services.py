"""Evaluation runs are stored once whatever sends them twice; a run that falls past the
tolerance against its set's baseline opens an alert that tells the owner and the lead
once, follows the latest run and resolves itself; baselines and plans are checked."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from evaluations import services
from evaluations.models import (
    BaselineAcceptance,
    EvaluationPlan,
    EvaluationRun,
    EvaluationScore,
)
from metrics.models import Alert
from projects.audit import acting_as
from projects.models import Notification, NotificationKind
from tests.conftest import require
from tests.evaluations.conftest import gate_run
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(gate_people):
    return gate_people["project"]


@pytest.fixture
def lead(gate_people):
    return gate_people["lead"]


def summary(external_id="ci-42", **fields):
    values = {
        "kind": "evaluation",
        "ran_at": timezone.now(),
        "dataset_name": "golden",
        "scores": {"helpfulness": Decimal("0.9"), "tone": Decimal("0.8")},
        **fields,
    }
    return services.RunSummary(external_id=external_id, **values)


def open_alerts(project):
    return list(
        Alert.objects.filter(
            project=project, kind=Alert.Kind.EVALUATION, status=Alert.Status.OPEN
        )
    )


def alert_notifications(project):
    return Notification.objects.filter(
        project=project, kind=NotificationKind.ALERT_OPENED
    )


# --- Stored once


def test_a_run_sent_twice_is_stored_once_with_its_scores_once(project):
    first, created = services.run_record(
        project=project, summary=summary(), origin="push"
    )
    again, created_again = services.run_record(
        project=project,
        summary=summary(scores={"helpfulness": Decimal("0.1")}, name="Changed"),
        origin="push",
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and again.name == ""
    assert EvaluationRun.objects.filter(project=project).count() == 1
    scores = dict(
        EvaluationScore.objects.filter(run__project=project).values_list(
            "metric", "value"
        )
    )
    assert scores == {"helpfulness": Decimal("0.9"), "tone": Decimal("0.8")}


def test_the_same_id_from_another_origin_or_project_is_another_run(project):
    services.run_record(project=project, summary=summary(), origin="push")
    services.run_record(project=project, summary=summary(), origin="langfuse")
    services.run_record(project=ProjectFactory(), summary=summary(), origin="push")
    assert EvaluationRun.objects.filter(external_id="ci-42").count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_same_run_sent_twice_at_once_is_stored_once(gate_people, monkeypatch):
    require(
        connection.vendor == "postgresql",
        "two writers at once need PostgreSQL (SQLite takes one writer at a time)",
    )
    project = gate_people["project"]
    # Both requests look for the run before either stores it; only then do they
    # write, and the database's unique constraint decides.
    both_looked = threading.Barrier(2, timeout=10)
    create = EvaluationRun.objects.create

    def create_after_both_looked(**fields):
        both_looked.wait()
        return create(**fields)

    monkeypatch.setattr(EvaluationRun.objects, "create", create_after_both_looked)
    results, errors = [], []

    def send():
        try:
            results.append(
                services.run_record(project=project, summary=summary(), origin="push")
            )
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(created for _, created in results) == [False, True]
    assert len({run.pk for run, _ in results}) == 1
    assert EvaluationRun.objects.filter(project=project).count() == 1
    assert EvaluationScore.objects.filter(run__project=project).count() == 2


# --- The regression alert


@pytest.fixture
def with_baseline(project, lead):
    """The plan names "golden"; a run scoring helpfulness 0.90 and tone 0.80 on it is
    the accepted baseline."""
    services.plan_save(
        project=project, dataset_name="golden", tolerance=Decimal("0.02")
    )
    baseline = gate_run(
        project, "base", days_ago=7, scores={"helpfulness": "0.90", "tone": "0.80"}
    )
    services.baseline_accept(
        project=project, run=baseline, actor=lead, comment="First good run."
    )
    return baseline


def test_a_run_past_the_tolerance_opens_an_alert_naming_run_metric_and_values(
    project, with_baseline, gate_people
):
    gate_run(
        project,
        "ci-2",
        name="Prompt v13",
        scores={"helpfulness": "0.85", "tone": "0.79"},
    )
    (alert,) = open_alerts(project)
    assert alert.message == (
        "The run “Prompt v13” on “golden” fell against the baseline “base”: "
        "helpfulness 0.85 against 0.90 (-0.05) (tolerance 0.02)."
    )
    # The owner and the lead are told once each, with a link to the Evaluations tab.
    told = alert_notifications(project)
    assert sorted(n.user_id for n in told) == sorted(
        [gate_people["owner"].pk, gate_people["lead"].pk]
    )
    assert {n.url for n in told} == {f"/projects/{project.slug}/evaluations/"}
    assert all("Prompt v13" in n.message for n in told)


def test_a_run_within_the_tolerance_opens_nothing(project, with_baseline):
    gate_run(project, "ci-2", scores={"helpfulness": "0.88", "tone": "0.95"})
    assert open_alerts(project) == []
    assert not alert_notifications(project).exists()


def test_a_second_regressed_run_rewords_the_alert_without_telling_again(
    project, with_baseline
):
    gate_run(project, "ci-2", days_ago=1, scores={"helpfulness": "0.85"})
    (first,) = open_alerts(project)
    gate_run(project, "ci-3", scores={"helpfulness": "0.80", "tone": "0.70"})
    (alert,) = open_alerts(project)
    assert alert.pk == first.pk
    assert alert.message == (
        "The run “ci-3” on “golden” fell against the baseline “base”: helpfulness "
        "0.80 against 0.90 (-0.10); tone 0.70 against 0.80 (-0.10) (tolerance 0.02)."
    )
    assert alert_notifications(project).count() == 2  # owner and lead, once


def test_a_later_run_that_recovers_resolves_the_alert(project, with_baseline):
    gate_run(project, "ci-2", days_ago=1, scores={"helpfulness": "0.85"})
    (alert,) = open_alerts(project)
    gate_run(project, "ci-3", scores={"helpfulness": "0.91", "tone": "0.80"})
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED and alert.resolved_at is not None
    # A new regression after that is news again.
    gate_run(project, "ci-4", scores={"helpfulness": "0.70"})
    (reopened,) = open_alerts(project)
    assert reopened.pk != alert.pk
    assert alert_notifications(project).count() == 4


def test_an_older_run_arriving_late_does_not_reopen_the_alert(project, with_baseline):
    gate_run(project, "ci-3", scores={"helpfulness": "0.91", "tone": "0.80"})
    gate_run(project, "ci-2", days_ago=2, scores={"helpfulness": "0.50"})
    assert open_alerts(project) == []


def test_a_metric_the_latest_run_no_longer_scores_counts_as_a_regression(
    project, with_baseline
):
    # Tone stopped being measured: the run cannot show it held.
    gate_run(project, "ci-2", scores={"helpfulness": "0.91"})
    (alert,) = open_alerts(project)
    assert "tone not scored (baseline 0.80)" in alert.message


def test_accepting_the_regressed_run_as_baseline_resolves_the_alert(
    project, with_baseline, lead
):
    regressed = gate_run(project, "ci-2", scores={"helpfulness": "0.85"})
    (alert,) = open_alerts(project)
    services.baseline_accept(
        project=project, run=regressed, actor=lead, comment="Tone traded for cost."
    )
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED


def test_raising_the_tolerance_resolves_the_alert(project, with_baseline):
    gate_run(project, "ci-2", scores={"helpfulness": "0.85", "tone": "0.80"})
    assert open_alerts(project)
    services.plan_save(project=project, dataset_name="golden", tolerance=Decimal("0.1"))
    assert open_alerts(project) == []


def test_only_the_tracked_set_raises_the_alert(project, with_baseline, lead):
    smoke = gate_run(
        project, "smoke-1", days_ago=3, dataset_name="smoke", scores={"tone": "0.9"}
    )
    services.baseline_accept(project=project, run=smoke, actor=lead, comment="Ok.")
    gate_run(project, "smoke-2", dataset_name="smoke", scores={"tone": "0.1"})
    assert open_alerts(project) == []  # the plan tracks "golden"
    services.plan_save(project=project, dataset_name="smoke", tolerance=Decimal("0.02"))
    (alert,) = open_alerts(project)
    assert "“smoke-2” on “smoke”" in alert.message


def test_without_a_named_set_the_newest_runs_set_is_tracked(project, lead):
    baseline = gate_run(project, "base", days_ago=2, scores={"tone": "0.9"})
    services.baseline_accept(project=project, run=baseline, actor=lead, comment="Ok.")
    gate_run(project, "ci-2", scores={"tone": "0.5"})
    (alert,) = open_alerts(project)
    assert "on “golden”" in alert.message


def test_load_tests_leave_the_alert_alone(project, with_baseline):
    gate_run(project, "ci-2", scores={"helpfulness": "0.85"})
    gate_run(project, "k6-1", kind="load_test", achieved_rps=20, p95_latency_ms=900)
    assert len(open_alerts(project)) == 1


def test_a_long_message_is_cut_with_an_ellipsis(project, lead):
    metrics = {f"metric_{n:03d}_with_a_long_name": "0.9" for n in range(20)}
    baseline = gate_run(project, "base", days_ago=2, scores=metrics)
    services.baseline_accept(project=project, run=baseline, actor=lead, comment="Ok.")
    gate_run(project, "ci-2", scores=dict.fromkeys(metrics, "0.1"))
    (alert,) = open_alerts(project)
    assert len(alert.message) == 400 and alert.message.endswith("…")
    # The same long message again changes nothing (it is compared as stored).
    services.regression_alert_sync(project)
    assert Alert.objects.filter(project=project).count() == 1


# --- Accepting a baseline


def test_accepting_a_baseline_needs_a_comment(project, lead):
    run = gate_run(project, "ci-1", scores={"helpfulness": "0.9"})
    for comment in ("", "   "):
        with pytest.raises(ValidationError) as refused:
            services.baseline_accept(
                project=project, run=run, actor=lead, comment=comment
            )
        assert refused.value.message_dict == {
            "comment": ["Say why this run is the new baseline."]
        }
    assert not BaselineAcceptance.objects.exists()


def test_only_an_evaluation_run_of_the_project_can_be_a_baseline(project, lead):
    elsewhere = gate_run(ProjectFactory(), "ci-1", scores={"helpfulness": "0.9"})
    load = gate_run(project, "k6-1", kind="load_test", achieved_rps=20)
    for run in (elsewhere, load):
        with pytest.raises(ValidationError, match="Only an evaluation run of this"):
            services.baseline_accept(
                project=project, run=run, actor=lead, comment="Why not."
            )
    assert not BaselineAcceptance.objects.exists()


def test_an_acceptance_keeps_who_why_and_when_in_the_audit_trail(project, lead):
    run = gate_run(project, "ci-1", scores={"helpfulness": "0.9"})
    with acting_as(lead):
        acceptance = services.baseline_accept(
            project=project, run=run, actor=lead, comment="  Meets the target.  "
        )
    assert (acceptance.accepted_by, acceptance.comment) == (lead, "Meets the target.")
    (record,) = acceptance.history.all()
    assert record.history_user == lead and record.comment == "Meets the target."


# --- The plan


def test_the_plan_is_saved_once_per_project_with_its_set_trimmed(project):
    services.plan_save(project=project, dataset_name=" golden ", tolerance=Decimal("0"))
    services.plan_save(project=project, dataset_name="golden-v2", tolerance=Decimal(1))
    plan = EvaluationPlan.objects.get(project=project)
    assert (plan.dataset_name, plan.tolerance) == ("golden-v2", Decimal(1))


@pytest.mark.parametrize("tolerance", ["-0.01", "1.01", "0.00001"])
def test_a_tolerance_off_the_0_to_1_scale_is_refused(project, tolerance):
    with pytest.raises(ValidationError) as refused:
        services.plan_save(
            project=project, dataset_name="golden", tolerance=Decimal(tolerance)
        )
    assert "tolerance" in refused.value.message_dict
    assert not EvaluationPlan.objects.filter(project=project).exists()
