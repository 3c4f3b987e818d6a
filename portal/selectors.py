"""Reads for the portfolio: everything aggregated in the database, whatever the number of
projects (no per-project queries, no Python loops over querysets).

Every read takes the same ``PortfolioFilters`` so the tiles, charts, lists and the table
always describe the same set of projects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    F,
    FloatField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Cast,
    Coalesce,
    Least,
)
from django.utils import timezone

from assessments.models import (
    AssessmentCriterion,
    CriterionScore,
    GapAssessment,
)
from core import fragments, versions
from core.numbers import as_float
from metrics.dashboard import CountingServices, counting_services
from metrics.models import Alert, DailyRollup
from metrics.vocabulary import Metric
from portal import sql, trends
from portal.trends import MonthSpend, TrendFacts, WeeklySeries
from projects.access import visible_projects
from projects.models import (
    AiActTier,
    ProjectRole,
    ProjectStep,
    Step,
    StepStatus,
)
from projects.progress import LAUNCHED
from projects.selectors import (
    NOT_ASSESSED,
    ProjectFilters,
    member_name,
    project_list_for_user,
)
from risks.selectors import RiskHeatMap, residual_heat_map

if TYPE_CHECKING:
    from portal.models import User

UPCOMING_DAYS = 90  # launches planned within this many days are "upcoming"
LIST_SIZE = 10  # rows in the upcoming-launches and stalled lists
T = TypeVar("T")

HEAT_MAP_SIZE = 30  # projects in the readiness heat map, least ready first


@dataclass(frozen=True)
class PortfolioFilters:
    """The portfolio's filters and sort, as they appear in the URL."""

    team: str = ""
    framework: str = ""
    status: str = ""  # a ProjectStatus value, or "launched"
    step: int | None = None
    at_risk: bool = False
    sort: str = "name"
    ai_act_tier: str = ""  # an AiActTier value, or NOT_ASSESSED

    # The AI Act tier filter's values, in the order the filter lists them.
    ai_act_tier_choices: ClassVar[list[tuple[str, str]]] = [
        *AiActTier.choices,
        (NOT_ASSESSED, "Not assessed"),
    ]

    @property
    def active(self) -> bool:
        return bool(
            self.team
            or self.framework
            or self.status
            or self.step
            or self.at_risk
            or self.ai_act_tier
        )


def _nulls_last(name: str) -> Any:
    return (
        F(name[1:]).desc(nulls_last=True)
        if name.startswith("-")
        else F(name).asc(nulls_last=True)
    )


# Sort key in the URL -> ordering: the written-out statement's sorts (each has a
# descending twin with a leading "-"), where the ORM reaches the team's name through
# its relation.
SORT_FIELDS = {**sql.SORTS, "team": "team__name"}


def _ordering(sort: str) -> list[Any]:
    key = sort.removeprefix("-")
    field = SORT_FIELDS.get(key, "name")
    descending = (sort.startswith("-") and key in SORT_FIELDS) != field.startswith("-")
    return [
        _nulls_last(("-" if descending else "") + field.removeprefix("-")),
        "name",
        "pk",
    ]


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _spend_per_project(
    since: date, until: date, counting: CountingServices, **projects: Any
) -> QuerySet[Any]:
    """Each project's cost over the days, in one pass over its rollups: the cost that
    counts on its dashboard (billed summed across providers where a provider's report
    is mapped, else its one observed source; ``metrics.figures``)."""
    return (
        DailyRollup.objects.filter(
            metric__in=[Metric.COST_BILLED_USD, Metric.COST_OBSERVED_USD],
            service_id__any_of=counting.cost,
            day__gte=since,
            day__lte=until,
            **projects,
        )
        .order_by()
        .values("project")
        .annotate(total=Sum("value"))
    )


def portfolio_projects(
    user: User,
    filters: PortfolioFilters | None = None,
    today: date | None = None,
    counting: CountingServices | None = None,
) -> QuerySet[Any]:
    """The visible projects matching ``filters``, with everything the table shows:
    step facts, why each one is at risk, readiness, spend this month against the
    approved budget, quality against its target, open alerts and days in the step.
    ``counting`` is ``counting_services`` of the user's visible projects, when the
    caller has it already.

    The read API reads this; the portfolio page reads its written-out twin
    (``portal/sql.py``), and ``tests/portal/test_portfolio_sql.py`` keeps them equal:
    a column added here goes there too."""
    filters = filters or PortfolioFilters()
    today = today or timezone.localdate()
    approved = "requirements__approved_version__"
    current_step = ProjectStep.objects.filter(project=OuterRef("pk")).exclude(
        status=StepStatus.DONE
    )
    latest_assessment = GapAssessment.objects.filter(project=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    month_start = today.replace(day=1)
    counting = counting or counting_services(visible_projects(user))
    projects = (
        project_list_for_user(
            user,
            filters=ProjectFilters(
                step=filters.step,
                status=filters.status,
                team=filters.team,
                framework=filters.framework,
                ai_act_tier=filters.ai_act_tier,
            ),
        )
        .prefetch_related(None)
        .annotate(
            owner_name=member_name(ProjectRole.OWNER),
            lead_name=member_name(ProjectRole.LEAD),
            open_alerts=Coalesce(
                Subquery(
                    Alert.objects.filter(
                        project=OuterRef("pk"), status=Alert.Status.OPEN
                    )
                    .order_by()
                    .values("project")
                    .annotate(n=Count("id"))
                    .values("n")[:1]
                ),
                Value(0),
            ),
            step_started_at=Subquery(
                current_step.order_by("step__number").values("started_at")[:1]
            ),
            readiness=Subquery(latest_assessment.values("overall_readiness")[:1]),
            budget=F(f"{approved}monthly_budget_usd"),
            quality_target=F(f"{approved}quality_score_target"),
            quality_name=F(f"{approved}quality_score_name"),
            spend_month_to_date=Subquery(
                _spend_per_project(
                    month_start, today, counting, project=OuterRef("pk")
                ).values("total")[:1],
                output_field=DecimalField(max_digits=20, decimal_places=6),
            ),
            quality=Subquery(
                trends.quality_per_project(
                    today,
                    counting,
                    project=OuterRef("pk"),
                    dimension=OuterRef("quality_name"),
                ).values("mean")[:1],
                output_field=DecimalField(max_digits=20, decimal_places=6),
            ),
        )
    )
    if filters.at_risk:
        projects = projects.filter(at_risk=True)  # type: ignore[misc]
    return projects.order_by(*_ordering(filters.sort))


@dataclass(frozen=True)
class Overview:
    projects: int
    in_flight: int
    launched_this_quarter: int
    at_risk: int
    spend_month_to_date: Decimal
    spend_forecast: Decimal
    budgets: Decimal
    assessed: int
    average_readiness: float | None
    quality_measured: int
    quality_met: int
    average_quality: float | None
    average_quality_target: float | None
    # (step number, short name, projects there); 8 = launched
    funnel: list[tuple[int, str, int]]

    @property
    def over_budget(self) -> bool:
        return bool(self.budgets) and self.spend_forecast > self.budgets


class Portfolio:
    """The projects a user sees through the filters, as of a day: every read of the
    portfolio page comes from here, each a read of one written-out statement
    (``portal.sql``; its plain form is ``portfolio_projects``), and the reads that
    need only the projects' ids share one list of them."""

    def __init__(
        self,
        user: User,
        filters: PortfolioFilters | None = None,
        today: date | None = None,
    ) -> None:
        self.user = user
        self.filters = filters or PortfolioFilters()
        self.today = today or timezone.localdate()
        # Which services count for each visible project: read once, for the table and
        # every figure computed from the rollups, and kept with the trends (it reads
        # only the services and their choices) for the projects it was worked out for.
        visible = list(visible_projects(user).values_list("pk", flat=True))
        self.counting = fragments.cached(
            "portfolio-trends",
            f"counting:{versions.digest(visible)}",
            lambda: counting_services(visible),
        )
        self.statement = sql.portfolio_statement(
            user, self.filters, self.today, self.counting
        )
        self._overview: Overview | None = None

    @cached_property
    def facts(self) -> list[TrendFacts]:
        return [
            TrendFacts(row.pk, row.team_name, row.quality_name, row.quality_target)
            for row in self.statement.select(
                "pk", "team_name", "quality_name", "quality_target"
            )
        ]

    @cached_property
    def ids(self) -> list[int]:
        return [f.pk for f in self.facts]

    def rows(self, offset: int = 0, limit: int | None = None) -> list[Any]:
        """The projects with every column of ``portfolio_projects``, in the filters'
        sort, from ``offset`` on."""
        return self.statement.select(
            "*", order_by=sql.order_by(self.filters.sort), limit=limit, offset=offset
        )

    def at_risk_rows(self, limit: int) -> list[Any]:
        """The first ``limit`` of these projects that are at risk, by name, with every
        column of ``rows``: the board report's list, read from the same statement."""
        return self.statement.select(
            "*",
            where=sql.at_risk_condition(),
            order_by=sql.order_by("name"),
            limit=limit,
        )

    @cached_property
    def _facts_digest(self) -> str:
        """The day and the projects' facts, named once for the values cached from
        them."""
        return versions.digest(self.today, self.facts)

    def overview(self) -> Overview:
        if self._overview is None:
            self._overview = _overview(
                self.statement,
                self.ids,
                self.today,
                spend=self._cached("month-spend", trends.month_spend_total),
                quality=self._cached("quality-totals", trends.quality_totals),
            )
        return self._overview

    def upcoming_launches(self) -> list[dict[str, Any]]:
        """Projects not yet launched whose target launch falls in the next few weeks
        (name, slug, target_launch_date, current_step)."""
        until = self.today + timedelta(days=UPCOMING_DAYS)
        return self.statement.upcoming(self.today, until, LIST_SIZE)

    def stalled_projects(self) -> list[dict[str, Any]]:
        """Projects with no activity in their current step lately, quietest first
        (name, slug, current_step, current_activity)."""
        return self.statement.stalled(LIST_SIZE)

    def open_alerts(self, limit: int = 20) -> list[Alert]:
        return list(
            Alert.objects.filter(status=Alert.Status.OPEN, project__any_of=self.ids)
            .select_related("project")
            .order_by("-opened_at")[:limit]
        )

    def readiness_heat_map(self) -> HeatMap:
        return _heat_map(
            self.statement.least_ready(HEAT_MAP_SIZE),
            assessed=self.overview().assessed,
        )

    def spend_by_team(self) -> WeeklySeries:
        return self._cached("spend", trends.spend_by_team)

    def quality_trend(self) -> WeeklySeries:
        return self._cached("quality", trends.quality_trend)

    def risk_heat_map(self) -> RiskHeatMap:
        """The filtered projects' live risks by residual likelihood × impact."""
        return residual_heat_map(self.ids)

    def _cached(
        self,
        name: str,
        compute: Callable[[list[TrendFacts], date, CountingServices], T],
    ) -> T:
        """What is computed from the projects' rollups (this month's spend, the
        quality totals, the weekly charts) scans weeks of rollups for every project,
        so it is kept until the rollups or the services change (the
        "portfolio-trends" fragment). The few project facts it groups and compares by
        are part of its key instead of being read again: editing a project then
        leaves weeks of rollups alone unless its team or quality target moved."""
        return fragments.cached(
            "portfolio-trends",
            f"{name}:{self._facts_digest}",
            lambda: compute(self.facts, self.today, self.counting),
        )


def _overview(
    statement: sql.Statement,
    ids: list[int],
    today: date,
    *,
    spend: MonthSpend,
    quality: dict[str, Any],
) -> Overview:
    """Headline numbers and the funnel, in a few queries whatever the number of
    projects."""
    totals = statement.totals(
        at_risk=sql.at_risk_condition(),
        assessed="readiness IS NOT NULL",
        **{f"at_step_{n}": f"current_step = {n}" for n in range(1, LAUNCHED + 1)},
    )
    by_step = {n: getattr(totals, f"at_step_{n}") for n in range(1, LAUNCHED + 1)}
    names = dict(Step.objects.values_list("number", "short_name"))
    funnel = [(n, names.get(n, str(n)), by_step.get(n, 0)) for n in range(1, 8)]
    funnel.append((LAUNCHED, "Launched", by_step.get(LAUNCHED, 0)))
    launched = ProjectStep.objects.filter(
        project__any_of=ids,
        step__number=7,
        status=StepStatus.DONE,
        completed_at__date__gte=quarter_start(today),
    ).count()
    return Overview(
        projects=totals.projects,
        in_flight=totals.projects - by_step[LAUNCHED],
        launched_this_quarter=launched,
        at_risk=totals.at_risk,
        spend_month_to_date=spend.month_to_date,
        spend_forecast=spend.forecast,
        budgets=totals.budgets or Decimal(0),
        assessed=totals.assessed,
        average_readiness=as_float(totals.mean_readiness),
        quality_measured=quality["measured"],
        quality_met=quality["met"],
        average_quality=as_float(quality["mean_quality"]),
        average_quality_target=as_float(quality["mean_target"]),
        funnel=funnel,
    )


def days_in_step(project: Any, today: date) -> int | None:
    """Whole days since the current step started (None once launched or not started)."""
    started = getattr(project, "step_started_at", None)
    if getattr(project, "current_step", LAUNCHED) == LAUNCHED or started is None:
        return None
    return max((today - timezone.localdate(started)).days, 0)


@dataclass(frozen=True)
class HeatMap:
    areas: list[str]
    # (project's pk, name and slug; readiness per area in ``areas`` order, None where
    # not assessed)
    rows: list[tuple[dict[str, Any], list[float | None]]]
    more: int  # assessed projects left out of the map

    @property
    def cells(self) -> list[tuple[dict[str, Any], list[tuple[str, str]]]]:
        """The rows with each value as (text, colour band), formatted here rather than
        with a chain of template conditions in every cell."""
        return [
            (project, [heat_cell(value) for value in values])
            for project, values in self.rows
        ]


def heat_cell(value: float | None) -> tuple[str, str]:
    """A readiness percentage as shown in the heat map, and its colour band."""
    if value is None:
        return "—", "heat-none"
    band = "heat-low" if value < 50 else "heat-mid" if value < 80 else "heat-high"
    return f"{value:.0f}%", band


def _heat_map(shown: list[dict[str, Any]], assessed: int) -> HeatMap:
    """Readiness per gap area of the ``shown`` projects (pk, name, slug), from each
    one's latest assessment, with the same formula as ``assessments.readiness``: the
    mean of min(level, target) / target over an area's criteria (1 when the target is
    0)."""
    latest = GapAssessment.objects.filter(
        project=OuterRef("assessment__project")
    ).order_by("-created_at", "-id")
    ratio = Case(
        When(target=0, then=Value(1.0)),
        default=Cast(Least("level", "target"), FloatField())
        / Cast("target", FloatField()),
        output_field=FloatField(),
    )
    cells = (
        CriterionScore.objects.filter(
            assessment__project__in=[p["pk"] for p in shown],
            assessment=Subquery(latest.values("pk")[:1]),
            # A criterion not assessed yet is left out, as in every average of
            # readiness (PostgreSQL's LEAST(NULL, 3) would count it as ready).
            level__isnull=False,
        )
        .values("assessment__project", "criterion__area_name")
        .annotate(readiness=Avg(ratio))
        .order_by()
    )
    by_project: dict[int, dict[str, float]] = {}
    for cell in cells:
        by_project.setdefault(cell["assessment__project"], {})[
            cell["criterion__area_name"]
        ] = round(100 * cell["readiness"], 1)
    areas = list(
        AssessmentCriterion.objects.filter(active=True)
        .order_by("order", "area")
        .values_list("area_name", flat=True)
        .distinct()
    )
    seen = {area for values in by_project.values() for area in values}
    areas = [a for a in dict.fromkeys(areas) if a in seen] + sorted(
        seen.difference(areas)
    )
    rows = [
        (project, [by_project.get(project["pk"], {}).get(area) for area in areas])
        for project in shown
    ]
    return HeatMap(areas=areas, rows=rows, more=assessed - len(shown))
