"""Writes on a step as a whole: its owner and due date, marking it done through its
gate, reopening it, and the sign-offs it asks for."""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from projects import selectors, sql, step_selectors
from projects.gates import GateResult
from projects.models import (
    Membership,
    NotificationKind,
    ProjectRole,
    ProjectStep,
    SignOff,
    SignOffStatus,
    StepStatus,
)
from projects.notifications import ChannelEventKind, announce, notify
from projects.services import step_url

if TYPE_CHECKING:
    from portal.models import User

logger = logging.getLogger(__name__)

# Slugs that name a page beside /projects/<slug>/ and would hide the project.
RESERVED_PROJECT_SLUGS = frozenset({"new"})


@transaction.atomic
def step_update(
    *,
    project_step: ProjectStep,
    owner: User | None,
    due_date: date | None,
    status: str,
    blocked_reason: str,
    actor: User | None = None,
) -> ProjectStep:
    """Set the step's owner, due date and working status (done goes through the gate)."""
    if status == StepStatus.DONE:
        raise ValidationError("Use “Mark step done”, which checks the gate.")
    if project_step.status == StepStatus.DONE and status != StepStatus.DONE:
        raise ValidationError("Reopen the step, with a reason, to change its status.")
    if status == StepStatus.BLOCKED and not blocked_reason.strip():
        raise ValidationError("Say what blocks the step.")
    if status != StepStatus.NOT_STARTED and project_step.started_at is None:
        project_step.started_at = timezone.now()
    newly_owned = owner is not None and owner.pk != project_step.owner_id
    project_step.owner = owner
    project_step.due_date = due_date
    project_step.status = status
    project_step.blocked_reason = (
        blocked_reason.strip() if status == StepStatus.BLOCKED else ""
    )
    project_step.last_activity_at = timezone.now()
    project_step.save()
    if newly_owned and owner is not None:
        step = project_step.step
        notify(
            user=owner,
            kind=NotificationKind.STEP_ASSIGNED,
            message=f"You own step {step.number} ({step.short_name}) of {project_step.project.name}",
            url=step_url(project_step.project, step.number),
            project=project_step.project,
            actor=actor,
        )
    return project_step


class GateFailed(Exception):
    def __init__(self, result: GateResult) -> None:
        super().__init__("; ".join(check.reason for check in result.failures))
        self.result = result


@transaction.atomic
def step_mark_done(*, project_step: ProjectStep) -> GateResult:
    """Mark the step done if, and only if, its gate passes; otherwise raise GateFailed."""
    project_step = (
        ProjectStep.objects.select_for_update()
        .select_related("step", "project")
        .get(pk=project_step.pk)
    )
    result = step_selectors.gate_result(project_step)
    if not result.passed:
        raise GateFailed(result)
    now = timezone.now()
    project_step.status = StepStatus.DONE
    project_step.completed_at = now
    project_step.started_at = project_step.started_at or now
    project_step.last_activity_at = now
    project_step.blocked_reason = ""
    project_step.save()
    return result


@transaction.atomic
def step_reopen(*, project_step: ProjectStep, reason: str) -> ProjectStep:
    """Reopen a done step; later steps keep their status and show the reopening."""
    if project_step.status != StepStatus.DONE:
        raise ValidationError("Only a done step can be reopened.")
    if not reason.strip():
        raise ValidationError("Say why the step is reopened.")
    now = timezone.now()
    project_step.status = StepStatus.IN_PROGRESS
    project_step.completed_at = None
    project_step.reopened_at = now
    project_step.reopen_reason = reason.strip()
    project_step.last_activity_at = now
    project_step.save()
    return project_step


@transaction.atomic
def signoff_request(
    *, project_step: ProjectStep, role: str, signer: User, actor: User
) -> SignOff:
    """Ask ``signer`` to sign off the step in ``role``. Asking a reviewer who is not
    a member yet makes them a reviewer member, so that they can see the project."""
    step = project_step.step
    if role not in step.signoff_roles:
        raise ValidationError(f"Step {step.number} needs no sign-off by a {role}.")
    if project_step.status == StepStatus.DONE:
        raise ValidationError("The step is done already.")
    project = project_step.project
    refusal = selectors.signoff_refusal(project, role, signer)
    if refusal:
        raise ValidationError(refusal)
    if not Membership.objects.filter(project=project, user=signer).exists():
        # Only a Reviewer gets here without a membership (``signoff_candidates``):
        # the request makes them a reviewer member, so that they can see the project.
        Membership.objects.create(
            project=project, user=signer, role=ProjectRole.REVIEWER
        )
    if SignOff.objects.filter(
        project=project,
        step=step,
        role=role,
        signer=signer,
        status=SignOffStatus.PENDING,
    ).exists():
        raise ValidationError(f"{signer} has already been asked.")
    signoff = SignOff.objects.create(
        project=project, step=step, role=role, signer=signer, requested_by=actor
    )
    # Asking for a sign-off is work on the step: it is not stalled.
    sql.touch_step_activity(project.pk, step.pk, signoff.requested_at)
    notify(
        user=signer,
        kind=NotificationKind.SIGNOFF_REQUESTED,
        message=f"{actor} asks for your {signoff.get_role_display().lower()} sign-off "
        f"of step {step.number} of {project.name}",
        url=step_url(project, step.number),
        project=project,
        actor=actor,
    )
    announce(
        project=project,
        kind=ChannelEventKind.SIGNOFF_REQUESTED,
        title=f"{project.name}: {actor} asks {signer} for the "
        f"{signoff.get_role_display().lower()} sign-off of step {step.number} "
        f"({step.short_name})",
        url=step_url(project, step.number),
    )
    return signoff


@transaction.atomic
def signoff_decide(*, signoff: SignOff, approve: bool, comment: str) -> SignOff:
    """Approve (with an optional comment) or reject (with a reason) a pending sign-off."""
    if signoff.status != SignOffStatus.PENDING:
        raise ValidationError("This sign-off has been decided already.")
    if not approve and not comment.strip():
        raise ValidationError("Give a reason for the rejection.")
    signoff.status = SignOffStatus.APPROVED if approve else SignOffStatus.REJECTED
    signoff.comment = comment.strip()
    signoff.decided_at = timezone.now()
    signoff.save(update_fields=["status", "comment", "decided_at"])
    sql.touch_step_activity(signoff.project_id, signoff.step_id, signoff.decided_at)
    if signoff.requested_by is not None:
        verdict = "approved" if approve else "rejected"
        notify(
            user=signoff.requested_by,
            kind=NotificationKind.SIGNOFF_DECIDED,
            message=f"{signoff.signer} {verdict} the sign-off of step {signoff.step.number} "
            f"of {signoff.project.name}"
            + (f": “{signoff.comment}”" if signoff.comment else ""),
            url=step_url(signoff.project, signoff.step.number),
            project=signoff.project,
            actor=signoff.signer,
        )
    # The comment stays in Runway: a channel's audience may be wider than the step's.
    announce(
        project=signoff.project,
        kind=ChannelEventKind.SIGNOFF_DECIDED,
        title=f"{signoff.project.name}: {signoff.signer} "
        f"{'approved' if approve else 'rejected'} the "
        f"{signoff.get_role_display().lower()} sign-off of step "
        f"{signoff.step.number} ({signoff.step.short_name})",
        url=step_url(signoff.project, signoff.step.number),
    )
    return signoff
