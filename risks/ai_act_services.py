"""Every write of a project's EU AI Act questionnaire. History rows are written by
django-simple-history (``AuditTrail``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from projects.models import Project
from projects.services import ChecklistRefresh, checklist_refresh
from risks.ai_act import Answers, Classification, classify
from risks.models import AiActAssessment, AiActTierChange

if TYPE_CHECKING:
    from portal.models import User

REASON_NEEDED = "Say why the tier changes."


@dataclass(frozen=True)
class AiActResult:
    classification: Classification
    previous_tier: str  # "" when the project had not been assessed
    checklist: ChecklistRefresh

    @property
    def changed(self) -> bool:
        return self.previous_tier != self.classification.tier


@transaction.atomic
def ai_act_answer(
    *, project: Project, by: User, answers: Answers, reason: str = ""
) -> AiActResult:
    """Classify the answers, keep them with the tier and its reasons, set the project's
    tier and bring its checklist in line (the tier's obligations are added; those of a
    tier left behind are flagged, ticks kept).

    A tier that changes from an earlier one needs ``reason`` (ValidationError
    otherwise, nothing saved); every change of tier, the first one included, is
    recorded with who and why."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    classification = classify(answers)
    previous = project.ai_act_tier
    reason = reason.strip()
    if previous and previous != classification.tier and not reason:
        raise ValidationError(REASON_NEEDED, code="reason")
    now = timezone.now()
    AiActAssessment.objects.update_or_create(
        project=project,
        defaults={
            "answers": answers.as_dict(),
            "tier": classification.tier,
            "reasons": classification.reasons,
            "answered_by": by,
            "answered_at": now,
        },
    )
    if previous != classification.tier:
        AiActTierChange.objects.create(
            project=project,
            from_tier=previous,
            to_tier=classification.tier,
            changed_by=by,
            changed_at=now,
            reason=reason,
        )
        project.ai_act_tier = classification.tier
        project.save(update_fields=["ai_act_tier", "updated_at"])
    return AiActResult(
        classification=classification,
        previous_tier=previous,
        checklist=checklist_refresh(project=project),
    )
