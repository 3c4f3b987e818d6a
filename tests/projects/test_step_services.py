"""Steps, checklists, evidence, sign-offs and gates through the services."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from projects import services, step_services
from projects.models import (
    ChecklistItem,
    ChecklistTemplate,
    Framework,
    ItemState,
    Membership,
    ProjectRole,
    ProjectStep,
    SignOff,
    SignOffStatus,
    Step,
    StepStatus,
)
from projects.roles import GlobalRole
from tests.conftest import require
from tests.evaluations.conftest import gate_evaluations_pass
from tests.factories import UserFactory, approve_requirements, record_daily_metrics
from tests.projects.conftest import step_of

pytestmark = pytest.mark.django_db


def items(project, **filters):
    return ChecklistItem.objects.filter(project=project, **filters)


def record_assessment_without_gaps(project, assessor):
    from assessments import services as assessment_services
    from assessments.models import AssessmentCriterion

    assessment_services.assessment_record(
        project=project,
        assessor=assessor,
        scores=[
            assessment_services.ScoreInput(c, 3, 3)
            for c in AssessmentCriterion.objects.all()
        ],
    )


def finish_step(project, number, *, actor, signers):
    """Do everything step ``number``'s gate asks, through the services."""
    project_step = step_of(project, number)
    if number == 1:
        approve_requirements(project, signers["owner"])
    if number == 2:
        record_assessment_without_gaps(project, actor)
    if number == 6:
        # Step 6 is judged on evaluation runs and a load test, not on production.
        gate_evaluations_pass(project, signers["lead"])
    for item in items(project, step__number=number, applicable=True, required=True):
        if item.evidence_required:
            services.evidence_add(
                item=item, actor=actor, url="https://wiki.example.com/proof"
            )
        services.item_set_state(item=item, state=ItemState.DONE, actor=actor)
    for role in project_step.step.signoff_roles:
        signoff = step_services.signoff_request(
            project_step=project_step, role=role, signer=signers[role], actor=actor
        )
        step_services.signoff_decide(signoff=signoff, approve=True, comment="")
    step_services.step_mark_done(project_step=step_of(project, number))


def test_the_catalog_has_seven_steps_and_a_solid_checklist():
    assert list(Step.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6, 7]
    assert ChecklistTemplate.objects.count() >= 60
    for step in Step.objects.all():
        assert step.templates.count() >= 6, step


def test_a_new_project_has_seven_step_rows_and_its_applicable_checklist(journey):
    assert ProjectStep.objects.filter(project=journey).count() == 7
    assert set(
        ProjectStep.objects.filter(project=journey).values_list("status", flat=True)
    ) == {StepStatus.NOT_STARTED}
    hipaa = ChecklistTemplate.objects.filter(frameworks__code="hipaa")
    pci = ChecklistTemplate.objects.filter(frameworks__code="pci_dss").exclude(
        frameworks__code__in=["hipaa", "soc2"]
    )
    assert hipaa.exists() and pci.exists()
    assert items(journey, template__in=hipaa).count() == hipaa.count()
    assert not items(journey, template__in=pci).exists()


def test_refreshing_after_a_framework_change_adds_items_and_keeps_ticks(people):
    project, lead = people["project"], people["lead"]
    kept = items(project, step__number=3, template__frameworks__code="hipaa").first()
    services.item_set_state(item=kept, state=ItemState.DONE, actor=lead)
    before = items(project).count()

    project.frameworks.set(Framework.objects.filter(code__in=["soc2", "pci_dss"]))
    result = services.checklist_refresh(project=project)

    pci_count = (
        ChecklistTemplate.objects.filter(frameworks__code="pci_dss")
        .exclude(frameworks__code="soc2")
        .count()
    )
    assert result.added == pci_count
    assert items(project).count() == before + pci_count
    kept.refresh_from_db()
    assert kept.state == ItemState.DONE  # the tick stays...
    assert kept.applicable is False  # ...on an item that no longer applies
    assert result.no_longer_applicable >= 1


def test_refreshing_after_a_catalog_edit_rewords_items_without_losing_ticks(people):
    project, lead = people["project"], people["lead"]
    item = items(project, step__number=1).first()
    services.item_set_state(item=item, state=ItemState.DONE, actor=lead)
    template = item.template
    template.title = "Expected users, daily requests and peak requests per second"
    template.save()
    services.checklist_refresh(project=project)
    item.refresh_from_db()
    assert item.title == template.title
    assert item.state == ItemState.DONE


def test_refresh_is_idempotent(journey):
    first = items(journey).count()
    result = services.checklist_refresh(project=journey)
    assert (result.added, result.updated) == (0, 0)
    assert items(journey).count() == first


def test_not_applicable_needs_a_justification_and_changes_nothing_without_one(people):
    item = items(people["project"], step__number=2).first()
    with pytest.raises(ValidationError):
        services.item_set_state(
            item=item,
            state=ItemState.NOT_APPLICABLE,
            actor=people["lead"],
            justification="  ",
        )
    item.refresh_from_db()
    assert item.state == ItemState.OPEN
    services.item_set_state(
        item=item,
        state=ItemState.NOT_APPLICABLE,
        actor=people["lead"],
        justification="No UI.",
    )
    item.refresh_from_db()
    assert (item.state, item.na_justification) == (ItemState.NOT_APPLICABLE, "No UI.")


def test_ticking_an_item_starts_its_step_and_records_who(people):
    item = items(people["project"], step__number=2).first()
    services.item_set_state(
        item=item, state=ItemState.DONE, actor=people["contributor"]
    )
    item.refresh_from_db()
    assert item.completed_by == people["contributor"]
    project_step = step_of(people["project"], 2)
    assert (
        project_step.status == StepStatus.IN_PROGRESS
        and project_step.started_at is not None
    )
    assert (
        item.history.first().history_user == people["contributor"]
        or item.history.first().history_user is None
    )


def test_a_step_cannot_be_done_while_a_required_item_is_open_and_the_gate_says_which(
    people,
):
    project = people["project"]
    services.item_set_state(
        item=items(project, step__number=1, required=True).first(),
        state=ItemState.DONE,
        actor=people["lead"],
    )
    with pytest.raises(step_services.GateFailed) as refused:
        step_services.step_mark_done(project_step=step_of(project, 1))
    reasons = " ".join(check.reason for check in refused.value.result.failures)
    still_open = items(
        project, step__number=1, required=True, state=ItemState.OPEN
    ).first()
    assert still_open.title in reasons
    assert "has not approved a requirements version" in reasons
    assert step_of(project, 1).status != StepStatus.DONE


def test_a_step_is_done_once_its_gate_holds(people):
    project = people["project"]
    finish_step(project, 1, actor=people["lead"], signers={"owner": people["owner"]})
    project_step = step_of(project, 1)
    assert (
        project_step.status == StepStatus.DONE and project_step.completed_at is not None
    )


def test_a_later_step_waits_for_the_earlier_ones(people):
    project = people["project"]
    record_assessment_without_gaps(project, people["lead"])
    for item in items(project, step__number=2, required=True):
        if item.evidence_required:
            services.evidence_add(
                item=item, actor=people["lead"], url="https://wiki.example.com/x"
            )
        services.item_set_state(item=item, state=ItemState.DONE, actor=people["lead"])
    with pytest.raises(step_services.GateFailed) as refused:
        step_services.step_mark_done(project_step=step_of(project, 2))
    assert [f.name for f in refused.value.result.failures] == ["Earlier steps done"]


def test_evidence_is_required_where_the_item_says_so(people):
    project = people["project"]
    item = items(project, step__number=1, evidence_required=True, required=True).first()
    assert item is not None, "the catalog should ask for evidence somewhere in step 1"
    for other in items(project, step__number=1, required=True):
        services.item_set_state(item=other, state=ItemState.DONE, actor=people["lead"])
    with pytest.raises(step_services.GateFailed) as refused:
        step_services.step_mark_done(project_step=step_of(project, 1))
    assert any(
        "Evidence is required" in f.reason and item.title in f.reason
        for f in refused.value.result.failures
    )


def test_reopening_needs_a_reason_and_keeps_later_steps(people):
    project = people["project"]
    finish_step(project, 1, actor=people["lead"], signers={"owner": people["owner"]})
    services.item_set_state(
        item=items(project, step__number=2).first(),
        state=ItemState.DONE,
        actor=people["lead"],
    )
    with pytest.raises(ValidationError):
        step_services.step_reopen(project_step=step_of(project, 1), reason=" ")
    step_services.step_reopen(
        project_step=step_of(project, 1), reason="Budget changed."
    )
    one, two = step_of(project, 1), step_of(project, 2)
    assert (
        one.status == StepStatus.IN_PROGRESS and one.reopen_reason == "Budget changed."
    )
    assert two.status == StepStatus.IN_PROGRESS


def test_a_done_steps_checklist_is_locked(people):
    project = people["project"]
    finish_step(project, 1, actor=people["lead"], signers={"owner": people["owner"]})
    with pytest.raises(ValidationError, match="Reopen"):
        services.item_set_state(
            item=items(project, step__number=1).first(),
            state=ItemState.OPEN,
            actor=people["lead"],
        )


def test_asking_a_reviewer_makes_them_a_reviewer_member(people):
    project, newcomer = people["project"], UserFactory(roles=[GlobalRole.REVIEWER])
    signoff = step_services.signoff_request(
        project_step=step_of(project, 3),
        role="reviewer",
        signer=newcomer,
        actor=people["lead"],
    )
    assert (
        Membership.objects.get(project=project, user=newcomer).role
        == ProjectRole.REVIEWER
    )
    assert signoff.status == SignOffStatus.PENDING


def test_a_sign_off_for_a_role_the_step_does_not_need_is_refused(people):
    with pytest.raises(ValidationError):
        step_services.signoff_request(
            project_step=step_of(people["project"], 2),
            role="reviewer",
            signer=people["reviewer"],
            actor=people["lead"],
        )


def test_rejecting_needs_a_reason(people):
    signoff = step_services.signoff_request(
        project_step=step_of(people["project"], 3),
        role="reviewer",
        signer=people["reviewer"],
        actor=people["lead"],
    )
    with pytest.raises(ValidationError):
        step_services.signoff_decide(signoff=signoff, approve=False, comment="")
    step_services.signoff_decide(
        signoff=signoff, approve=False, comment="No pen test yet."
    )
    signoff.refresh_from_db()
    assert (signoff.status, signoff.comment) == (
        SignOffStatus.REJECTED,
        "No pen test yet.",
    )


def test_a_sign_off_is_invalidated_when_a_required_item_changes_afterwards(people):
    project = people["project"]
    signoff = step_services.signoff_request(
        project_step=step_of(project, 3),
        role="reviewer",
        signer=people["reviewer"],
        actor=people["lead"],
    )
    step_services.signoff_decide(signoff=signoff, approve=True, comment="")
    optional = items(project, step__number=3, required=False).first()
    if optional is not None:
        services.item_set_state(
            item=optional, state=ItemState.DONE, actor=people["lead"]
        )
        signoff.refresh_from_db()
        assert signoff.status == SignOffStatus.APPROVED
    required = items(project, step__number=3, required=True).first()
    services.item_set_state(item=required, state=ItemState.DONE, actor=people["lead"])
    signoff.refresh_from_db()
    assert signoff.status == SignOffStatus.INVALIDATED
    assert required.title in signoff.invalidated_reason


def test_step_seven_needs_the_operating_owner(people):
    project = people["project"]
    # Production meets every target: only the operating owner is missing.
    record_daily_metrics(project)
    for number in range(1, 7):
        finish_step(
            project,
            number,
            actor=people["lead"],
            signers={
                "owner": people["owner"],
                "reviewer": people["reviewer"],
                "lead": people["lead"],
            },
        )
    with pytest.raises(step_services.GateFailed) as refused:
        finish_step(
            project,
            7,
            actor=people["lead"],
            signers={"owner": people["owner"], "lead": people["lead"]},
        )
    assert [f.name for f in refused.value.result.failures] == ["Operating owner named"]
    project.operating_owner = people["lead"]
    project.save()
    step_services.step_mark_done(project_step=step_of(project, 7))
    assert step_of(project, 7).status == StepStatus.DONE


def test_custom_items_join_one_projects_checklist(people):
    project = people["project"]
    step = Step.objects.get(number=4)
    item = services.custom_item_add(
        project=project,
        step=step,
        title="Load the claims archive",
        required=True,
        evidence_required=False,
    )
    assert item.is_custom and item.project == project
    assert step_of(project, 4).status == StepStatus.IN_PROGRESS


def test_blocking_a_step_needs_a_reason(people):
    with pytest.raises(ValidationError):
        step_services.step_update(
            project_step=step_of(people["project"], 2),
            owner=None,
            due_date=None,
            status=StepStatus.BLOCKED,
            blocked_reason="",
        )
    with pytest.raises(ValidationError):
        step_services.step_update(
            project_step=step_of(people["project"], 2),
            owner=None,
            due_date=None,
            status=StepStatus.DONE,
            blocked_reason="",
        )


@pytest.mark.parametrize(
    "roles", [[], [GlobalRole.PRODUCT_MANAGER], [GlobalRole.ENGINEERING_LEAD]]
)
def test_only_a_reviewer_can_be_asked_and_nobody_else_becomes_a_member(people, roles):
    project, somebody = people["project"], UserFactory(roles=roles)
    with pytest.raises(ValidationError, match="not a Reviewer"):
        step_services.signoff_request(
            project_step=step_of(project, 3),
            role="reviewer",
            signer=somebody,
            actor=people["lead"],
        )
    assert not Membership.objects.filter(project=project, user=somebody).exists()
    assert not SignOff.objects.filter(signer=somebody).exists()


# Evidence files: a failed write leaves no file behind


def pdf_upload(content_type="application/pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("pentest.pdf", b"%PDF-1.7 report", content_type)


def stored_files(root):
    return [p for p in root.rglob("*") if p.is_file()]


def test_an_uploads_stored_type_comes_from_its_extension(people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = items(people["project"], step__number=3, applicable=True).first()
    evidence = services.evidence_add(
        item=item, actor=people["lead"], upload=pdf_upload("text/" + "x" * 500)
    )
    evidence.refresh_from_db()
    assert (evidence.content_type, evidence.original_name, evidence.size) == (
        "application/pdf",
        "pentest.pdf",
        15,
    )
    assert evidence.file.name.startswith(f"evidence/{people['project'].pk}/")
    assert stored_files(tmp_path) == [tmp_path / evidence.file.name]


def test_a_failed_insert_deletes_the_file_it_followed(
    people, settings, tmp_path, monkeypatch
):
    """The issue's case: a value too long for its column fails the insert after the
    file is written (PostgreSQL checks lengths; SQLite does not)."""
    from django.db import DataError, connection

    require(
        connection.vendor == "postgresql",
        "PostgreSQL, which refuses a value longer than its column",
    )
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(services.uploads, "content_type_for", lambda name: "x" * 500)
    item = items(people["project"], step__number=3, applicable=True).first()
    with pytest.raises(DataError):
        services.evidence_add(item=item, actor=people["lead"], upload=pdf_upload())
    assert not item.evidence.exists()
    assert stored_files(tmp_path) == []
    assert not any((tmp_path / "evidence" / str(item.project_id)).iterdir())


def test_a_failure_after_the_insert_deletes_the_file_and_the_row(
    people, settings, tmp_path, monkeypatch
):
    from django.db import DatabaseError

    settings.MEDIA_ROOT = tmp_path
    written = []

    def fail(item):
        written.extend(stored_files(tmp_path))
        raise DatabaseError("the connection went away")

    monkeypatch.setattr(services, "_invalidate_signoffs", fail)
    item = items(people["project"], step__number=3, applicable=True).first()
    with pytest.raises(DatabaseError):
        services.evidence_add(item=item, actor=people["lead"], upload=pdf_upload())
    assert [p.name for p in written] == ["pentest.pdf"]  # it was on disk, then
    assert not item.evidence.exists()
    assert stored_files(tmp_path) == []


def test_a_done_step_refuses_a_file_before_writing_it(people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    project = people["project"]
    ProjectStep.objects.filter(project=project, step__number=3).update(
        status=StepStatus.DONE
    )
    item = items(project, step__number=3, applicable=True).first()
    with pytest.raises(ValidationError, match="is done"):
        services.evidence_add(item=item, actor=people["lead"], upload=pdf_upload())
    assert not item.evidence.exists()
    assert not any(tmp_path.iterdir())


def test_removing_a_file_deletes_it_and_its_folder_at_commit(
    people, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    item = items(people["project"], step__number=3, applicable=True).first()
    evidence = services.evidence_add(
        item=item, actor=people["lead"], upload=pdf_upload()
    )
    path = tmp_path / evidence.file.name
    with django_capture_on_commit_callbacks() as callbacks:
        services.evidence_remove(evidence=evidence)
        assert path.exists()  # not before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    assert not path.exists() and not path.parent.exists()
