"""The portfolio's written-out statement (portal/sql.py) reads what its ORM twin,
``portfolio_projects``, reads: every column, filter and sort, and each read derived
from it, on whichever database the suite runs (SQLite by default, PostgreSQL in CI)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone

from assessments.models import AssessmentCriterion
from metrics.models import Alert
from metrics.vocabulary import Metric
from portal import sql
from portal.selectors import (
    SORT_FIELDS,
    Portfolio,
    PortfolioFilters,
    portfolio_projects,
)
from projects.models import AiActTier, Framework, ProjectStatus, ProjectStep, StepStatus
from projects.risk import at_risk_condition, signal_columns
from projects.selectors import NOT_ASSESSED
from risks.models import Risk
from tests.factories import (
    MembershipFactory,
    TeamFactory,
    UserFactory,
    approve_requirements,
)
from tests.portal import portfolio_helpers
from tests.portal.portfolio_helpers import assess, cost, launch, make

pytestmark = pytest.mark.django_db

executive, owner = portfolio_helpers.executive, portfolio_helpers.owner

# The statement's columns and the ORM's name for each, where it differs.
ORM_NAMES = {"team_name": "team__name"}


def columns() -> list[str]:
    return [
        "pk",
        "name",
        "slug",
        "status",
        "ai_act_tier",
        "target_launch_date",
        "team_name",
        "current_step",
        "current_activity",
        "step_started_at",
        *signal_columns(),
        "owner_name",
        "lead_name",
        "open_alerts",
        "readiness",
        "budget",
        "quality_target",
        "quality_name",
        "spend_month_to_date",
        "quality",
    ]


@pytest.fixture
def portfolio(executive, owner):
    """Projects between them holding every column and signal, each value once."""
    today = timezone.localdate()
    claims = TeamFactory(name="Claims", slug="claims")
    sales = TeamFactory(name="Sales", slug="sales")

    busy = make(
        owner,
        "Busy",
        team=claims,
        status=ProjectStatus.AT_RISK,
        ai_act_tier=AiActTier.HIGH,
        target_launch_date=today + timedelta(days=30),
    )
    busy.frameworks.set(Framework.objects.filter(code="hipaa"))
    approve_requirements(busy, owner, monthly_budget_usd="100")
    MembershipFactory(project=busy, role="lead", user__first_name="Leo")
    cost(busy, "langfuse", Metric.COST_OBSERVED_USD, "70.5", today)
    cost(busy, "langfuse", Metric.QUALITY_SCORE, "0.8", today, "helpfulness")
    cost(busy, "langfuse", Metric.QUALITY_SCORE, "0.3", today, "tone")
    assess(busy, owner, {})
    Alert.objects.create(project=busy, kind=Alert.Kind.BUDGET, message="over")
    Alert.objects.create(project=busy, kind=Alert.Kind.MODEL, message="gpt-x, 3 calls")
    Risk.objects.create(
        project=busy,
        title="Leaks",
        category="security",
        owner=owner,
        residual_likelihood=5,
        residual_impact=4,
    )
    ProjectStep.objects.filter(project=busy, step__number=1).update(
        status=StepStatus.IN_PROGRESS,
        started_at=timezone.now() - timedelta(days=40),
        last_activity_at=timezone.now() - timedelta(days=30),
        due_date=today - timedelta(days=1),
    )

    launched = make(owner, "Launched", team=sales, ai_act_tier=AiActTier.MINIMAL)
    launch(launched)
    assess(launched, owner, {AssessmentCriterion.objects.first().key: (1, 4)})

    quiet = make(owner, "Quiet", team=sales, target_launch_date=today)
    ProjectStep.objects.filter(project=quiet, step__number__lte=2).update(
        status=StepStatus.DONE
    )
    ProjectStep.objects.filter(project=quiet, step__number=3).update(
        status=StepStatus.IN_PROGRESS, started_at=timezone.now() - timedelta(days=3)
    )
    # Never shown: archived.
    make(owner, "Archived", team=sales, archived_at=timezone.now())
    return {"today": today, "claims": claims}


def by_hand(user, filters, today, **read):
    return [vars(row) for row in Portfolio(user, filters, today).rows(**read)]


def by_orm(user, filters, today):
    names = [ORM_NAMES.get(c, c) for c in columns()]
    return [
        {c: row[ORM_NAMES.get(c, c)] for c in columns()}
        for row in portfolio_projects(user, filters, today).values(*names)
    ]


FILTERS = [
    {},
    {"team": "claims"},
    {"team": "nobody"},
    {"framework": "hipaa"},
    {"status": ProjectStatus.AT_RISK},
    {"status": "launched"},
    {"step": 1},
    {"step": 3},
    {"at_risk": True},
    {"ai_act_tier": AiActTier.HIGH},
    {"ai_act_tier": NOT_ASSESSED},
]


@pytest.mark.parametrize("filters", FILTERS, ids=str)
def test_every_column_of_every_filtered_project_equals_the_orms(
    portfolio, executive, filters
):
    today = portfolio["today"]
    chosen = PortfolioFilters(**filters)
    assert by_hand(executive, chosen, today) == by_orm(executive, chosen, today)


def test_the_rows_hold_every_value_the_fixture_made(portfolio, executive):
    rows = {r["name"]: r for r in by_hand(executive, PortfolioFilters(), None)}
    assert sorted(rows) == ["Busy", "Launched", "Quiet"]
    busy = rows["Busy"]
    assert busy["spend_month_to_date"] == Decimal("70.5")
    assert busy["budget"] == Decimal(100) and busy["quality"] == Decimal("0.8")
    assert busy["open_alerts"] == 2 and busy["lead_name"].startswith("Leo")
    assert busy["uses_unapproved_model_detail"] == "gpt-x, 3 calls"
    assert all(busy[c] is True for c in signal_columns(details=False))
    assert rows["Launched"]["current_step"] == 8
    assert rows["Quiet"]["current_step"] == 3
    assert not any(rows["Quiet"][c] for c in signal_columns(details=False))


@pytest.mark.parametrize(
    "sort", [*SORT_FIELDS, *(f"-{key}" for key in SORT_FIELDS)], ids=str
)
def test_every_sort_orders_as_the_orm_does(portfolio, executive, sort):
    today = portfolio["today"]
    chosen = PortfolioFilters(sort=sort)
    hand = [row["name"] for row in by_hand(executive, chosen, today)]
    assert hand == [row["name"] for row in by_orm(executive, chosen, today)]
    # A page of it is the same slice.
    assert [
        row["name"] for row in by_hand(executive, chosen, today, offset=1, limit=1)
    ] == hand[1:2]


def test_a_member_reads_only_the_projects_they_belong_to(portfolio, owner):
    today = portfolio["today"]
    outsider_project = make(UserFactory(), "Someone else's", team=portfolio["claims"])
    mine = by_hand(owner, PortfolioFilters(), today)
    assert mine == by_orm(owner, PortfolioFilters(), today)
    assert outsider_project.name not in {row["name"] for row in mine}


def test_the_derived_reads_equal_their_orm_forms(portfolio, executive):
    today = portfolio["today"]
    portfolio_read = Portfolio(executive, today=today)
    projects = portfolio_projects(executive, today=today)
    assert sorted(
        (f.pk, f.team, f.quality_name, f.quality_target) for f in portfolio_read.facts
    ) == sorted(
        projects.values_list("pk", "team__name", "quality_name", "quality_target")
    )
    until = today + timedelta(days=90)
    assert portfolio_read.statement.upcoming(today, until, 10) == list(
        projects.filter(
            current_step__lt=8,
            target_launch_date__gte=today,
            target_launch_date__lte=until,
        )
        .order_by("target_launch_date", "name")
        .values("name", "slug", "target_launch_date", "current_step")
    )
    assert portfolio_read.statement.stalled(10) == list(
        projects.filter(stalled=True)
        .order_by("current_activity", "name")
        .values("name", "slug", "current_step", "current_activity")
    )
    assert portfolio_read.statement.least_ready(10) == list(
        projects.filter(readiness__isnull=False)
        .order_by("readiness", "name")
        .values("pk", "name", "slug")
    )


@pytest.mark.parametrize("filters", FILTERS, ids=str)
def test_the_totals_equal_the_orms_aggregate(portfolio, executive, filters):
    today = portfolio["today"]
    chosen = PortfolioFilters(**filters)
    totals = Portfolio(executive, chosen, today).statement.totals(
        at_risk=sql.at_risk_condition(),
        assessed="readiness IS NOT NULL",
        launched="current_step = 8",
    )
    orm = (
        portfolio_projects(executive, chosen, today)
        .order_by()
        .aggregate(
            projects=Count("pk"),
            at_risk=Count("pk", filter=at_risk_condition()),
            assessed=Count("pk", filter=Q(readiness__isnull=False)),
            launched=Count("pk", filter=Q(current_step=8)),
            budgets=Sum("budget"),
            mean_readiness=Avg("readiness"),
        )
    )
    mean = orm.pop("mean_readiness")
    assert vars(totals) == {
        **orm,
        "mean_readiness": pytest.approx(None if mean is None else float(mean)),
    }


def test_every_registered_at_risk_signal_has_a_twin_here():
    """A signal added in an app's ready() must be written out in portal/sql.py too,
    or the portfolio would not count it."""
    assert set(sql.SIGNALS) == set(signal_columns())


def test_every_column_the_orm_twin_annotates_is_written_out(executive):
    """A column added to ``portfolio_projects`` and not to the statement fails here."""
    written_out = {name for name, _ in Portfolio(executive).statement.columns}
    annotated = set(portfolio_projects(executive).query.annotation_select)
    # The current step's status comes with the projects list's step facts; the
    # portfolio does not show it.
    assert annotated - {"current_step_status"} <= written_out
    assert set(columns()) == written_out


@pytest.mark.parametrize("filters", FILTERS, ids=str)
def test_the_at_risk_rows_are_the_at_risk_filter_sorted_by_name(
    portfolio, executive, owner, filters
):
    today = portfolio["today"]
    for name in ("Zed", "Able"):  # at risk beside Busy, one on each side of it
        make(owner, name, status=ProjectStatus.AT_RISK)
    chosen = PortfolioFilters(**filters)
    at_risk = replace(chosen, at_risk=True, sort="name")
    assert [p.pk for p in Portfolio(executive, chosen, today).at_risk_rows(2)] == [
        p.pk for p in portfolio_projects(executive, at_risk, today)[:2]
    ]
