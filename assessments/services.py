"""Every write of the assessments app. History is recorded by simple_history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assessments import readiness, scoring, selectors
from assessments.coverage import satisfied_items
from assessments.models import (
    AssessmentCriterion,
    AssessmentDraft,
    CostScenario,
    CriterionScore,
    GapAssessment,
    ModelPrice,
    PartnerScoring,
    RequirementsDocument,
    RequirementsVersion,
    ScenarioTier,
)
from projects import services as project_services
from projects.models import (
    ChecklistItem,
    ItemState,
    Project,
    ProjectStep,
    Step,
    StepStatus,
)

if TYPE_CHECKING:
    from portal.models import User


@transaction.atomic
def requirements_save(
    *, project: Project, author: User, values: Mapping[str, Any], change_note: str = ""
) -> RequirementsVersion:
    """Save the requirements as a new version; earlier versions never change."""
    document, _ = RequirementsDocument.objects.select_for_update().get_or_create(
        project=project
    )
    last = document.versions.order_by("-number").first()
    return RequirementsVersion.objects.create(
        document=document,
        number=(last.number if last else 0) + 1,
        author=author,
        change_note=change_note,
        compliance_needs=sorted(project.frameworks.values_list("name", flat=True)),
        **values,
    )


@transaction.atomic
def requirements_approve(
    *, version: RequirementsVersion, actor: User
) -> list[ChecklistItem]:
    """Record ``version`` as the approved one (step 1's sign-off by the owner) and
    tick the step-1 items it satisfies; returns those items."""
    document = RequirementsDocument.objects.select_for_update().get(
        pk=version.document_id
    )
    document.approved_version = version
    document.approved_by = actor
    document.approved_at = timezone.now()
    document.save()
    return tick_what_the_version_satisfies(version=version, actor=actor)


def tick_what_the_version_satisfies(
    *, version: RequirementsVersion, actor: User
) -> list[ChecklistItem]:
    """Tick the open step-1 items an approved version satisfies by itself
    (``assessments.coverage``), each with the version as its evidence; returns them.
    Items already ticked or marked not applicable keep what their owner said, and a
    step 1 already done is left alone (a later approval changes no closed step)."""
    document = version.document
    project = document.project
    step_one = ProjectStep.objects.filter(project=project, step__number=1).first()
    if step_one is None or step_one.status == StepStatus.DONE:
        return []
    keys = satisfied_items(selectors.version_values(version))
    items = list(
        ChecklistItem.objects.filter(
            project=project,
            step_id=step_one.step_id,
            applicable=True,
            state=ItemState.OPEN,
            template__key__in=keys,
        ).order_by("order", "pk")
    )
    evidence_url = (
        reverse("assessments:requirements", kwargs={"slug": project.slug})
        + f"#version-{version.number}"
    )
    for item in items:
        project_services.item_set_state(item=item, state=ItemState.DONE, actor=actor)
        project_services.evidence_add(item=item, actor=actor, url=evidence_url)
    return items


@dataclass(frozen=True)
class ScoreInput:
    criterion: AssessmentCriterion
    level: int | None  # None: not assessed yet
    target: int
    note: str = ""


@transaction.atomic
def assessment_record(
    *, project: Project, assessor: User, scores: Sequence[ScoreInput], note: str = ""
) -> GapAssessment:
    """Record a gap assessment; its readiness follows from the scores. The project's
    draft, if any, is what was being written: it goes. Raises ``ValidationError``
    when no criterion is assessed (a readiness needs one)."""
    try:
        result = readiness.readiness(
            [
                readiness.CriterionScore(
                    s.criterion.area_name, s.criterion.name, s.level, s.target
                )
                for s in scores
            ]
        )
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    AssessmentDraft.objects.filter(project=project).delete()
    assessment = GapAssessment.objects.create(
        project=project,
        assessor=assessor,
        note=note,
        overall_readiness=Decimal(str(result.overall)),
    )
    CriterionScore.objects.bulk_create(
        CriterionScore(
            assessment=assessment,
            criterion=s.criterion,
            level=s.level,
            target=s.target,
            note=s.note,
        )
        for s in scores
    )
    return assessment


@transaction.atomic
def assessment_draft_save(
    *,
    project: Project,
    author: User,
    values: Mapping[str, Mapping[str, Any]],
    note: str = "",
) -> AssessmentDraft:
    """Keep the assessment being written, as the form held it (validated, possibly
    incomplete). It replaces the project's earlier draft and counts nowhere until
    ``assessment_record``."""
    draft, _ = AssessmentDraft.objects.update_or_create(
        project=project,
        defaults={
            "author": author,
            "values": {key: dict(value) for key, value in values.items()},
            "note": note,
        },
    )
    return draft


@transaction.atomic
def assessment_draft_discard(*, project: Project) -> bool:
    """Throw the project's draft away; False when there was none."""
    deleted, _ = AssessmentDraft.objects.filter(project=project).delete()
    return deleted > 0


def _ensure_may_own_gaps(project: Project, person: User) -> None:
    # The same people the gap form offers: the project's members.
    if not project.memberships.filter(user=person).exists():
        raise ValidationError(
            f"{person.display_name} is not a member of {project.name}, "
            "so cannot own its gaps."
        )


@transaction.atomic
def gap_to_checklist(
    *,
    score: CriterionScore,
    step_number: int,
    assignee: User,
    due_date: date | None,
    actor: User,
) -> CriterionScore:
    """Turn a gap into a checklist item of the chosen step, owned by ``assignee`` (a
    member of the project)."""
    if not score.is_gap:
        raise ValidationError("This criterion has no gap to close.")
    # Read the link again under a lock on the row: two people assigning the same
    # gap at once must not make two items.
    linked = (
        CriterionScore.objects.select_for_update()
        .values_list("checklist_item_id", flat=True)
        .get(pk=score.pk)
    )
    if linked is not None or score.checklist_item_id is not None:
        raise ValidationError("This gap already has a checklist item.")
    project = score.assessment.project
    _ensure_may_own_gaps(project, assignee)
    criterion = score.criterion
    item = project_services.custom_item_add(
        project=project,
        step=Step.objects.get(number=step_number),
        title=f"Close the gap: {criterion.name} (level {score.level} → {score.target})"[
            :200
        ],
        guidance=criterion.remediation,
        required=True,
        evidence_required=False,
    )
    item = project_services.item_update(
        item=item, assignee=assignee, due_date=due_date, notes=score.note, actor=actor
    )
    score.checklist_item = item
    score.save(update_fields=["checklist_item"])
    return score


@transaction.atomic
def gaps_to_checklist(
    *,
    scores: Sequence[CriterionScore],
    assignee: User,
    step_number: int | None,
    due_date: date | None,
    actor: User,
) -> list[CriterionScore]:
    """Give several gaps of one project the same owner at once: each becomes a
    checklist item as with ``gap_to_checklist``, in ``step_number`` or, when None, in
    the step its criterion suggests. All or nothing: if one gap cannot be assigned,
    none is, and the ``ValidationError`` names the gap."""
    if not scores:
        raise ValidationError("Select at least one gap.")
    projects = {score.assessment.project_id for score in scores}
    if len(projects) != 1:
        raise ValidationError("The gaps must all belong to one project.")
    _ensure_may_own_gaps(scores[0].assessment.project, assignee)
    done = []
    for score in scores:
        try:
            done.append(
                gap_to_checklist(
                    score=score,
                    step_number=step_number or score.criterion.remediation_step,
                    assignee=assignee,
                    due_date=due_date,
                    actor=actor,
                )
            )
        except ValidationError as exc:
            raise ValidationError(
                f"“{score.criterion.name}”: {' '.join(exc.messages)}"
            ) from exc
    return done


@transaction.atomic
def partner_scoring_save(
    *,
    project: Project,
    author: User,
    scores: Mapping[str, int],
    weights: Mapping[str, int],
    note: str = "",
) -> PartnerScoring:
    result = scoring.score_build_vs_partner(scores, weights)
    return PartnerScoring.objects.create(
        project=project,
        author=author,
        scores=dict(scores),
        weights=dict(weights),
        outcome=result.outcome,
        build_score=Decimal(str(result.build_score)),
        reasoning=result.reasoning,
        note=note,
    )


@transaction.atomic
def scenario_save(
    *,
    project: Project,
    author: User,
    name: str,
    requests_per_day: int,
    input_tokens: int,
    output_tokens: int,
    retrieval_tokens: int,
    monthly_growth_pct: Decimal,
    tiers: Sequence[tuple[ModelPrice, Decimal]],
    scenario: CostScenario | None = None,
) -> CostScenario:
    """Create or update a saved cost scenario with its tiers (shares in percent)."""
    total = sum((share for _, share in tiers), Decimal(0))
    if not tiers or abs(total - 100) > Decimal("0.01"):
        raise ValidationError(
            f"The shares of traffic must add up to 100 % (they add up to {total} %)."
        )
    values = {
        "name": name,
        "requests_per_day": requests_per_day,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "retrieval_tokens": retrieval_tokens,
        "monthly_growth_pct": monthly_growth_pct,
    }
    if scenario is None:
        scenario = CostScenario.objects.create(project=project, author=author, **values)
    else:
        for field, value in values.items():
            setattr(scenario, field, value)
        scenario.save()
        scenario.tiers.all().delete()
    ScenarioTier.objects.bulk_create(
        ScenarioTier(scenario=scenario, model=model, share_pct=share)
        for model, share in tiers
    )
    return scenario


@transaction.atomic
def scenario_delete(*, scenario: CostScenario) -> None:
    scenario.delete()
