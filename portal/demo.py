"""The demo portfolio: realistic projects at every step, built through the real services.

What is seeded (the projects, the stalled and over-budget stories) is plain data in
portal/demo_data.py; this module walks each project through its steps. The metrics
and evaluation runs it measures them with are seeded by portal/demo_measurements.py."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments import scoring
from assessments import selectors as assessment_selectors
from assessments import services as assessment_services
from assessments.models import AssessmentCriterion, ModelPrice
from core import fragments
from inventory import services as inventory_services
from inventory.models import AIModel, Vendor
from portal.demo_data import (
    AI_ACT_FIRST_ANSWERS,
    PORTFOLIO,
    STALLED,
    USE_CASE_VOLUME,
    VENDORS,
    DemoProject,
)
from portal.demo_measurements import evaluations_seed, metrics_seed
from portal.models import User
from projects import membership_services, services, step_services
from projects.audit import acting_as
from projects.models import (
    ChecklistItem,
    Framework,
    ItemState,
    Project,
    ProjectRole,
    ProjectStatus,
    ProjectStep,
    StepStatus,
    Team,
)
from risks import services as risk_services
from risks.ai_act_services import ai_act_answer
from risks.models import Risk, RiskStatus


def build_portfolio(
    *, people: dict[str, User], extra_people: list[User], teams: dict[str, Team]
) -> int:
    """Create the demo projects that do not exist yet; returns how many were created."""
    rng = random.Random(20261126)  # the same demo every time
    _inventory()
    frameworks = {f.code: f for f in Framework.objects.all()}
    pm, lead, reviewer = people["pm"], people["lead"], people["reviewer"]
    others = extra_people
    created = 0
    for index, demo in enumerate(PORTFOLIO):
        if Project.objects.filter(name=demo.name).exists():
            continue
        owner = pm if index % 2 == 0 else others[0]
        engineering_lead = lead if index % 3 != 2 else others[1]
        with acting_as(owner):
            project = services.project_create(
                name=demo.name,
                team=teams[demo.team],
                owner=owner,
                lead=engineering_lead,
                summary=demo.summary,
                use_case=demo.use_case,
                prototype_origin=demo.origin,
                data_classification=demo.classification,
                frameworks=[frameworks[c] for c in demo.frameworks if c in frameworks],
                target_launch_date=timezone.localdate()
                + timedelta(days=15 * (9 - demo.stage) + index),
            )
            project.status = demo.status
            project.save(update_fields=["status"])
            membership_services.membership_set(
                project=project, user=others[2], role=ProjectRole.CONTRIBUTOR
            )
            if owner != pm:
                membership_services.membership_set(
                    project=project, user=pm, role=ProjectRole.VIEWER
                )
        _progress(
            project,
            demo,
            rng,
            owner=owner,
            lead=engineering_lead,
            reviewer=reviewer,
            contributor=others[2],
        )
        _decisions(project, rng, owner=owner)
        _risk_register(
            project,
            demo,
            random.Random(f"risks {demo.name}"),
            owner=owner,
            executive=people["executive"],
        )
        _ai_act(project, demo, owner=owner)
        # Its own generator, so the rest of the demo stays as it was.
        _history(project, demo, random.Random(f"history {demo.name}"))
        _models(project, owner=owner)
        created += 1
    return created


def _inventory() -> None:
    """The vendors and models the company reviewed (once: admins keep them after)."""
    if Vendor.objects.exists():
        return
    today = timezone.localdate()
    for name, kind, dpa, baa, residency, terms, months_ago, models in VENDORS:
        reviewed = today - timedelta(days=30 * months_ago)
        vendor = inventory_services.vendor_save(
            vendor=Vendor(
                name=name,
                kind=kind,
                dpa_status=dpa,
                baa_status=baa,
                data_residency=residency,
                training_terms=terms,
                last_reviewed_on=reviewed,
                next_review_on=reviewed + timedelta(days=365),
            )
        )
        for model_name, approval, most_sensitive in models:
            inventory_services.ai_model_save(
                model=AIModel(
                    name=model_name,
                    vendor=vendor,
                    approval=approval,
                    max_classification=most_sensitive,
                )
            )


def _models(project: Project, *, owner: User) -> None:
    """The owner declares the model the project was built on; the rest is detected
    from its metrics (the shadow-model story's extra model among them)."""
    with acting_as(owner):
        inventory_services.model_declare(
            project=project,
            declared_by=owner,
            model=AIModel.objects.get(name="gpt-4o-mini"),
        )
    inventory_services.models_detect(project=project, days=30)


def _ai_act(project: Project, demo: DemoProject, *, owner: User) -> None:
    """The owner answers the EU AI Act questionnaire (a few projects are left not
    assessed); one tier changed later, with its reason. Answered after the steps were
    worked, so the obligations of steps already done show as open items there."""
    if demo.ai_act is None:
        return
    with acting_as(owner):
        if demo.name in AI_ACT_FIRST_ANSWERS:
            first, reason = AI_ACT_FIRST_ANSWERS[demo.name]
            ai_act_answer(project=project, by=owner, answers=first)
        else:
            reason = ""
        ai_act_answer(project=project, by=owner, answers=demo.ai_act, reason=reason)


def _history(project: Project, demo: DemoProject, rng: random.Random) -> None:
    """Spread the steps over the past weeks. Seeding does a project's work in seconds,
    which would show every project as having just entered its current step; launched
    projects keep their launch this quarter."""
    if demo.stage > 7:
        return
    now = timezone.now()
    in_step = rng.randint(25, 40) if demo.name in STALLED else rng.randint(3, 30)
    quiet = in_step - 2 if demo.name in STALLED else rng.randint(0, min(in_step, 5))
    steps = ProjectStep.objects.filter(project=project)
    steps.filter(step__number=demo.stage).update(
        started_at=now - timedelta(days=in_step),
        last_activity_at=now - timedelta(days=quiet),
    )
    end = now - timedelta(days=in_step)
    for number in range(demo.stage - 1, 0, -1):
        took = rng.randint(8, 20)
        steps.filter(step__number=number).update(
            started_at=end - timedelta(days=took),
            completed_at=end,
            last_activity_at=end,
        )
        end -= timedelta(days=took)
    fragments.data_changed(ProjectStep)  # the updates above bypass the signals


def _requirements(
    project: Project,
    demo: DemoProject,
    rng: random.Random,
    *,
    owner: User,
    approve: bool,
) -> None:
    """Two or three versions, as a PM would refine them; the last approved once step 1 is done."""
    per_day = USE_CASE_VOLUME.get(demo.use_case, 1000) * rng.choice([1, 2, 4])
    values: dict[str, Any] = {
        "users": per_day // rng.choice([10, 20, 25]),
        "requests_per_day": per_day,
        "peak_rps": Decimal(per_day * 4) / Decimal(86400) + Decimal("0.5"),
        "p95_latency_ms": rng.choice([1500, 2000, 2500, 4000]),
        "error_rate_pct": Decimal(rng.choice(["0.5", "1", "2"])),
        "uptime_pct": Decimal(rng.choice(["99.5", "99.9"])),
        "quality_score_name": rng.choice(
            ["helpfulness", "faithfulness", "correctness"]
        ),
        "quality_score_target": Decimal(rng.choice(["0.80", "0.85", "0.90"])),
        "monthly_budget_usd": Decimal(rng.choice([1500, 3000, 5000, 8000, 12000])),
        "data_classification": demo.classification,
        "cloud": rng.choice(["AWS", "Azure", "GCP"]),
        "region": rng.choice(["eu-west-1", "us-east-1", "westeurope"]),
        "infrastructure_constraints": "Runs in the company VPC; no public endpoints.",
        "integration_points": [
            {"system": "Okta", "direction": "in", "protocol": "OIDC"},
            {"system": demo.team + " system", "direction": "both", "protocol": "REST"},
        ],
        "success_criteria": [],
    }
    with acting_as(owner):
        draft = {**values, "quality_score_target": None, "success_criteria": []}
        assessment_services.requirements_save(
            project=project, author=owner, values=draft, change_note="First draft"
        )
        values["success_criteria"] = [
            {
                "statement": "Quality on the evaluation set",
                "metric": values["quality_score_name"],
                "comparison": ">=",
                "target": str(values["quality_score_target"]),
            },
            {
                "statement": "Share of requests answered without a human",
                "metric": "deflection_rate",
                "comparison": ">=",
                "target": "0.30",
            },
        ]
        version = assessment_services.requirements_save(
            project=project,
            author=owner,
            values=values,
            change_note="Targets agreed with the business",
        )
        if approve:
            assessment_services.requirements_approve(version=version, actor=owner)


def _gap_assessments(
    project: Project,
    rng: random.Random,
    *,
    lead: User,
    owner: User,
    contributor: User,
    own_gaps: bool,
) -> None:
    """One assessment, or two for half the projects (an early one and a better later one)."""
    criteria = list(AssessmentCriterion.objects.filter(active=True))
    rounds = 2 if rng.random() < 0.5 else 1
    levels = {c.pk: rng.choice([0, 1, 1, 2]) for c in criteria}
    with acting_as(lead):
        for n in range(rounds):
            if n:
                levels = {
                    pk: min(4, level + rng.choice([0, 1, 1, 2]))
                    for pk, level in levels.items()
                }
            assessment = assessment_services.assessment_record(
                project=project,
                assessor=lead,
                note="Initial audit of the prototype."
                if n == 0
                else "After the first remediation sprint.",
                scores=[
                    assessment_services.ScoreInput(c, levels[c.pk], c.default_target)
                    for c in criteria
                ],
            )
        if not own_gaps:
            return
        for score in assessment.scores.select_related(
            "criterion", "assessment__project"
        ):
            if score.is_gap:
                assessment_services.gap_to_checklist(
                    score=score,
                    step_number=max(3, score.criterion.remediation_step),
                    assignee=rng.choice([lead, contributor]),
                    due_date=timezone.localdate() + timedelta(days=rng.randint(10, 60)),
                    actor=lead,
                )


def _risk_register(
    project: Project,
    demo: DemoProject,
    rng: random.Random,
    *,
    owner: User,
    executive: User,
) -> None:
    """Take the library's weightiest suggestions into the register, treated down
    below the acceptance threshold (mitigated where the checklist has done their
    items); the rest stay suggestions. A project its owner flags keeps its top risk
    high and asks the executives to accept it; a launched one had a high risk
    accepted for its pilot."""
    suggestions = sorted(
        Risk.objects.filter(project=project, status=RiskStatus.SUGGESTED),
        key=lambda r: (-r.inherent_score, r.title),
    )
    taken = suggestions[: 3 + demo.stage // 2]
    if not taken:
        return
    threshold = risk_services.acceptance_threshold()
    flagged = demo.status in (ProjectStatus.AT_RISK, ProjectStatus.BLOCKED)
    with acting_as(owner):
        for index, risk in enumerate(taken):
            risk_services.suggestion_accept(risk=risk, owner=owner)
            if index == 0 and (flagged or demo.stage > 7):
                risk_services.risk_update(
                    risk=risk, residual_likelihood=3, residual_impact=5
                )
                continue
            likelihood = max(1, risk.inherent_likelihood - rng.randint(1, 3))
            impact = max(1, risk.inherent_impact - rng.randint(0, 1))
            while likelihood * impact >= threshold:
                likelihood -= 1
            done = risk.mitigations.exists() and not risk_services.open_mitigations(
                risk
            )
            risk_services.risk_update(
                risk=risk,
                residual_likelihood=likelihood,
                residual_impact=impact,
                review_date=timezone.localdate() + timedelta(days=rng.randint(20, 80)),
                status=RiskStatus.MITIGATED if done else None,
            )
        if not (flagged or demo.stage > 7):
            return
        acceptance = risk_services.acceptance_request(
            risk=taken[0],
            requested_by=owner,
            reason="Staff-only pilot with a person checking every answer until the "
            "output filter ships.",
            expires_on=timezone.localdate() + timedelta(days=60),
        )
    if demo.stage > 7:
        with acting_as(executive):
            risk_services.acceptance_decide(
                acceptance=acceptance,
                decided_by=executive,
                approve=True,
                comment="Accepted for the pilot's duration.",
            )


def _decisions(project: Project, rng: random.Random, *, owner: User) -> None:
    """A build-vs-partner scoring for every project and a routed cost scenario for half."""
    with acting_as(owner):
        assessment_services.partner_scoring_save(
            project=project,
            author=owner,
            scores={c.key: rng.randint(1, 5) for c in scoring.CRITERIA},
            weights={c.key: c.default_weight for c in scoring.CRITERIA},
        )
        if rng.random() < 0.5:
            return
        small = (
            ModelPrice.objects.filter(tier="small").order_by("input_per_mtok").first()
        )
        large = (
            ModelPrice.objects.filter(tier="large").order_by("-input_per_mtok").last()
        )
        requirements = assessment_selectors.approved_targets(project)
        if small is None or large is None:
            return
        assessment_services.scenario_save(
            project=project,
            author=owner,
            name="75 % small model, 25 % large",
            requests_per_day=(
                requirements.requests_per_day
                if requirements and requirements.requests_per_day
                else 5000
            ),
            input_tokens=900,
            output_tokens=350,
            retrieval_tokens=rng.choice([0, 1200, 2400]),
            monthly_growth_pct=Decimal(rng.choice([0, 3, 5])),
            tiers=[(small, Decimal(75)), (large, Decimal(25))],
        )


def _progress(
    project: Project,
    demo: DemoProject,
    rng: random.Random,
    *,
    owner: User,
    lead: User,
    reviewer: User,
    contributor: User,
) -> None:
    """Walk the project through its steps up to ``demo.stage`` the way a team would."""
    if demo.stage >= 7:
        with acting_as(owner):
            project.operating_owner = lead
            project.save(update_fields=["operating_owner"])
    today = timezone.localdate()
    for project_step in (
        ProjectStep.objects.filter(project=project)
        .select_related("step")
        .order_by("step__number")
    ):
        number = project_step.step.number
        if number > demo.stage:
            break
        finishing = number < demo.stage
        if number == 1:
            _requirements(project, demo, rng, owner=owner, approve=finishing)
            metrics_seed(project, lead=lead)
        elif number == 2:
            _gap_assessments(
                project,
                rng,
                lead=lead,
                owner=owner,
                contributor=contributor,
                own_gaps=finishing,
            )
        elif number == 6:
            # Its own generator, so the rest of the demo stays as it was.
            evaluations_seed(
                project, demo, random.Random(f"evals {demo.name}"), lead=lead
            )
        items = list(
            ChecklistItem.objects.filter(
                project=project, step=project_step.step, applicable=True
            )
        )
        share = 1.0 if finishing else rng.choice([0.2, 0.4, 0.6, 0.8])
        for item in items:
            if not finishing and rng.random() > share:
                if rng.random() < 0.3:
                    with acting_as(lead):
                        services.item_update(
                            item=item,
                            assignee=contributor,
                            due_date=today + timedelta(days=rng.randint(-5, 20)),
                            notes="",
                        )
                continue
            actor = rng.choice([lead, contributor])
            with acting_as(actor):
                if not item.required and rng.random() < 0.2:
                    services.item_set_state(
                        item=item,
                        state=ItemState.NOT_APPLICABLE,
                        actor=actor,
                        justification="Not relevant at this project's scale.",
                    )
                    continue
                if item.evidence_required:
                    services.evidence_add(
                        item=item,
                        actor=actor,
                        url=f"https://wiki.example.com/{project.slug}/{item.pk}",
                    )
                services.item_set_state(item=item, state=ItemState.DONE, actor=actor)
        with acting_as(lead):
            step_services.step_update(
                project_step=project_step,
                owner=lead,
                due_date=today
                + timedelta(days=(number - demo.stage) * 20 + rng.randint(-10, 25)),
                status=StepStatus.BLOCKED
                if demo.status == ProjectStatus.BLOCKED and not finishing
                else StepStatus.IN_PROGRESS,
                blocked_reason="Waiting for the data-sharing agreement with the vendor."
                if demo.status == ProjectStatus.BLOCKED
                else "",
            )
        if finishing:
            _sign_and_finish(project_step, owner=owner, lead=lead, reviewer=reviewer)
        elif "reviewer" in project_step.step.signoff_roles and share >= 0.6:
            # A reviewer has been asked and has not decided yet.
            with acting_as(lead):
                step_services.signoff_request(
                    project_step=project_step,
                    role="reviewer",
                    signer=reviewer,
                    actor=lead,
                )


def _sign_and_finish(
    project_step: ProjectStep, *, owner: User, lead: User, reviewer: User
) -> None:
    signers = {"owner": owner, "lead": lead, "reviewer": reviewer}
    for role in project_step.step.signoff_roles:
        with acting_as(lead):
            signoff = step_services.signoff_request(
                project_step=project_step, role=role, signer=signers[role], actor=lead
            )
        with acting_as(signers[role]):
            step_services.signoff_decide(
                signoff=signoff, approve=True, comment="Looks good."
            )
    with acting_as(lead):
        try:
            step_services.step_mark_done(project_step=project_step)
        except (
            step_services.GateFailed
        ) as failed:  # a bug in the demo, not in the product
            raise ValidationError(
                f"Demo step {project_step} did not pass its gate: {failed}"
            ) from failed
