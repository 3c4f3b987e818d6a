"""What a project's metrics say about the models it uses: they are recorded as its
models, names the inventory does not know are added as not reviewed yet, and traffic to
a model that may not see the project's data opens an alert that puts the project at
risk, until the traffic stops or the model is approved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory import services
from inventory.models import AIModel, ApprovalStatus, ProjectModel, Vendor
from metrics.alerts import alerts_evaluate
from metrics.models import Alert
from projects import services as project_services
from projects.models import Notification, NotificationKind
from projects.selectors import risk_reasons_of
from tests.inventory.conftest import day_ago, report

pytestmark = pytest.mark.django_db

REASON = "model not approved for its data"


def _named_at_risk_for_a_model(project) -> bool:
    return any(reason.startswith(REASON) for reason in risk_reasons_of(project))


@pytest.fixture
def openai(db):
    return Vendor.objects.create(name="OpenAI", kind="model_provider")


def _approved(name, up_to="regulated", vendor=None):
    return AIModel.objects.create(
        name=name,
        approval=ApprovalStatus.APPROVED,
        max_classification=up_to,
        vendor=vendor,
    )


def _open_alert(project):
    return Alert.objects.filter(
        project=project, kind=Alert.Kind.MODEL, status=Alert.Status.OPEN
    ).first()


# --- What the metrics show ----------------------------------------------------------


def test_models_are_detected_from_requests_and_from_tokens(people, openai):
    project = people["project"]
    mini = _approved("gpt-4o-mini", vendor=openai)
    report(
        project,
        [
            ("requests", "gpt-4o-mini", 1, 1234),
            ("input_tokens", "gpt-4o-mini", 1, 900000),
            ("input_tokens", "claude-3-5-haiku", 2, 12000),
            ("output_tokens", "claude-3-5-haiku", 1, 3000),
        ],
    )
    services.models_detect(project=project)
    uses = {
        u.model.name: u
        for u in ProjectModel.objects.filter(project=project).select_related("model")
    }
    assert set(uses) == {"gpt-4o-mini", "claude-3-5-haiku"}
    assert uses["gpt-4o-mini"].model == mini
    assert (uses["gpt-4o-mini"].first_seen, uses["gpt-4o-mini"].last_seen) == (
        day_ago(1),
        day_ago(1),
    )
    assert (
        uses["claude-3-5-haiku"].first_seen,
        uses["claude-3-5-haiku"].last_seen,
    ) == (
        day_ago(2),
        day_ago(1),
    )
    assert not any(u.declared for u in uses.values())


def test_an_unknown_model_is_added_to_the_inventory_as_not_reviewed(people):
    project = people["project"]
    report(project, [("requests", "mistral-large-2411", 1, 50)])
    services.models_detect(project=project)
    model = AIModel.objects.get(name="mistral-large-2411")
    assert model.approval == ApprovalStatus.NOT_REVIEWED
    assert model.vendor is None
    assert model.history.get().history_type == "+"


def test_a_known_model_is_matched_whatever_its_case(people):
    project = people["project"]
    known = _approved("gpt-4o")
    report(project, [("requests", "GPT-4o", 1, 5)])
    services.models_detect(project=project)
    assert AIModel.objects.count() == 1
    assert ProjectModel.objects.get(project=project).model == known


def test_prometheus_label_lists_give_their_model_label(people):
    project = people["project"]
    report(
        project,
        [
            ("requests", "job=chat,model=llama3-70b,route=/ask", 1, 40),
            ("requests", "job=chat,route=/health", 1, 500),
        ],
        kind="prometheus",
        name="Prometheus",
    )
    services.models_detect(project=project)
    assert list(AIModel.objects.values_list("name", flat=True)) == ["llama3-70b"]


def test_quality_scores_and_project_wide_rows_name_no_model(people):
    project = people["project"]
    report(
        project,
        [
            ("quality_score", "helpfulness", 1, "0.9"),
            ("requests", "", 1, 20000),
            ("latency_p95_ms", "gpt-4o", 1, 800),
        ],
    )
    services.models_detect(project=project)
    assert not AIModel.objects.exists()
    assert not ProjectModel.objects.exists()


def test_traffic_outside_the_window_or_from_a_removed_source_is_not_read(people):
    project = people["project"]
    report(project, [("requests", "old-model", 5, 10)])
    removed = report(project, [("requests", "removed-model", 1, 10)], name="Gone")
    removed.deleted_at = timezone.now()
    removed.save()
    services.models_detect(project=project, days=2)
    assert not ProjectModel.objects.exists()


def test_seen_days_widen_and_unchanged_sweeps_write_no_history(people):
    project = people["project"]
    _approved("gpt-4o")
    service = report(project, [("requests", "gpt-4o", 2, 5)])
    services.models_detect(project=project)
    services.models_detect(project=project)
    use = ProjectModel.objects.get(project=project)
    assert use.history.count() == 1
    report(project, [("requests", "gpt-4o", 0, 5)], service=service)
    services.models_detect(project=project)
    use.refresh_from_db()
    assert (use.first_seen, use.last_seen) == (day_ago(2), day_ago(0))
    assert use.history.count() == 2


def test_the_sweep_reads_every_project_with_traffic(people):
    other = project_services.project_create(
        name="Other", team=people["project"].team, owner=people["owner"]
    )
    report(people["project"], [("requests", "gpt-4o", 1, 5)])
    report(other, [("input_tokens", "gpt-4o", 1, 5)])
    services.models_detect()
    assert ProjectModel.objects.filter(model__name="gpt-4o").count() == 2


def test_one_project_failing_leaves_the_sweep_to_check_the_others(people, monkeypatch):
    other = project_services.project_create(
        name="Other", team=people["project"].team, owner=people["owner"]
    )
    report(people["project"], [("requests", "gpt-4o", 1, 5)])
    report(other, [("requests", "gpt-4o", 1, 5)])
    real = services._detect

    def flaky(project, **kwargs):
        if project.pk == people["project"].pk:
            raise RuntimeError("this project's detection broke")
        return real(project, **kwargs)

    monkeypatch.setattr(services, "_detect", flaky)
    services.models_detect()

    assert list(ProjectModel.objects.values_list("project_id", flat=True)) == [other.pk]


# --- The alert ------------------------------------------------------------------------


def test_traffic_to_a_model_not_approved_opens_an_alert_naming_it(people):
    project = people["project"]  # regulated data
    AIModel.objects.create(name="gpt-4o-mini", approval=ApprovalStatus.NON_SENSITIVE)
    report(project, [("requests", "gpt-4o-mini", 1, 1234)])
    opened = services.models_detect(project=project)
    alert = _open_alert(project)
    assert opened == [alert]
    assert alert.service is None
    assert alert.message == (
        f"gpt-4o-mini is not approved for regulated data: 1,234 requests on "
        f"{day_ago(1):%Y-%m-%d}"
    )
    assert alert.get_kind_display() == "Model not approved"


def test_the_owner_and_the_lead_are_told_once(people):
    project = people["project"]
    report(project, [("input_tokens", "unknown-model", 1, 7000)])
    services.models_detect(project=project)
    services.models_detect(project=project)
    told = Notification.objects.filter(kind=NotificationKind.ALERT_OPENED)
    assert {n.user for n in told} == {people["owner"], people["lead"]}
    assert told.count() == 2
    note = told.first()
    assert note.url == f"/projects/{project.slug}/models/"
    assert (
        "unknown-model is not approved for regulated data: 7,000 tokens" in note.message
    )


def test_the_alert_puts_the_project_at_risk_until_the_traffic_stops(people):
    project = people["project"]
    report(project, [("requests", "o3", 1, 12)])
    services.models_detect(project=project)
    # The reason names the model, the day and the volume.
    assert (
        f"{REASON} (o3 is not approved for regulated data: 12 requests on "
        f"{day_ago(1):%Y-%m-%d})"
    ) in risk_reasons_of(project)
    # Three days on, the window holds no traffic to it any more.
    later = timezone.localdate() + timedelta(days=3)
    assert services.models_detect(project=project, today=later) == []
    alert = Alert.objects.get(project=project, kind=Alert.Kind.MODEL)
    assert alert.status == Alert.Status.RESOLVED
    assert alert.resolved_at is not None
    assert not _named_at_risk_for_a_model(project)


def test_approving_the_model_resolves_the_alert_at_once(people, admin_user):
    project = people["project"]
    report(project, [("requests", "o3", 1, 12)])
    services.models_detect(project=project)
    model = AIModel.objects.get(name="o3")
    model.approval = ApprovalStatus.APPROVED
    model.max_classification = "confidential"
    services.ai_model_save(model=model)
    assert _open_alert(project) is not None  # still not for regulated data
    model.max_classification = "regulated"
    services.ai_model_save(model=model)
    assert _open_alert(project) is None
    assert not _named_at_risk_for_a_model(project)


def test_an_approved_model_for_the_data_opens_no_alert(people):
    project = people["project"]
    _approved("gpt-4o")
    report(project, [("requests", "gpt-4o", 1, 12)])
    assert services.models_detect(project=project) == []
    assert not _named_at_risk_for_a_model(project)


def test_a_lower_data_class_lets_a_non_sensitive_model_serve(people):
    project = people["project"]
    AIModel.objects.create(name="gpt-4o-mini", approval=ApprovalStatus.NON_SENSITIVE)
    report(project, [("requests", "gpt-4o-mini", 1, 12)])
    services.models_detect(project=project)
    assert _open_alert(project) is not None
    project_services.project_update(
        project=project,
        name=project.name,
        summary=project.summary,
        team=project.team,
        use_case=project.use_case,
        prototype_origin=project.prototype_origin,
        data_classification="internal",
        frameworks=list(project.frameworks.all()),
        status=project.status,
        target_launch_date=project.target_launch_date,
        operating_owner=project.operating_owner,
    )
    assert _open_alert(project) is None


def test_the_alert_rewords_itself_as_traffic_changes(people):
    project = people["project"]
    service = report(project, [("requests", "o3", 1, 12)])
    services.models_detect(project=project)
    report(project, [("requests", "o3", 0, 30)], service=service)
    services.models_detect(project=project)
    alert = _open_alert(project)
    assert alert.message.endswith(f"30 requests on {day_ago(0):%Y-%m-%d}")
    assert Alert.objects.filter(project=project, kind=Alert.Kind.MODEL).count() == 1


def test_the_metrics_sweep_leaves_the_model_alert_alone(people):
    project = people["project"]
    report(project, [("requests", "o3", 1, 12)])
    services.models_detect(project=project)
    alerts_evaluate(project=project)
    assert _open_alert(project) is not None


def test_the_sweep_resolves_an_alert_whose_traffic_has_gone(people):
    project = people["project"]
    report(project, [("requests", "o3", 1, 12)])
    services.models_detect(project=project)
    services.models_detect(today=timezone.localdate() + timedelta(days=5))
    assert _open_alert(project) is None


# --- Declarations -----------------------------------------------------------------


def test_declaring_a_new_name_adds_a_model_not_reviewed(people):
    project, owner = people["project"], people["owner"]
    use = services.model_declare(
        project=project, declared_by=owner, name=" my-fine-tune "
    )
    assert use.declared and use.declared_by == owner
    assert use.model.name == "my-fine-tune"
    assert use.model.approval == ApprovalStatus.NOT_REVIEWED
    assert not use.detected


def test_declaring_a_detected_model_marks_it_declared(people):
    project, owner = people["project"], people["owner"]
    report(project, [("requests", "gpt-4o", 1, 12)])
    services.models_detect(project=project)
    use = services.model_declare(project=project, declared_by=owner, name="GPT-4O")
    assert use.declared and use.detected
    assert ProjectModel.objects.count() == 1
    services.model_undeclare(use=use)
    use.refresh_from_db()
    assert not use.declared and use.declared_by is None


def test_a_model_is_declared_once(people):
    project, owner = people["project"], people["owner"]
    services.model_declare(project=project, declared_by=owner, name="o3")
    with pytest.raises(Exception, match="declared for this project already"):
        services.model_declare(project=project, declared_by=owner, name="O3")


def test_withdrawing_a_declaration_nobody_saw_removes_the_row(people):
    project, owner = people["project"], people["owner"]
    use = services.model_declare(project=project, declared_by=owner, name="o3")
    services.model_undeclare(use=use)
    assert not ProjectModel.objects.exists()
    assert AIModel.objects.filter(name="o3").exists()  # the inventory keeps it
