"""The portfolio's figures computed from weeks of rollups for every project: this
month's spend and its forecast, the quality totals, spend per team per week and the
quality trend. Each project counted as its own dashboard counts it
(``metrics.dashboard.counting_services``). They read rollups, services and the
approved requirements, never the projects: the few project facts they group and
compare by (``TrendFacts``) are part of their cache key (``Portfolio._cached``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Count,
    DateField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast, TruncWeek

from assessments.models import RequirementsDocument
from core.money import usd
from metrics.dashboard import CountingServices
from metrics.health import budget_forecast
from metrics.models import DailyRollup
from metrics.vocabulary import Metric

# A project's quality now: the mean daily score of the last week (the metric gates'
# default window), not diluted by a month of older days.
QUALITY_WINDOW_DAYS = 7
TREND_WEEKS = 12  # the spend and quality charts look back this many weeks


def quality_per_project(
    today: date, counting: CountingServices, **projects: Any
) -> QuerySet[Any]:
    """Each project's quality now: the mean daily value of the scores in the window
    (the caller picks the score: the project's approved one)."""
    return (
        DailyRollup.objects.filter(
            metric=Metric.QUALITY_SCORE,
            service_id__any_of=counting.quality,
            day__gt=today - timedelta(days=QUALITY_WINDOW_DAYS),
            day__lte=today,
            **projects,
        )
        .order_by()
        .values("project")
        .annotate(mean=Avg("value"))
    )


@dataclass(frozen=True)
class TrendFacts:
    """What the rollup-wide figures need of a project besides its rollups."""

    pk: int
    team: str
    quality_name: str | None  # the approved requirements' quality score
    quality_target: Decimal | None


def _own_quality_score() -> Exists:
    """A rollup of its project's own approved quality score. A semi-join on the
    requirements, not a join through the projects: the trends then read no project
    row (their key carries what they need of the projects)."""
    return Exists(
        RequirementsDocument.objects.filter(
            project=OuterRef("project"),
            approved_version__quality_score_name=OuterRef("dimension"),
        )
    )


@dataclass(frozen=True)
class MonthSpend:
    month_to_date: Decimal
    forecast: Decimal


def month_spend_total(
    facts: list[TrendFacts], today: date, counting: CountingServices
) -> MonthSpend:
    """This month's spend of the projects and its forecast, each project counted as
    its dashboard counts it (``metrics.dashboard.month_cost``: the cost so far plus the
    average of its last seven complete days with cost × the days left), summed. One
    grouped pass over the rollups."""
    week_ago = today - timedelta(days=7)
    month_start = today.replace(day=1)
    recent = Q(day__gte=week_ago, day__lt=today)
    per_project = (
        DailyRollup.objects.filter(
            metric__in=[Metric.COST_BILLED_USD, Metric.COST_OBSERVED_USD],
            service_id__any_of=counting.cost,
            project__any_of=[f.pk for f in facts],
            day__gte=min(month_start, week_ago),
            day__lte=today,
        )
        .order_by()
        .values("project")
        .annotate(
            month_to_date=Sum("value", filter=Q(day__gte=month_start)),
            recent=Sum("value", filter=recent),
            recent_days=Count("day", distinct=True, filter=recent),
        )
    )
    spend, forecast = Decimal(0), Decimal(0)
    for row in per_project:
        month_to_date = row["month_to_date"] or Decimal(0)
        spend += month_to_date
        # The days' sum over their count: exactly the dashboard's average.
        average = [row["recent"] / row["recent_days"]] if row["recent_days"] else []
        forecast += budget_forecast(
            month_to_date=month_to_date, last_7_days=average, today=today
        )
    return MonthSpend(spend, forecast.quantize(Decimal("0.01")))


def quality_totals(
    facts: list[TrendFacts], today: date, counting: CountingServices
) -> dict[str, Any]:
    """Over the projects with an approved quality target and scores in the window: how
    many, how many meet their target, the mean of their means and of their targets
    (each project's quality as the ``quality`` annotation computes it)."""
    targets = {f.pk: f.quality_target for f in facts if f.quality_target is not None}
    means = {
        row["project"]: row["mean"]
        for row in quality_per_project(today, counting).filter(
            _own_quality_score(), project__any_of=list(targets)
        )
    }
    return {
        "measured": len(means),
        "met": sum(1 for pk, mean in means.items() if mean >= targets[pk]),
        "mean_quality": _mean(means.values()),
        "mean_target": _mean(targets[pk] for pk in means),
    }


def _mean(values: Iterable[Decimal]) -> Decimal | None:
    values = list(values)
    return sum(values, Decimal(0)) / len(values) if values else None


@dataclass(frozen=True)
class WeeklySeries:
    weeks: list[date]  # Mondays, oldest first
    # name -> one value per week (None where nothing was reported)
    series: dict[str, list[Decimal | None]]

    def rows(self, fmt: Callable[[Decimal], str]) -> list[tuple[date, list[str]]]:
        """Week by week, one formatted value per series ("—" where none), for the data
        tables under the charts."""
        return [
            (week, [_shown(values[i], fmt) for values in self.series.values()])
            for i, week in enumerate(self.weeks)
        ]

    @property
    def money_rows(self) -> list[tuple[date, list[str]]]:
        return self.rows(usd)

    @property
    def score_rows(self) -> list[tuple[date, list[str]]]:
        return self.rows(lambda value: f"{value:.3f}")


def _shown(value: Decimal | None, fmt: Callable[[Decimal], str]) -> str:
    return "—" if value is None else fmt(value)


def _weeks(today: date) -> list[date]:
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=n) for n in range(TREND_WEEKS - 1, -1, -1)]


def spend_by_team(
    facts: list[TrendFacts], today: date, counting: CountingServices
) -> WeeklySeries:
    """Weekly spend per team over the last weeks: each project's cost as its dashboard
    counts it (``metrics.dashboard.counting_services``), summed per project and week
    in the database and added up by team here, from the projects' facts: the rollups
    alone are read."""
    weeks = _weeks(today)
    team_of = {f.pk: f.team for f in facts}
    per_project = (
        DailyRollup.objects.filter(
            project__any_of=list(team_of),
            metric__in=[Metric.COST_BILLED_USD, Metric.COST_OBSERVED_USD],
            service_id__any_of=counting.cost,
            day__gte=weeks[0],
            day__lte=today,
        )
        # A date, not the timestamp DATE_TRUNC gives: thousands of rows come back.
        .annotate(week=Cast(TruncWeek("day"), DateField()))
        .values_list("project", "week")
        .annotate(total=Sum("value"))
        .order_by()
    )
    by_team: dict[tuple[str, Any], Decimal] = defaultdict(Decimal)
    for project, week, total in per_project:
        by_team[(team_of[project], week)] += total
    rows = [
        {"team": team, "week": week, "total": total}
        for (team, week), total in sorted(by_team.items())
    ]
    return _pivot(weeks, rows, "team", "total")


def quality_trend(
    facts: list[TrendFacts], today: date, counting: CountingServices
) -> WeeklySeries:
    """The weekly mean of each project's own approved quality score, across projects."""
    weeks = _weeks(today)
    rows = (
        DailyRollup.objects.filter(
            _own_quality_score(),
            project__any_of=[f.pk for f in facts],
            metric=Metric.QUALITY_SCORE,
            service_id__any_of=counting.quality,
            day__gte=weeks[0],
            day__lte=today,
        )
        .annotate(week=TruncWeek("day"), series=Value("Quality score"))
        .values("series", "week")
        .annotate(mean=Avg("value"))
        .order_by("week")
    )
    return _pivot(weeks, rows, "series", "mean")


def _pivot(weeks: list[date], rows: Any, name_key: str, value_key: str) -> WeeklySeries:
    index = {week: i for i, week in enumerate(weeks)}
    series: dict[str, list[Decimal | None]] = {}
    for row in rows:
        week = row["week"]
        week = week.date() if hasattr(week, "date") else week
        values = series.setdefault(row[name_key], [None] * len(weeks))
        if week in index:
            values[index[week]] = Decimal(row[value_key])
    return WeeklySeries(weeks=weeks, series=series)
