"""The portfolio's rows, shaped like the services make them, written with COPY.

Teams and people (an executive who sees everything, an admin, PMs, leads, engineers,
reviewers in proportion to the portfolio); projects at every step with their seven
step rows, the applicable catalog items ticked as far as each project got, sign-offs
of done steps, versioned requirements with one approved, gap assessments with their
scores and stored readiness, a source per project and open alerts on a few.

Each writer takes the same ``Build`` (one cursor, one seeded random generator, the
primary keys handed out so far) and must run in the order ``generate`` calls them:
they draw from the one generator, so the order is what makes a seed give the same
portfolio. Django models are imported inside each writer, so this module loads
before Django is configured.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from bench import config
from bench.generate_rows import Ids, copy_m2m, copy_rows

MODELS = ["gpt-4o-mini", "gpt-4.1", "claude-sonnet-4", "claude-haiku-4", "llama-3.3"]
SCORES = ["helpfulness", "faithfulness", "correctness"]
TEAM_NAMES = [
    "Customer Support",
    "Claims Operations",
    "Sales Enablement",
    "Legal Operations",
    "Payments",
    "Platform Engineering",
    "People Operations",
    "Finance Operations",
    "Marketing",
    "Operations",
    "Risk",
    "Data Science",
]
PASSWORD = (
    "bench-password-not-secret"  # nobody signs in with it: sessions are made directly
)
EXECUTIVE_EMAIL = "executive@bench.example.com"


@dataclass
class Build:
    """What every writer shares: the transaction's cursor, the seeded generator,
    the primary keys handed out so far and the moment the portfolio is built at."""

    cursor: psycopg.Cursor[Any]
    rng: random.Random
    ids: Ids
    now: datetime
    today: date


@dataclass(frozen=True)
class Staff:
    """The people projects are given to, by role, and the teams' rows."""

    executive: int
    pms: list[int]
    leads: list[int]
    contributors: list[int]
    reviewers: list[int]
    teams: list[dict[str, Any]]


@dataclass
class PlannedProject:
    id: int
    slug: str
    name: str
    team_id: int
    stage: int  # the current step; 8 means launched
    status: str
    classification: str
    frameworks: list[str]
    owner_id: int
    lead_id: int
    contributor_id: int
    reviewer_id: int
    model: str
    score_name: str
    requests_per_day: int
    monthly_budget: Decimal
    p95_target: int
    quality_target: Decimal
    error_target: Decimal


def _stage(rng: random.Random) -> int:
    # More projects early in the funnel than launched, like a real portfolio.
    return rng.choices(range(1, 9), weights=[14, 16, 16, 14, 12, 10, 8, 10])[0]


def write_people(b: Build, scale: config.Scale) -> Staff:
    """Teams and people: an executive, an admin, and PMs, leads, contributors and
    reviewers in proportion to the portfolio (a PM owns about five projects)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from portal.models import User
    from projects.models import Team
    from projects.roles import GlobalRole

    cursor, rng, ids, now = b.cursor, b.rng, b.ids, b.now
    groups = dict(Group.objects.values_list("name", "id"))
    password = make_password(PASSWORD)
    n = scale.projects
    teams = [
        {
            "id": ids.take("team"),
            "name": name,
            "slug": name.lower().replace(" ", "-"),
        }
        for name in (TEAM_NAMES * 10)[: scale.teams]
    ]
    copy_rows(cursor, Team, teams)
    users: list[dict[str, Any]] = []
    user_groups: list[tuple[int, int]] = []

    def person(email: str, first: str, last: str, role: GlobalRole | None) -> int:
        pk = ids.take("user")
        users.append(
            {
                "id": pk,
                "email": email,
                "first_name": first,
                "last_name": last,
                "password": password,
                "is_active": True,
                "date_joined": now - timedelta(days=400),
                "last_login": now - timedelta(days=1),
            }
        )
        if role is not None:
            user_groups.append((pk, groups[role.value]))
        return pk

    executive = person(EXECUTIVE_EMAIL, "Erin", "Executive", GlobalRole.EXECUTIVE)
    person("admin@bench.example.com", "Ada", "Admin", GlobalRole.ADMIN)

    def people(count: int, kind: str, role: GlobalRole) -> list[int]:
        return [
            person(f"{kind}{i}@bench.example.com", kind.title(), f"No. {i}", role)
            for i in range(1, count + 1)
        ]

    pms = people(max(2, n // 5), "pm", GlobalRole.PRODUCT_MANAGER)
    leads = people(max(2, n // 5), "lead", GlobalRole.ENGINEERING_LEAD)
    contributors = people(max(2, n // 3), "engineer", GlobalRole.ENGINEERING_LEAD)
    reviewers = people(max(2, n // 25), "reviewer", GlobalRole.REVIEWER)
    copy_rows(cursor, User, users)
    copy_m2m(cursor, User.groups.through, user_groups)
    copy_m2m(
        cursor,
        Team.members.through,
        [(t["id"], u) for t in teams for u in rng.sample(pms + leads, 4)],
    )
    return Staff(executive, pms, leads, contributors, reviewers, teams)


def write_projects(b: Build, scale: config.Scale, staff: Staff) -> list[PlannedProject]:
    """Projects, their frameworks and their four members each."""
    from projects.models import Framework, Membership, Project, ProjectStatus

    cursor, rng, ids, now, today = b.cursor, b.rng, b.ids, b.now, b.today
    n = scale.projects
    teams, pms, leads = staff.teams, staff.pms, staff.leads
    contributors, reviewers = staff.contributors, staff.reviewers
    framework_ids = dict(Framework.objects.values_list("code", "id"))
    planned: list[PlannedProject] = []
    statuses = [
        (ProjectStatus.ON_TRACK, 70),
        (ProjectStatus.AT_RISK, 12),
        (ProjectStatus.BLOCKED, 6),
        (ProjectStatus.PAUSED, 7),
        (ProjectStatus.RETIRED, 5),
    ]
    for i in range(n):
        pk = ids.take("project")
        classification = rng.choice(
            ["public", "internal", "internal", "confidential", "regulated"]
        )
        fw = rng.sample(sorted(framework_ids), rng.choice([0, 0, 1, 1, 2]))
        per_day = rng.choice([500, 1500, 2500, 6000, 9000, 20000])
        planned.append(
            PlannedProject(
                id=pk,
                slug=f"bench-project-{i + 1:04d}",
                name=f"{rng.choice(['Claims', 'Support', 'Sales', 'Policy', 'Invoice', 'Contract', 'Fraud', 'HR', 'IT', 'Docs'])} "
                f"{rng.choice(['Copilot', 'Assistant', 'Agent', 'Summariser', 'Router', 'Search', 'Bot'])} {i + 1:04d}",
                team_id=teams[i % len(teams)]["id"],
                stage=_stage(rng),
                status=rng.choices([s for s, _ in statuses], [w for _, w in statuses])[
                    0
                ],
                classification=classification,
                frameworks=fw,
                owner_id=pms[i % len(pms)],
                lead_id=leads[i % len(leads)],
                contributor_id=contributors[i % len(contributors)],
                reviewer_id=reviewers[i % len(reviewers)],
                model=rng.choice(MODELS),
                score_name=rng.choice(SCORES),
                requests_per_day=per_day,
                monthly_budget=Decimal(rng.choice([1500, 3000, 5000, 8000, 12000])),
                p95_target=rng.choice([1500, 2000, 2500, 4000]),
                quality_target=Decimal(rng.choice(["0.80", "0.85", "0.90"])),
                error_target=Decimal(rng.choice(["0.5", "1", "2"])),
            )
        )
    copy_rows(
        cursor,
        Project,
        (
            {
                "id": p.id,
                "name": p.name,
                "slug": p.slug,
                "summary": f"Generated project {p.id} for the benchmark.",
                "team_id": p.team_id,
                "status": p.status,
                "use_case": rng.choice(
                    ["chatbot", "copilot", "rag_assistant", "agent"]
                ),
                "prototype_origin": rng.choice(["lovable", "bolt", "v0", "replit"]),
                "data_classification": p.classification,
                "target_launch_date": today + timedelta(days=15 * (9 - p.stage)),
                "operating_owner_id": p.lead_id if p.stage >= 7 else None,
                "created_at": now - timedelta(days=30 * p.stage + 30),
            }
            for p in planned
        ),
    )
    copy_m2m(
        cursor,
        Project.frameworks.through,
        [(p.id, framework_ids[c]) for p in planned for c in p.frameworks],
    )
    copy_rows(
        cursor,
        Membership,
        (
            {
                "id": ids.take("membership"),
                "project_id": p.id,
                "user_id": u,
                "role": r,
            }
            for p in planned
            for u, r in (
                (p.owner_id, "owner"),
                (p.lead_id, "lead"),
                (p.contributor_id, "contributor"),
                (p.reviewer_id, "reviewer"),
            )
        ),
    )
    return planned


def write_steps(b: Build, planned: list[PlannedProject]) -> None:
    """Seven step rows each: done before the current step, the current one in
    progress (blocked for blocked projects; some stalled), later ones not started;
    the sign-offs of every done step."""
    from projects.models import ProjectStep, SignOff, Step

    cursor, rng, ids, now, today = b.cursor, b.rng, b.ids, b.now, b.today
    steps = list(Step.objects.order_by("number"))
    step_rows: list[dict[str, Any]] = []
    signoffs: list[dict[str, Any]] = []
    for p in planned:
        for step in steps:
            row: dict[str, Any] = {
                "id": ids.take("projectstep"),
                "project_id": p.id,
                "step_id": step.pk,
                "owner_id": p.lead_id,
                "due_date": today + timedelta(days=(step.number - p.stage) * 20),
            }
            if step.number < p.stage:
                started_at = now - timedelta(days=30 * (p.stage - step.number) + 25)
                done_at = started_at + timedelta(days=rng.randint(5, 25))
                row.update(
                    status="done",
                    started_at=started_at,
                    completed_at=done_at,
                    last_activity_at=done_at,
                )
                signers = {"owner": p.owner_id, "lead": p.lead_id}
                signers["reviewer"] = p.reviewer_id
                for role in step.signoff_roles:
                    signoffs.append(
                        {
                            "id": ids.take("signoff"),
                            "project_id": p.id,
                            "step_id": step.pk,
                            "role": role,
                            "signer_id": signers.get(role, p.owner_id),
                            "requested_by_id": p.lead_id,
                            "status": "approved",
                            "comment": "Looks good.",
                            "decided_at": done_at,
                        }
                    )
            elif step.number == p.stage:
                stalled = rng.random() < 0.15
                row.update(
                    status="blocked" if p.status == "blocked" else "in_progress",
                    blocked_reason="Waiting for the vendor's data agreement."
                    if p.status == "blocked"
                    else "",
                    started_at=now - timedelta(days=rng.randint(10, 60)),
                    last_activity_at=now
                    - timedelta(
                        days=rng.randint(20, 40) if stalled else rng.randint(0, 6)
                    ),
                )
            else:
                row.update(status="not_started")
            step_rows.append(row)
    copy_rows(cursor, ProjectStep, step_rows)
    copy_rows(cursor, SignOff, signoffs)


def write_checklist(b: Build, planned: list[PlannedProject]) -> int:
    """Every applicable catalog item, ticked as far as the project got; returns how
    many were written."""
    from projects.models import ChecklistItem, ChecklistTemplate, Step
    from projects.progress import template_applies

    cursor, rng, ids, now = b.cursor, b.rng, b.ids, b.now
    steps = list(Step.objects.order_by("number"))
    templates = list(
        ChecklistTemplate.objects.filter(active=True).prefetch_related("frameworks")
    )
    template_frameworks = {
        t.pk: [f.code for f in t.frameworks.all()] for t in templates
    }
    items: list[dict[str, Any]] = []
    number_of = {s.pk: s.number for s in steps}
    for p in planned:
        share = rng.choice([0.2, 0.4, 0.6, 0.8])
        for t in templates:
            if not template_applies(
                template_frameworks=template_frameworks[t.pk],
                min_classification=t.min_classification,
                project_frameworks=p.frameworks,
                project_classification=p.classification,
                template_ai_act_tiers=t.ai_act_tiers,  # no bench project is assessed
            ):
                continue
            number = number_of[t.step_id]
            done = number < p.stage or (number == p.stage and rng.random() < share)
            pk = ids.take("checklistitem")
            items.append(
                {
                    "id": pk,
                    "project_id": p.id,
                    "step_id": t.step_id,
                    "template_id": t.pk,
                    "title": t.title,
                    "guidance": t.guidance,
                    "required": t.required,
                    "evidence_required": t.evidence_required,
                    "order": t.order,
                    "state": "done" if done else "open",
                    "assignee_id": p.contributor_id if rng.random() < 0.3 else None,
                    "completed_by_id": p.contributor_id if done else None,
                    "completed_at": now - timedelta(days=rng.randint(1, 200))
                    if done
                    else None,
                }
            )
    copy_rows(cursor, ChecklistItem, items)
    return len(items)


def write_requirements(b: Build, planned: list[PlannedProject]) -> None:
    """A first draft and the agreed version, approved once step 1 is done."""
    from assessments.models import RequirementsDocument, RequirementsVersion

    cursor, ids, now = b.cursor, b.ids, b.now
    documents: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    for p in planned:
        doc_id = ids.take("requirementsdocument")
        common: dict[str, Any] = {
            "document_id": doc_id,
            "author_id": p.owner_id,
            "users": p.requests_per_day // 20,
            "requests_per_day": p.requests_per_day,
            "peak_rps": Decimal(p.requests_per_day * 4) / Decimal(86400)
            + Decimal("0.5"),
            "p95_latency_ms": p.p95_target,
            "error_rate_pct": p.error_target,
            "uptime_pct": Decimal("99.9"),
            "data_classification": p.classification,
            "compliance_needs": p.frameworks,
            "monthly_budget_usd": p.monthly_budget,
            "cloud": "AWS",
            "region": "eu-west-1",
            "integration_points": [
                {"system": "Okta", "direction": "in", "protocol": "OIDC"}
            ],
            "quality_score_name": p.score_name,
        }
        draft_id, agreed_id = ids.take("version"), ids.take("version")
        versions.append(
            {**common, "id": draft_id, "number": 1, "change_note": "First draft"}
        )
        versions.append(
            {
                **common,
                "id": agreed_id,
                "number": 2,
                "change_note": "Targets agreed with the business",
                "quality_score_target": p.quality_target,
                "success_criteria": [
                    {
                        "statement": "Quality on the evaluation set",
                        "metric": p.score_name,
                        "comparison": ">=",
                        "target": str(p.quality_target),
                    }
                ],
            }
        )
        approved = p.stage > 1
        documents.append(
            {
                "id": doc_id,
                "project_id": p.id,
                "approved_version_id": agreed_id if approved else None,
                "approved_by_id": p.owner_id if approved else None,
                "approved_at": now - timedelta(days=30 * p.stage) if approved else None,
            }
        )
    copy_rows(cursor, RequirementsDocument, documents)
    copy_rows(cursor, RequirementsVersion, versions)


def write_assessments(b: Build, planned: list[PlannedProject]) -> None:
    """Gap assessments from step 2 on: one, or two for half (the later one better),
    with their scores and the readiness the app would store."""
    from assessments.models import AssessmentCriterion, CriterionScore, GapAssessment
    from assessments.readiness import CriterionScore as Scored
    from assessments.readiness import readiness

    cursor, rng, ids, now = b.cursor, b.rng, b.ids, b.now
    criteria = list(AssessmentCriterion.objects.filter(active=True))
    assessments: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    for p in planned:
        if p.stage < 2:
            continue
        levels = {c.pk: rng.choice([0, 1, 1, 2]) for c in criteria}
        for round_ in range(2 if rng.random() < 0.5 else 1):
            if round_:
                levels = {
                    k: min(4, v + rng.choice([0, 1, 1, 2])) for k, v in levels.items()
                }
            scored = [(c, levels[c.pk], c.default_target) for c in criteria]
            overall = readiness(
                [Scored(c.area, c.key, level, target) for c, level, target in scored]
            ).overall
            a_id = ids.take("gapassessment")
            assessments.append(
                {
                    "id": a_id,
                    "project_id": p.id,
                    "assessor_id": p.lead_id,
                    "note": "Generated assessment.",
                    "overall_readiness": Decimal(str(overall)),
                    "created_at": now - timedelta(days=20 * (2 - round_) + p.stage),
                }
            )
            scores.extend(
                {
                    "id": ids.take("criterionscore"),
                    "assessment_id": a_id,
                    "criterion_id": c.pk,
                    "level": level,
                    "target": target,
                }
                for c, level, target in scored
            )
    copy_rows(cursor, GapAssessment, assessments)
    copy_rows(cursor, CriterionScore, scores)


def write_sources_and_alerts(b: Build, planned: list[PlannedProject]) -> None:
    """One observability source per project, and open alerts on about one in ten."""
    from metrics.models import Alert, ConnectedService

    cursor, rng, ids, now = b.cursor, b.rng, b.ids, b.now
    services = [
        {
            "id": p.id,  # one source per project: the same number keeps the SQL simple
            "kind": "langfuse",
            "name": "Langfuse (production)",
            "project_id": p.id,
            "base_url": "https://cloud.langfuse.com",
            "config": {"project_id": f"lf-{p.id}"},
            "interval_minutes": 60,
            "last_sync_at": now - timedelta(minutes=20),
            "last_success_at": now - timedelta(minutes=20),
            "created_by_id": p.lead_id,
        }
        for p in planned
    ]
    for _ in planned:
        ids.take("connectedservice")
    copy_rows(cursor, ConnectedService, services)
    alert_rows = [
        {
            "id": ids.take("alert"),
            "project_id": p.id,
            "kind": kind,
            "status": "open",
            "message": f"{kind.replace('_', ' ').title()} is off target.",
        }
        for p in planned
        if rng.random() < 0.1
        for kind in [rng.choice(["budget", "latency", "error_rate", "quality"])]
    ]
    copy_rows(cursor, Alert, alert_rows)
