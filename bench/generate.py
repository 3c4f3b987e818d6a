"""Build a realistic portfolio in a fresh PostgreSQL database, fast.

The demo seeder (``portal/demo.py``) walks each project through the real services:
right for 26 projects, far too slow for 500 projects and 10 million samples. Here the
rows are shaped like the services make them (seven step rows, the applicable catalog
items, versioned requirements with one approved, assessments with their scores and
stored readiness, a source per project with samples and daily rollups) and written
with psycopg COPY; the metric time series are generated inside PostgreSQL with
``INSERT … SELECT generate_series`` so no Python loop touches each of them.

What it leaves out, on purpose: django-simple-history rows for the generated objects
(no timed page reads them) and evidence files.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from bench import config

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
HOURLY_DAYS = 90  # RUNWAY_HOURLY_RETENTION_DAYS: older hours are pruned, rollups stay
DAILY_DAYS = 365


def log(message: str) -> None:
    print(f"[generate {time.strftime('%H:%M:%S')}] {message}", flush=True)


def recreate_database(url: str) -> None:
    """Drop and create the bench database: every run starts from nothing."""
    name = config.database_name(url)
    if not name.startswith("runway_bench"):
        # A guard against pointing the harness at a database that matters.
        raise SystemExit(
            f"refusing to drop {name!r}: bench databases are runway_bench*"
        )
    with psycopg.connect(config.admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        # The app's recommended database setting (performance notes §0.5): PostgreSQL's
        # JIT adds ~100 ms to mid-sized aggregates and slows the incremental rollup 7×.
        conn.execute(f'ALTER DATABASE "{name}" SET jit = off')


# --- COPY of rows shaped like the models ---------------------------------------------


def copy_rows(
    cursor: psycopg.Cursor[Any], model: Any, rows: Iterable[Mapping[str, Any]]
) -> int:
    """COPY rows given as {attname: value} into ``model``'s table.

    Missing fields take the model's default (or now() for auto_now fields) and every
    value goes through the field's own ``get_db_prep_save``, so JSON and encrypted
    fields are stored exactly as the ORM would store them.
    """
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    fields = list(model._meta.concrete_fields)
    defaults: dict[str, Any] = {}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
        elif not f.primary_key:
            defaults[f.attname] = f.get_default()
    columns = ", ".join(f'"{f.column}"' for f in fields)
    count = 0
    with cursor.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            values = []
            for f in fields:
                value = row[f.attname] if f.attname in row else defaults.get(f.attname)
                values.append(f.get_db_prep_save(value, connection))
            copy.write_row(values)
            count += 1
    return count


def copy_m2m(
    cursor: psycopg.Cursor[Any], through: Any, pairs: Iterable[tuple[int, int]]
) -> None:
    """COPY (from_id, to_id) pairs into an auto-created many-to-many table."""
    fk_columns = [f.column for f in through._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f'"{c}"' for c in fk_columns)
    with cursor.copy(f'COPY "{through._meta.db_table}" ({columns}) FROM STDIN') as copy:
        for pair in pairs:
            copy.write_row(pair)


class Ids:
    """Primary keys handed out in Python, so related rows can be COPYed in one pass;
    the sequences are moved past them at the end."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def take(self, table: str) -> int:
        value = self._next.get(table, 1)
        self._next[table] = value + 1
        return value


def reset_sequences(cursor: psycopg.Cursor[Any]) -> None:
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
    for sql in statements:
        cursor.execute(sql)


# --- The portfolio --------------------------------------------------------------------


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


@dataclass(frozen=True)
class Generated:
    projects: int
    executive_id: int
    checklist_items: int
    samples: int
    rollups: int
    seconds: float


def _stage(rng: random.Random) -> int:
    # More projects early in the funnel than launched, like a real portfolio.
    return rng.choices(range(1, 9), weights=[14, 16, 16, 14, 12, 10, 8, 10])[0]


def generate(
    scale: config.Scale, *, seed: int = 20261126, analyse: bool = True
) -> Generated:
    """Fill the (already migrated) database configured in Django with a portfolio.

    ``analyse=False`` skips the final VACUUM ANALYZE, which cannot run inside the
    transaction a test wraps around it."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from assessments.models import (
        AssessmentCriterion,
        CriterionScore,
        GapAssessment,
        RequirementsDocument,
        RequirementsVersion,
    )
    from assessments.readiness import CriterionScore as Scored
    from assessments.readiness import readiness
    from metrics.models import Alert, ConnectedService
    from portal.models import User
    from projects.models import (
        ChecklistItem,
        ChecklistTemplate,
        Framework,
        Membership,
        Project,
        ProjectStatus,
        ProjectStep,
        SignOff,
        Step,
        Team,
    )
    from projects.progress import template_applies
    from projects.roles import GlobalRole

    started = time.monotonic()
    rng = random.Random(seed)
    ids = Ids()
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    steps = list(Step.objects.order_by("number"))
    templates = list(
        ChecklistTemplate.objects.filter(active=True).prefetch_related("frameworks")
    )
    template_frameworks = {
        t.pk: [f.code for f in t.frameworks.all()] for t in templates
    }
    framework_ids = dict(Framework.objects.values_list("code", "id"))
    criteria = list(AssessmentCriterion.objects.filter(active=True))
    groups = dict(Group.objects.values_list("name", "id"))
    password = make_password(PASSWORD)

    with transaction.atomic(), connection.cursor() as django_cursor:
        cursor: psycopg.Cursor[Any] = django_cursor.cursor  # the raw psycopg cursor

        # Teams and people: an executive, an admin, and PMs, leads, contributors and
        # reviewers in proportion to the portfolio (a PM owns about five projects).
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

        # Projects and their memberships.
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
                    status=rng.choices(
                        [s for s, _ in statuses], [w for _, w in statuses]
                    )[0],
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

        # Seven step rows each: done before the current step, the current one in
        # progress (blocked for blocked projects; some stalled), later ones not started.
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

        # The checklist: every applicable catalog item, ticked as far as the project got.
        items: list[dict[str, Any]] = []
        first_items: dict[int, list[int]] = {}
        number_of = {s.pk: s.number for s in steps}
        for p in planned:
            share = rng.choice([0.2, 0.4, 0.6, 0.8])
            for t in templates:
                if not template_applies(
                    template_frameworks=template_frameworks[t.pk],
                    min_classification=t.min_classification,
                    project_frameworks=p.frameworks,
                    project_classification=p.classification,
                ):
                    continue
                number = number_of[t.step_id]
                done = number < p.stage or (number == p.stage and rng.random() < share)
                pk = ids.take("checklistitem")
                if number == p.stage:
                    first_items.setdefault(p.id, []).append(pk)
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

        # Requirements: a first draft and the agreed version, approved once step 1 is done.
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
                    "approved_at": now - timedelta(days=30 * p.stage)
                    if approved
                    else None,
                }
            )
        copy_rows(cursor, RequirementsDocument, documents)
        copy_rows(cursor, RequirementsVersion, versions)

        # Gap assessments from step 2 on: one, or two for half (the later one better).
        assessments: list[dict[str, Any]] = []
        scores: list[dict[str, Any]] = []
        for p in planned:
            if p.stage < 2:
                continue
            levels = {c.pk: rng.choice([0, 1, 1, 2]) for c in criteria}
            for round_ in range(2 if rng.random() < 0.5 else 1):
                if round_:
                    levels = {
                        k: min(4, v + rng.choice([0, 1, 1, 2]))
                        for k, v in levels.items()
                    }
                scored = [(c, levels[c.pk], c.default_target) for c in criteria]
                overall = readiness(
                    [
                        Scored(c.area, c.key, level, target)
                        for c, level, target in scored
                    ]
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

        # One observability source per project, and open alerts on about one in ten.
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

        # The time series, generated in PostgreSQL from one parameter row per project.
        samples, rollups = _time_series(cursor, planned, today=today, seed=seed)
        reset_sequences(cursor)
        executive_id = executive
        item_count = len(items)
    if analyse:
        with connection.cursor() as c:
            log("VACUUM ANALYZE")
            c.execute("VACUUM ANALYZE")
            # Flush the gigabytes the load dirtied now, so that the checkpointer does
            # not write them out in the middle of the timed rounds.
            log("CHECKPOINT")
            c.execute("CHECKPOINT")
    return Generated(
        projects=len(planned),
        executive_id=executive_id,
        checklist_items=item_count,
        samples=samples,
        rollups=rollups,
        seconds=time.monotonic() - started,
    )


HOURLY_METRICS = [
    # metric, per model (dimension = the model), SQL for the hour's value from r (requests)
    ("requests", True, "r"),
    ("errors", True, "round(r * err / 100 * (0.5 + random()))"),
    ("input_tokens", True, "round(r * (700 + 400 * random()))"),
    ("output_tokens", True, "round(r * (200 + 200 * random()))"),
    (
        "cost_observed_usd",
        True,
        "round((r * cpr * (0.8 + 0.4 * random()))::numeric, 6)",
    ),
    ("feedback_positive", False, "round(r * 0.02 * random())"),
    ("feedback_negative", False, "round(r * 0.004 * random())"),
    ("pipeline_failures", False, "round(r * 0.001 * random())"),
    ("latency_p50_ms", False, "round((p95 * (0.25 + 0.15 * random()))::numeric, 1)"),
    ("latency_p95_ms", False, "round((p95 * (0.55 + 0.5 * random()))::numeric, 1)"),
]


def _time_series(
    cursor: psycopg.Cursor[Any],
    planned: Sequence[PlannedProject],
    *,
    today: date,
    seed: int,
) -> tuple[int, int]:
    """90 days of hourly samples for ten metrics, 365 days of daily rollups (and the
    daily latency and quality samples they come from), consistent with each other:
    a recent day's rollup is the sum of its hours, as ``rollups_refresh`` computes it.

    The sample table's two indexes are dropped during the load and rebuilt after it,
    and foreign-key triggers are skipped (the rows are consistent by construction):
    that is what makes 10 million rows take a minute or two rather than ten.
    """
    cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    cursor.execute(
        """CREATE TEMP TABLE bench_params (
             project_id bigint, service_id bigint, model text, score text,
             rpd double precision, cpr double precision, err double precision,
             p95 double precision, quality double precision) ON COMMIT DROP"""
    )
    with cursor.copy("COPY bench_params FROM STDIN") as copy:
        for p in planned:
            daily_budget = float(p.monthly_budget) / 31
            # Cost per request chosen so most projects spend 50–110 % of their budget.
            cpr = (
                daily_budget
                * random.Random(p.id).uniform(0.5, 1.1)
                / p.requests_per_day
            )
            copy.write_row(
                (
                    p.id,
                    p.id,
                    p.model,
                    p.score_name,
                    p.requests_per_day,
                    cpr,
                    float(p.error_target) * 0.6,
                    p.p95_target * 0.8,
                    float(p.quality_target) + 0.03,
                )
            )
    end = datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(
        hours=now_hour()
    )
    hourly_start = datetime(today.year, today.month, today.day, tzinfo=UTC) - timedelta(
        days=HOURLY_DAYS - 1
    )
    daily_start = today - timedelta(days=DAILY_DAYS - 1)

    cursor.execute(
        """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
           WHERE conrelid = 'metrics_metricsample'::regclass AND contype = 'u'"""
    )
    uniques = cursor.fetchall()
    cursor.execute(
        """SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'metrics_metricsample'
           AND indexname NOT IN (SELECT conname FROM pg_constraint
                                 WHERE conrelid = 'metrics_metricsample'::regclass)"""
    )
    indexes = cursor.fetchall()
    for name, _ in uniques:
        cursor.execute(f'ALTER TABLE metrics_metricsample DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    cursor.execute("SET LOCAL session_replication_role = replica")

    log(
        f"hourly samples: {len(planned)} projects × {HOURLY_DAYS} days × 24 h × 10 metrics"
    )
    value_sql = " ".join(f"WHEN '{m}' THEN {expr}" for m, _, expr in HOURLY_METRICS)
    metrics_sql = ", ".join(
        f"('{m}', {str(per).lower()})" for m, per, _ in HOURLY_METRICS
    )
    cursor.execute(
        f"""
        INSERT INTO metrics_metricsample
          (project_id, service_id, metric, dimension, bucket, bucket_start, value, updated_at)
        SELECT h.project_id, h.service_id, m.metric,
               CASE WHEN m.per_model THEN h.model ELSE '' END, 'hour', h.ts,
               (CASE m.metric {value_sql} END)::numeric, now()
        FROM (
          SELECT p.*, ts,
                 round(p.rpd / 24 * (1 + 0.6 * sin(2 * pi() * (extract(hour FROM ts) - 9) / 24))
                       * (0.7 + 0.6 * random())) AS r
          FROM bench_params p, generate_series(%s::timestamptz, %s::timestamptz, '1 hour') ts
        ) h
        CROSS JOIN (VALUES {metrics_sql}) m(metric, per_model)
        """,
        [hourly_start, end - timedelta(hours=1)],
    )
    samples = cursor.rowcount
    log("daily latency and quality samples for 365 days")
    cursor.execute(
        """
        INSERT INTO metrics_metricsample
          (project_id, service_id, metric, dimension, bucket, bucket_start, value, updated_at)
        SELECT p.project_id, p.service_id, m.metric,
               CASE WHEN m.metric = 'quality_score' THEN p.score ELSE '' END, 'day',
               d::timestamptz,
               round((CASE m.metric
                        WHEN 'quality_score' THEN least(1, p.quality + 0.08 * (random() - 0.5))
                        WHEN 'latency_p50_ms' THEN p.p95 * (0.25 + 0.15 * random())
                        ELSE p.p95 * (0.6 + 0.45 * random()) END)::numeric, 3),
               now()
        FROM bench_params p, generate_series(%s::date, %s::date, '1 day') d,
             (VALUES ('quality_score'), ('latency_p50_ms'), ('latency_p95_ms')) m(metric)
        """,
        [daily_start, today],
    )
    samples += cursor.rowcount
    log(f"{samples:,} samples written; rebuilding the sample indexes")
    cursor.execute("SET LOCAL session_replication_role = origin")
    for name, definition in uniques:
        cursor.execute(
            f'ALTER TABLE metrics_metricsample ADD CONSTRAINT "{name}" {definition}'
        )
    for _, definition in indexes:
        cursor.execute(definition)

    log("daily rollups: sums of the hours, the daily samples, older days generated")
    cursor.execute("SET LOCAL session_replication_role = replica")
    cursor.execute(
        """
        INSERT INTO metrics_dailyrollup (project_id, service_id, metric, dimension, day, value)
        SELECT project_id, service_id, metric, dimension, (bucket_start AT TIME ZONE 'UTC')::date,
               sum(value)
        FROM metrics_metricsample
        WHERE bucket = 'hour' AND metric NOT IN ('latency_p50_ms', 'latency_p95_ms')
        GROUP BY 1, 2, 3, 4, 5
        UNION ALL
        SELECT project_id, service_id, metric, dimension, (bucket_start AT TIME ZONE 'UTC')::date,
               value
        FROM metrics_metricsample WHERE bucket = 'day'
        """
    )
    rollups = cursor.rowcount
    # Older days: the same formulas, with r a whole day's requests.
    sums_sql = " ".join(
        f"WHEN '{m}' THEN {expr}"
        for m, _, expr in HOURLY_METRICS
        if not m.startswith("latency")
    )
    metrics_sql = ", ".join(
        f"('{m}', {str(per).lower()})"
        for m, per, _ in HOURLY_METRICS
        if not m.startswith("latency")
    )
    cursor.execute(
        f"""
        INSERT INTO metrics_dailyrollup (project_id, service_id, metric, dimension, day, value)
        SELECT d.project_id, d.service_id, m.metric,
               CASE WHEN m.per_model THEN d.model ELSE '' END, d.day,
               (CASE m.metric {sums_sql} END)::numeric
        FROM (
          SELECT p.*, day::date AS day,
                 round(p.rpd * (0.6 + 0.4 * (day::date - %s::date + {DAILY_DAYS}) / {DAILY_DAYS}.0)
                       * (0.8 + 0.4 * random())) AS r
          FROM bench_params p, generate_series(%s::date, %s::date, '1 day') day
        ) d
        CROSS JOIN (VALUES {metrics_sql}) m(metric, per_model)
        """,
        [today, daily_start, hourly_start.date() - timedelta(days=1)],
    )
    rollups += cursor.rowcount
    cursor.execute("SET LOCAL session_replication_role = origin")
    log(f"{rollups:,} daily rollups written")
    return samples, rollups


def now_hour() -> int:
    """Hours of today already complete: samples stop at the current hour."""
    return datetime.now(UTC).hour


def bootstrap(url: str, env: dict[str, str]) -> None:
    """A fresh, migrated database with Django configured to use it."""
    log(f"recreating {config.database_name(url)}")
    recreate_database(url)
    config.setup_django(env)
    from django.core.management import call_command

    log("migrating")
    call_command("migrate", verbosity=0, interactive=False)


def chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=config.database_url())
    args = parser.parse_args(argv)
    scale = config.scale_from_env()
    bootstrap(args.database_url, config.app_environment(args.database_url))
    result = generate(scale)
    log(
        f"{result.projects} projects, {result.checklist_items:,} checklist items, "
        f"{result.samples:,} samples, {result.rollups:,} rollups in {result.seconds:.0f} s"
    )
    print(json.dumps(result.__dict__))


if __name__ == "__main__":
    main()
