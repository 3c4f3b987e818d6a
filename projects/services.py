"""Writes to projects and to their checklists and evidence (teams and members are
projects.membership_services; a step as a whole, projects.step_services). History is
recorded by simple_history."""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from core import fragments
from projects import sql, uploads
from projects.models import (
    ChecklistItem,
    ChecklistTemplate,
    DataClassification,
    Evidence,
    Framework,
    ItemState,
    Membership,
    NotificationKind,
    Project,
    ProjectRole,
    ProjectStep,
    PrototypeOrigin,
    SignOff,
    SignOffStatus,
    Step,
    StepStatus,
    Team,
    UseCase,
)
from projects.notifications import notify
from projects.profile import profile_changed, profile_of
from projects.progress import template_applies

if TYPE_CHECKING:
    from collections.abc import Iterable

    from portal.models import User

logger = logging.getLogger(__name__)

# Slugs that name a page beside /projects/<slug>/ and would hide the project.
RESERVED_PROJECT_SLUGS = frozenset({"new"})


def unique_slug(model: type[Project] | type[Team], name: str) -> str:
    """A slug from ``name`` that no row of ``model`` uses yet (nor a reserved path)."""
    base = slugify(name)[:100] or "item"
    reserved = RESERVED_PROJECT_SLUGS if model is Project else frozenset()
    slug, n = base, 2
    while slug in reserved or model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def project_create(
    *,
    name: str,
    team: Team,
    owner: User,
    summary: str = "",
    lead: User | None = None,
    use_case: str = UseCase.CHATBOT,
    prototype_origin: str = PrototypeOrigin.HAND_WRITTEN,
    data_classification: str = DataClassification.INTERNAL,
    frameworks: Iterable[Framework] = (),
    target_launch_date: date | None = None,
) -> Project:
    """Create a project with its owner (the PM), its engineering lead if named, its
    seven step rows and its checklist from the catalog."""
    project = Project.objects.create(
        name=name,
        slug=unique_slug(Project, name),
        team=team,
        summary=summary,
        use_case=use_case,
        prototype_origin=prototype_origin,
        data_classification=data_classification,
        target_launch_date=target_launch_date,
    )
    project.frameworks.set(frameworks)
    Membership.objects.create(project=project, user=owner, role=ProjectRole.OWNER)
    if lead is not None and lead != owner:
        Membership.objects.create(project=project, user=lead, role=ProjectRole.LEAD)
    project_steps_initialize(project=project)
    checklist_refresh(project=project)
    profile_changed(project)
    return project


@transaction.atomic
def project_update(
    *,
    project: Project,
    name: str,
    summary: str,
    team: Team,
    use_case: str,
    prototype_origin: str,
    data_classification: str,
    frameworks: Iterable[Framework],
    status: str,
    target_launch_date: date | None,
    operating_owner: User | None,
    metric_gate_window_days: int = 7,
) -> ChecklistRefresh:
    """Save the project's details; a change of frameworks or data classification
    refreshes its checklist (ticks already made are kept)."""
    before = profile_of(project)
    project.name = name
    project.summary = summary
    project.team = team
    project.use_case = use_case
    project.prototype_origin = prototype_origin
    project.data_classification = data_classification
    project.status = status
    project.target_launch_date = target_launch_date
    project.operating_owner = operating_owner
    project.metric_gate_window_days = metric_gate_window_days
    project.save()
    project.frameworks.set(frameworks)
    refresh = checklist_refresh(project=project)
    if profile_of(project) != before:
        profile_changed(project)
    return refresh


@transaction.atomic
def project_archive(*, project: Project) -> None:
    """Archive instead of delete: a project with history is never removed."""
    project.archived_at = timezone.now()
    project.save(update_fields=["archived_at", "updated_at"])


@transaction.atomic
def project_unarchive(*, project: Project) -> None:
    project.archived_at = None
    project.save(update_fields=["archived_at", "updated_at"])


# --- Steps and checklists -------------------------------------------------------


def project_steps_initialize(*, project: Project) -> None:
    """One state row per step (idempotent)."""
    existing = set(
        ProjectStep.objects.filter(project=project).values_list("step_id", flat=True)
    )
    missing = [
        ProjectStep(project=project, step=step)
        for step in Step.objects.all()
        if step.pk not in existing
    ]
    if missing:
        bulk_create_with_history(missing, ProjectStep)


@dataclass(frozen=True)
class ChecklistRefresh:
    added: int
    updated: int
    no_longer_applicable: int


@transaction.atomic
def checklist_refresh(*, project: Project) -> ChecklistRefresh:
    """Bring the project's checklist in line with the catalog, its frameworks, data
    class and EU AI Act tier.

    New applicable catalog items are added; existing items take the catalog's
    current wording; items that no longer apply are flagged, never deleted, so
    ticks, notes and evidence already recorded are kept.
    """
    project_frameworks = set(project.frameworks.values_list("code", flat=True))
    templates = ChecklistTemplate.objects.filter(active=True).prefetch_related(
        "frameworks"
    )
    items = {
        item.template_id: item
        for item in ChecklistItem.objects.filter(
            project=project, template__isnull=False
        )
    }
    added: list[ChecklistItem] = []
    updated = flagged = 0
    for template in templates:
        applies = template_applies(
            template_frameworks=[f.code for f in template.frameworks.all()],
            min_classification=template.min_classification,
            project_frameworks=project_frameworks,
            project_classification=project.data_classification,
            template_ai_act_tiers=template.ai_act_tiers,
            project_ai_act_tier=project.ai_act_tier,
        )
        item = items.pop(template.pk, None)
        if item is None:
            if applies:
                added.append(_item_from_template(project, template))
            continue
        wording = (
            template.title,
            template.guidance,
            template.required,
            template.evidence_required,
            template.order,
        )
        current = (
            item.title,
            item.guidance,
            item.required,
            item.evidence_required,
            item.order,
        )
        if wording != current or item.applicable != applies:
            (
                item.title,
                item.guidance,
                item.required,
                item.evidence_required,
                item.order,
            ) = wording
            flagged += int(item.applicable and not applies)
            item.applicable = applies
            item.save()
            updated += 1
    # Items whose template was deactivated are flagged too.
    for item in items.values():
        if item.applicable:
            item.applicable = False
            item.save(update_fields=["applicable", "updated_at"])
            flagged += 1
    if added:
        bulk_create_with_history(added, ChecklistItem)
        # Bulk inserts send no signals.
        fragments.data_changed(ChecklistItem, project_id=project.pk)
    return ChecklistRefresh(
        added=len(added), updated=updated, no_longer_applicable=flagged
    )


def _item_from_template(project: Project, template: ChecklistTemplate) -> ChecklistItem:
    return ChecklistItem(
        project=project,
        step_id=template.step_id,
        template=template,
        title=template.title,
        guidance=template.guidance,
        required=template.required,
        evidence_required=template.evidence_required,
        order=template.order,
    )


def _work_on_step(project_id: int, step_id: int) -> None:
    """Lock the step for the rest of the transaction, refuse work on a done step and
    note the activity (for the stalled flag); work on a step not started starts it.

    A step already under way takes one UPDATE, which locks the row as
    ``select_for_update`` would. Only the activity time moves: the change that
    caused it has its own history row, so the step gets none for every tick of its
    checklist. Nor does it announce a change of ProjectStep (core.fragments): the
    stalled flag it can clear counts in days, and fragments rendered from the old time
    expire within minutes (portal/fragments.py). The UPDATE is written out
    (projects.sql)."""
    now = timezone.now()
    if sql.touch_step_activity(project_id, step_id, now):
        return
    project_step = (
        ProjectStep.objects.select_for_update()
        .select_related("step")
        .get(project_id=project_id, step_id=step_id)
    )
    _ensure_open_step(project_step)
    project_step.status = StepStatus.IN_PROGRESS
    project_step.started_at = project_step.last_activity_at = now
    project_step.save(update_fields=["last_activity_at", "status", "started_at"])


def _ensure_open_step(project_step: ProjectStep) -> None:
    if project_step.status == StepStatus.DONE:
        raise ValidationError(
            f"Step {project_step.step.number} is done. Reopen it to change its checklist."
        )


def _invalidate_signoffs(item: ChecklistItem) -> int:
    """A sign-off no longer stands once a required item of its step changes."""
    if not item.required:
        return 0
    signoffs = SignOff.objects.filter(
        project_id=item.project_id,
        step_id=item.step_id,
        status=SignOffStatus.APPROVED,
    )
    count = 0
    for signoff in signoffs:
        signoff.status = SignOffStatus.INVALIDATED
        signoff.invalidated_reason = f"“{item.title}” changed after the sign-off."
        signoff.save(update_fields=["status", "invalidated_reason"])
        count += 1
    return count


@transaction.atomic
def item_set_state(
    *, item: ChecklistItem, state: str, actor: User, justification: str = ""
) -> ChecklistItem:
    """Tick, untick or mark an item not applicable (which needs a justification)."""
    if state == ItemState.NOT_APPLICABLE and not justification.strip():
        raise ValidationError("Say why the item does not apply to this project.")
    if state == item.state and (
        state != ItemState.NOT_APPLICABLE or justification == item.na_justification
    ):
        return item
    _work_on_step(item.project_id, item.step_id)
    item.state = state
    item.na_justification = (
        justification.strip() if state == ItemState.NOT_APPLICABLE else ""
    )
    if state == ItemState.DONE:
        item.completed_by, item.completed_at = actor, timezone.now()
    else:
        item.completed_by, item.completed_at = None, None
    item.save(
        update_fields=[
            "state",
            "na_justification",
            "completed_by",
            "completed_at",
            "updated_at",
        ]
    )
    _invalidate_signoffs(item)
    return item


@transaction.atomic
def item_update(
    *,
    item: ChecklistItem,
    assignee: User | None,
    due_date: date | None,
    notes: str,
    actor: User | None = None,
) -> ChecklistItem:
    """Save assignee, due date and notes; a new assignee is notified."""
    _work_on_step(item.project_id, item.step_id)
    newly_assigned = assignee is not None and assignee.pk != item.assignee_id
    item.assignee, item.due_date, item.notes = assignee, due_date, notes
    item.save()
    if newly_assigned and assignee is not None:
        notify(
            user=assignee,
            kind=NotificationKind.ITEM_ASSIGNED,
            message=f"You are assigned “{item.title}” in {item.project.name}, step {item.step.number}",
            url=step_url(item.project, item.step.number, anchor=f"item-{item.pk}"),
            project=item.project,
            actor=actor,
        )
    return item


class BulkAction(StrEnum):
    DONE = "done"
    ASSIGN = "assign"
    NOT_APPLICABLE = "not_applicable"


@transaction.atomic
def items_bulk_update(
    *,
    project: Project,
    step: Step,
    item_ids: list[int],
    action: str,
    actor: User,
    assignee: User | None = None,
    justification: str = "",
) -> list[ChecklistItem]:
    """Tick, assign or mark not applicable several items of one step at once: all of
    them or, if any cannot be changed, none. Each change is the single-item service's
    (``item_set_state``, ``item_update``), so its rules, history and notifications
    are the same; the caller checks the user may work the checklist, as for one item."""
    wanted = set(item_ids)
    if not wanted:
        raise ValidationError("Select at least one item.")
    items = list(
        ChecklistItem.objects.select_for_update(of=("self",))
        .select_related("project", "step", "assignee")
        .filter(project=project, step=step, pk__in=wanted)
        .order_by("order", "id")
    )
    if len(items) != len(wanted):
        raise ValidationError(
            "Some of the selected items are not on this step's checklist: nothing was changed."
        )
    if any(not item.applicable for item in items):
        raise ValidationError(
            "Some of the selected items no longer apply: nothing was changed."
        )
    if action == BulkAction.DONE:
        for item in items:
            item_set_state(item=item, state=ItemState.DONE, actor=actor)
    elif action == BulkAction.NOT_APPLICABLE:
        if not justification.strip():
            raise ValidationError("Say why the selected items do not apply.")
        for item in items:
            item_set_state(
                item=item,
                state=ItemState.NOT_APPLICABLE,
                actor=actor,
                justification=justification,
            )
    elif action == BulkAction.ASSIGN:
        if assignee is None:
            raise ValidationError("Choose whom to assign the selected items to.")
        if not Membership.objects.filter(project=project, user=assignee).exists():
            raise ValidationError(f"{assignee} is not a member of this project.")
        for item in items:
            item_update(
                item=item,
                assignee=assignee,
                due_date=item.due_date,
                notes=item.notes,
                actor=actor,
            )
    else:
        raise ValidationError("Choose what to do with the selected items.")
    return items


def step_url(project: Project, number: int, *, anchor: str = "") -> str:
    url = reverse("projects:step", kwargs={"slug": project.slug, "number": number})
    return f"{url}#{anchor}" if anchor else url


def evidence_add(
    *,
    item: ChecklistItem,
    actor: User,
    url: str = "",
    upload: UploadedFile[Any] | None = None,
) -> Evidence:
    """Attach a link or a file (validated by the form) to an item.

    The stored content type comes from the file's extension, which the form has
    matched to its content; the browser's is never stored. The file is written
    only once the step is known to be open, and if anything after that fails
    (the row's insert, the commit) it is deleted again before the error goes on,
    so a failed upload leaves no file behind. This is the outermost transaction
    when called from the view; inside a caller's own transaction, a rollback of
    the caller's after this returns is the caller's to clean up."""
    if bool(url) == bool(upload):
        raise ValidationError("Attach either a link or a file.")
    stored = ""
    evidence = Evidence(item=item, url=url, added_by=actor)
    try:
        with transaction.atomic():
            _work_on_step(item.project_id, item.step_id)
            if upload is not None:
                name = upload.name or "file"
                evidence.original_name = name
                evidence.content_type = uploads.content_type_for(name)
                evidence.size = upload.size or 0
                evidence.file.save(name, upload, save=False)
                stored = evidence.file.name or ""
            evidence.save()
            _invalidate_signoffs(item)
    except BaseException:
        if stored:
            _discard_file(evidence.file.storage, stored)
        raise
    return evidence


@transaction.atomic
def evidence_remove(*, evidence: Evidence) -> None:
    item = evidence.item
    _work_on_step(item.project_id, item.step_id)
    stored = evidence.file.name if evidence.file else ""
    storage = evidence.file.storage if evidence.file else None
    evidence.delete()
    _invalidate_signoffs(item)
    if storage is not None and stored:
        # The file goes only once the row is gone for good.
        transaction.on_commit(lambda: _discard_file(storage, stored))


def _discard_file(storage: Storage, name: str) -> None:
    """Delete an evidence file and, on a local disk, the random folder that held
    only it. A failure is logged, not raised: the caller has its own outcome."""
    try:
        storage.delete(name)
    except OSError:
        logger.exception("Could not delete the evidence file %s", name)
        return
    try:
        folder = os.path.dirname(storage.path(name))
    except NotImplementedError:  # not a local disk: there are no folders
        return
    with contextlib.suppress(OSError):  # kept if anything else is in it
        os.rmdir(folder)


@transaction.atomic
def custom_item_add(
    *,
    project: Project,
    step: Step,
    title: str,
    required: bool,
    evidence_required: bool,
    guidance: str = "",
) -> ChecklistItem:
    _work_on_step(project.pk, step.pk)
    last = (
        ChecklistItem.objects.filter(project=project, step=step)
        .order_by("-order")
        .first()
    )
    item = ChecklistItem.objects.create(
        project=project,
        step=step,
        title=title,
        guidance=guidance,
        required=required,
        evidence_required=evidence_required,
        order=(last.order if last else 0) + 10,
    )
    return item
