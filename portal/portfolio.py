"""The portfolio's filters as they come from the URL, and its rows as people read them:
the same for the page, the CSV export and the board report (no queries here)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from core.money import usd
from evaluations.summary import LastEvaluation
from portal.selectors import SORT_FIELDS, PortfolioFilters, days_in_step
from projects.models import AiActTier, ProjectStatus
from projects.progress import LAUNCHED
from projects.risk import risk_reasons

FILTER_KEYS = (
    "team",
    "framework",
    "status",
    "step",
    "at_risk",
    "ai_act_tier",
    "sort",
)
AI_ACT_TIER_FILTERS = dict(PortfolioFilters.ai_act_tier_choices)


def filters_from(query: QueryDict) -> PortfolioFilters:
    """Read the filters from a query string; values that mean nothing are ignored
    rather than turned into an error page, so an old bookmark still opens."""
    status = query.get("status", "")
    if status not in ProjectStatus.values and status != "launched":
        status = ""
    step = query.get("step", "")
    sort = query.get("sort", "name")
    tier = query.get("ai_act_tier", "")
    return PortfolioFilters(
        team=query.get("team", "").strip(),
        framework=query.get("framework", "").strip(),
        status=status,
        step=int(step) if step in {str(n) for n in range(1, 8)} else None,
        at_risk=query.get("at_risk") == "1",
        sort=sort if sort.removeprefix("-") in SORT_FIELDS else "name",
        ai_act_tier=tier if tier in AI_ACT_TIER_FILTERS else "",
    )


def filters_query(filters: PortfolioFilters, *, sort: bool = True) -> str:
    """The filters as a query string, without empty values (for links and pushed URLs)."""
    query = QueryDict(mutable=True)
    for key, value in (
        ("team", filters.team),
        ("framework", filters.framework),
        ("status", filters.status),
        ("step", str(filters.step) if filters.step else ""),
        ("at_risk", "1" if filters.at_risk else ""),
        ("ai_act_tier", filters.ai_act_tier),
        ("sort", filters.sort if sort and filters.sort != "name" else ""),
    ):
        if value:
            query[key] = value
    return query.urlencode()


def filters_description(
    filters: PortfolioFilters,
    team_names: dict[str, str],
    framework_names: dict[str, str],
) -> str:
    """The filters in words, for the board report and the CSV's readers."""
    parts = []
    if filters.team:
        parts.append(f"team {team_names.get(filters.team, filters.team)}")
    if filters.framework:
        parts.append(
            f"framework {framework_names.get(filters.framework, filters.framework)}"
        )
    if filters.status == "launched":
        parts.append("launched")
    elif filters.status:
        parts.append(f"status {ProjectStatus(filters.status).label.lower()}")
    if filters.step:
        parts.append(f"at step {filters.step}")
    if filters.at_risk:
        parts.append("at risk only")
    if filters.ai_act_tier:
        tier = AI_ACT_TIER_FILTERS[filters.ai_act_tier]
        parts.append(f"EU AI Act tier {str(tier).lower()}")
    return ", ".join(parts) if parts else "all projects"


def score(value: Decimal | float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _plain(value: Decimal | float | None, places: int) -> str:
    return "" if value is None else f"{value:.{places}f}"


@dataclass(frozen=True)
class Row:
    """One project of the portfolio table; the ``*_text`` properties are ready to print
    (formatted in Python: template filters on every cell cost more than the queries)."""

    name: str
    url: str
    slug: str
    team: str
    step: int  # 1-7, or 8 once launched
    status: str
    status_label: str
    readiness: Decimal | None
    spend: Decimal
    budget: Decimal | None
    quality: Decimal | None
    quality_target: Decimal | None
    open_alerts: int
    days_in_step: int | None
    owner: str
    lead: str
    risk_reasons: list[str]
    target_launch: date | None
    ai_act_tier: str = ""  # blank: not assessed
    ai_act_label: str = "Not assessed"
    # The latest run on the project's tracked evaluation set (None: no run yet).
    last_evaluation: LastEvaluation | None = None

    @property
    def is_launched(self) -> bool:
        return self.step == LAUNCHED

    @property
    def step_label(self) -> str:
        return "Launched" if self.step == LAUNCHED else f"{self.step} of 7"

    @property
    def readiness_text(self) -> str:
        return "—" if self.readiness is None else f"{self.readiness:.0f}%"

    @property
    def spend_text(self) -> str:
        return usd(self.spend)

    @property
    def budget_text(self) -> str:
        return usd(self.budget)

    @property
    def over_budget(self) -> bool:
        return bool(self.budget) and self.spend > (self.budget or 0)

    @property
    def quality_text(self) -> str:
        return score(self.quality)

    @property
    def quality_target_text(self) -> str:
        return score(self.quality_target)

    @property
    def last_evaluation_date(self) -> str:
        last = self.last_evaluation
        return "" if last is None else f"{timezone.localtime(last.ran_at):%Y-%m-%d}"

    @property
    def last_evaluation_verdict(self) -> str:
        last = self.last_evaluation
        return "" if last is None else "passed" if last.passed else "failed"

    @property
    def below_quality_target(self) -> bool:
        return (
            self.quality is not None
            and self.quality_target is not None
            and self.quality < self.quality_target
        )


def row_of(
    project: Any, today: date, last_evaluation: LastEvaluation | None = None
) -> Row:
    """A row from a project of ``Portfolio.rows`` (all its columns read: no queries
    here) and its last evaluation (``evaluations.summary.last_evaluations``, read for
    a page)."""
    tier = project.ai_act_tier
    return Row(
        name=project.name,
        url=reverse("projects:detail", kwargs={"slug": project.slug}),
        slug=project.slug,
        team=project.team_name,
        step=project.current_step,
        status=project.status,
        status_label=str(ProjectStatus(project.status).label),
        readiness=project.readiness,
        spend=project.spend_month_to_date or Decimal(0),
        budget=project.budget,
        quality=project.quality,
        quality_target=project.quality_target,
        open_alerts=project.open_alerts,
        days_in_step=days_in_step(project, today),
        owner=project.owner_name or "",
        lead=project.lead_name or "",
        risk_reasons=risk_reasons(project),
        target_launch=project.target_launch_date,
        ai_act_tier=tier,
        ai_act_label=str(AiActTier(tier).label) if tier else "Not assessed",
        last_evaluation=last_evaluation,
    )


CSV_HEADER = [
    "project",
    "team",
    "step",
    "status",
    "readiness %",
    "spend this month (USD)",
    "monthly budget (USD)",
    "quality",
    "quality target",
    "open alerts",
    "days in step",
    "owner",
    "engineering lead",
    "at risk because",
    "target launch",
    "EU AI Act tier",
    "last evaluation",
    "last evaluation result",
    "url",
]


def csv_rows(rows: Iterable[Row], base_url: str) -> Iterable[list[str]]:
    """The table as CSV cells: plain numbers (no currency signs or separators)."""
    yield CSV_HEADER
    for row in rows:
        yield [
            row.name,
            row.team,
            "launched" if row.step == LAUNCHED else str(row.step),
            row.status_label,
            _plain(row.readiness, 1),
            _plain(row.spend, 2),
            _plain(row.budget, 2),
            _plain(row.quality, 3),
            _plain(row.quality_target, 3),
            str(row.open_alerts),
            "" if row.days_in_step is None else str(row.days_in_step),
            row.owner,
            row.lead,
            "; ".join(row.risk_reasons),
            row.target_launch.isoformat() if row.target_launch else "",
            row.ai_act_label,
            row.last_evaluation_date,
            row.last_evaluation_verdict,
            base_url + row.url,
        ]
