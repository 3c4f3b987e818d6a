"""The read-only API: the portfolio and one project's summary, for BI tools and scripts.

A personal access token (made on the API tokens page) acts as its owner. It carries no
rights of its own: each request reads only what the owner may see at that moment, so
leaving a project, losing a role or being deactivated takes effect at once. The
operations live on the push API's ``api`` (one OpenAPI schema), registered in
``portal.urls``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle
from pydantic import BaseModel, Field

from assessments.selectors import Targets, approved_targets
from core.numbers import as_float
from evaluations.summary import LastEvaluation, last_evaluation, last_evaluations
from portal import api_selectors, tokens
from portal.models import PersonalAccessToken, User
from portal.selectors import (
    Portfolio,
    PortfolioFilters,
    days_in_step,
)
from projects.access import get_project_for_user
from projects.models import ProjectRole
from projects.progress import LAUNCHED
from projects.risk import risk_reasons
from projects.selectors import member_of_role
from projects.step_selectors import step_summaries

RATE = "120/m"  # per token: generous for a BI refresh paging through the portfolio
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PersonalTokenAuth(HttpBearer):
    def authenticate(
        self, request: HttpRequest, token: str
    ) -> PersonalAccessToken | None:
        return tokens.api_token_authenticate(token)


class PersonalTokenThrottle(SimpleRateThrottle):
    """Requests per token, like the push API (many clients share a NAT)."""

    scope = "read"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        token = getattr(request, "auth", None)
        if not isinstance(token, PersonalAccessToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}


throttle = PersonalTokenThrottle(RATE)
router = Router(tags=["read-only"], auth=PersonalTokenAuth(), throttle=[throttle])


# --- Schemas ---------------------------------------------------------------------


class Message(BaseModel):
    detail: str


Money = Annotated[float | None, Field(description="USD, rounded to the cent")]


class Headline(BaseModel):
    projects: int = Field(description="Visible projects, archived ones aside")
    in_flight: int = Field(description="Visible projects not launched yet")
    launched_this_quarter: int = Field(
        description="Projects whose step 7 was done this calendar quarter"
    )
    at_risk: int = Field(description="Visible projects at risk")
    spend_month_to_date_usd: float = Field(
        description="Spend of all visible projects this month (billed, else observed)"
    )
    spend_forecast_usd: float = Field(
        description="The month's forecast, summed over the projects: each one's cost "
        "so far + the average daily cost of its last 7 days × the days left"
    )
    monthly_budgets_usd: float = Field(
        description="Sum of the approved monthly budgets of the visible projects"
    )
    average_readiness: float | None = Field(
        description="Mean readiness (0-100) of the assessed projects"
    )
    average_quality: float | None = Field(
        description="Mean quality score of the projects with a score and a target"
    )
    average_quality_target: float | None = Field(
        description="Mean quality target of those same projects"
    )
    projects_per_step: dict[str, int] = Field(
        description='Projects whose current step is "1".."7", and "launched"'
    )


class LastEvaluationOut(BaseModel):
    run_id: int = Field(description="The evaluation run's id in Runway")
    ran_at: datetime = Field(description="When the run ran")
    dataset: str = Field(
        description="The evaluation set it ran on: the one the project's evaluation "
        "plan names, else the set of its newest run"
    )
    passed: bool = Field(
        description="It scored the approved quality score at or above its target, "
        "and no metric fell by more than the project's tolerance against the set's "
        "accepted baseline run"
    )


class ProjectRow(BaseModel):
    slug: str
    name: str
    team: str = Field(description="The team (business unit) the project belongs to")
    team_slug: str
    current_step: int | None = Field(
        description="The lowest-numbered step not done (1..7); null once launched"
    )
    current_step_name: str = Field(description='Its short name, or "Launched"')
    launched: bool = Field(description="Step 7 is done")
    status: str = Field(
        description="The owner's status: on_track, at_risk, blocked, paused…"
    )
    status_label: str
    at_risk: bool = Field(
        description="The owner says at risk or blocked, or there is an open alert, an "
        "overdue step, or no activity in the current step lately"
    )
    at_risk_reasons: list[str] = Field(description="Why it is at risk, in words")
    readiness: float | None = Field(
        description="Overall readiness (0-100) of the latest gap assessment; null if "
        "never assessed"
    )
    readiness_assessed_at: datetime | None
    spend_this_month_usd: Money = Field(
        description="Billed cost this month where a provider bills the project, "
        "observed cost otherwise; null when no cost is reported"
    )
    monthly_budget_usd: Money = Field(
        description="The approved requirements' monthly model budget"
    )
    quality: float | None = Field(
        description="Mean daily quality score (0-1) of the last 7 days, for the "
        "score the approved requirements name"
    )
    quality_target: float | None
    quality_score_name: str | None
    open_alerts: int
    days_in_current_step: int | None = Field(
        description="Whole days since the current step started; null once launched "
        "or before it started"
    )
    last_evaluation: LastEvaluationOut | None = Field(
        description="The latest evaluation run on the project's evaluation set; null "
        "before any run"
    )
    owner: str | None = Field(description="The project's owner (its PM)")
    owner_email: str | None
    url: str = Field(description="The project's page in Runway")
    api_url: str = Field(description="This project in the read-only API")
    spend_why_url: str = Field(
        description="Why this month's spend is what it is: each source's own figure, "
        "the rule that counts them, their last syncs (a Runway page)"
    )


class PortfolioOut(BaseModel):
    count: int = Field(description="Projects matching the query, on all pages")
    limit: int
    offset: int
    next: str | None = Field(description="The next page, or null on the last one")
    previous: str | None
    headline: Headline = Field(
        description="Headline numbers over every visible project (filters aside)"
    )
    items: list[ProjectRow]


class PortfolioQuery(BaseModel):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Page size")
    # Bounded well below what a database OFFSET takes: a larger one is a 422, not a 500.
    offset: int = Field(0, ge=0, le=10**9, description="Projects to skip")
    at_risk: bool = Field(False, description="Only projects at risk")
    team: str = Field("", max_length=120, description="Only this team's (its slug)")


class StepOut(BaseModel):
    number: int
    name: str
    status: str = Field(description="not_started, in_progress, blocked or done")
    status_label: str
    owner: str | None
    due_date: date | None
    overdue: bool
    is_current: bool
    checklist_done: int = Field(description="Applicable checklist items not open")
    checklist_total: int = Field(description="Applicable checklist items")


class ReadinessOut(BaseModel):
    score: float = Field(description="Overall readiness, 0-100")
    assessed_at: datetime
    by_area: dict[str, float] = Field(description="Readiness per gap area, 0-100")
    open_gaps: int = Field(description="Criteria below their target level")


class TargetsOut(BaseModel):
    requirements_version: int
    p95_latency_ms: int | None
    error_rate_pct: float | None
    uptime_pct: float | None
    quality_score_name: str
    quality_score_target: float | None
    monthly_budget_usd: float | None
    requests_per_day: int | None


class SourceValueOut(BaseModel):
    name: str
    family: str = Field(
        description="billed (a provider's own report; providers add up) or observed "
        "(an observability source; one counts)"
    )
    counts: bool = Field(description="Whether this source's value is in the figure")
    value: float | None = Field(description="The source's own value; null: no data")
    last_synced_at: datetime | None


class WhyOut(BaseModel):
    complete: bool = Field(description="False for today, which is still filling up")
    family: str
    rule: str = Field(description="Which sources count, and why")
    sources: list[SourceValueOut]


class MetricOut(BaseModel):
    metric: str = Field(description="e.g. requests, latency_p95_ms, cost_billed_usd")
    label: str
    unit: str
    dimension: str = Field(description='The score\'s name for quality; "" otherwise')
    source: str = Field(description="The connected service that counts for it")
    day: date = Field(description="The newest day with data in the last two weeks")
    value: float = Field(
        description="That day's total for counts and money; the reported value for "
        "percentiles and scores"
    )
    why: WhyOut = Field(description="Why this number: every source's own value")


class AlertOut(BaseModel):
    kind: str
    kind_label: str
    message: str
    opened_at: datetime
    acknowledged: bool


class ProjectOut(ProjectRow):
    summary: str
    use_case: str
    target_launch_date: date | None
    engineering_lead: str | None
    operating_owner: str | None
    targets: TargetsOut | None = Field(
        description="From the approved requirements; null before approval"
    )
    steps: list[StepOut]
    readiness_by_area: ReadinessOut | None
    latest_metrics: list[MetricOut]
    alerts: list[AlertOut] = Field(description="Open alerts, newest first")


# --- Operations ------------------------------------------------------------------


@router.get(
    "/portfolio",
    response={200: PortfolioOut, 401: Message, 429: Message},
    url_name="portfolio",
    summary="The portfolio",
)
def portfolio(request: HttpRequest, query: Query[PortfolioQuery]) -> PortfolioOut:
    """The projects the token's owner may see now, by name, a page at a time, with
    their step, status, risk, readiness, spend against budget, quality against target
    and open alerts; plus the headline numbers. Archived projects are not listed."""
    user = _owner(request)
    today = timezone.localdate()
    filters = PortfolioFilters(team=query.team, at_risk=query.at_risk, sort="name")
    projects = api_selectors.api_portfolio_projects(user, filters, today)
    count = projects.count()
    page = list(projects[query.offset : query.offset + query.limit])
    evaluations = last_evaluations(p.pk for p in page)
    overview = Portfolio(user, today=today).overview()
    names = {number: name for number, name, _ in overview.funnel}
    return PortfolioOut(
        count=count,
        limit=query.limit,
        offset=query.offset,
        next=_page_url(request, query, query.offset + query.limit)
        if query.offset + query.limit < count
        else None,
        previous=_page_url(request, query, max(query.offset - query.limit, 0))
        if query.offset
        else None,
        headline=Headline(
            projects=overview.projects,
            in_flight=overview.in_flight,
            launched_this_quarter=overview.launched_this_quarter,
            at_risk=overview.at_risk,
            spend_month_to_date_usd=float(_cents(overview.spend_month_to_date) or 0),
            spend_forecast_usd=float(_cents(overview.spend_forecast) or 0),
            monthly_budgets_usd=float(_cents(overview.budgets) or 0),
            average_readiness=overview.average_readiness,
            average_quality=overview.average_quality,
            average_quality_target=overview.average_quality_target,
            projects_per_step={
                "launched" if n == LAUNCHED else str(n): projects_there
                for n, _, projects_there in overview.funnel
            },
        ),
        items=[_row(request, p, names, today, evaluations.get(p.pk)) for p in page],
    )


@router.get(
    "/projects/{slug}",
    response={200: ProjectOut, 401: Message, 404: Message, 429: Message},
    url_name="project",
    summary="One project",
)
def project(request: HttpRequest, slug: str) -> ProjectOut:
    """One project the token's owner may see now: its summary (as in the portfolio),
    the seven steps with checklist progress, the latest readiness per area, the approved
    targets, each metric's latest daily value and the open alerts. 404 when there is no
    such project or the owner may not see it, alike; archived projects are 404 too."""
    user = _owner(request)
    today = timezone.localdate()
    found = get_project_for_user(user, slug)  # 404 for outsiders, logged
    row = (
        api_selectors.api_portfolio_projects(user, today=today)
        .select_related("operating_owner")
        .filter(pk=found.pk)
        .first()
    )
    if row is None:
        raise Http404("No such project.")
    steps = step_summaries(row)
    names = {s.number: s.short_name for s in steps}
    readiness = api_selectors.latest_readiness(row)
    targets = approved_targets(row)
    return ProjectOut(
        **_row(request, row, names, today, last_evaluation(row)).model_dump(),
        summary=row.summary,
        use_case=row.use_case,
        target_launch_date=row.target_launch_date,
        engineering_lead=_name(member_of_role(row, ProjectRole.LEAD)),
        operating_owner=row.operating_owner.display_name
        if row.operating_owner
        else None,
        targets=_targets(targets) if targets else None,
        steps=[
            StepOut(
                number=s.number,
                name=s.name,
                status=s.status,
                status_label=s.status_label,
                owner=s.owner,
                due_date=s.due_date,
                overdue=s.overdue,
                is_current=s.is_current,
                checklist_done=s.done,
                checklist_total=s.applicable,
            )
            for s in steps
        ],
        readiness_by_area=ReadinessOut(
            score=readiness.score,
            assessed_at=readiness.assessed_at,
            by_area=readiness.by_area,
            open_gaps=readiness.open_gaps,
        )
        if readiness
        else None,
        latest_metrics=[
            MetricOut(
                metric=m.metric,
                label=m.label,
                unit=m.unit,
                dimension=m.dimension,
                source=m.source,
                day=m.day,
                value=float(m.value),
                why=WhyOut(
                    complete=m.complete,
                    family=m.family,
                    rule=m.rule,
                    sources=[
                        SourceValueOut(
                            name=v.name,
                            family=v.family,
                            counts=v.counts,
                            value=as_float(v.value),
                            last_synced_at=v.last_synced_at,
                        )
                        for v in m.sources
                    ],
                ),
            )
            for m in api_selectors.latest_metrics(row, today)
        ],
        alerts=[
            AlertOut(
                kind=a.kind,
                kind_label=a.get_kind_display(),
                message=a.message,
                opened_at=a.opened_at,
                acknowledged=a.acknowledged_at is not None,
            )
            for a in api_selectors.open_alerts_of(row)
        ],
    )


# --- Helpers ---------------------------------------------------------------------


def _owner(request: HttpRequest) -> User:
    token: PersonalAccessToken = request.auth  # type: ignore[attr-defined]
    return token.user


def _cents(value: Decimal | None) -> Decimal | None:
    return (
        None
        if value is None
        else value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    )


def _name(user: User | None) -> str | None:
    return user.display_name if user else None


def _row(
    request: HttpRequest,
    project: Any,
    step_names: dict[int, str],
    today: date,
    last: LastEvaluation | None,
) -> ProjectRow:
    current = getattr(project, "current_step", 1)
    # From the memberships the portfolio selector prefetched: no query per project.
    owner = member_of_role(project, ProjectRole.OWNER)
    reasons = risk_reasons(project)
    return ProjectRow(
        slug=project.slug,
        name=project.name,
        team=project.team.name,
        team_slug=project.team.slug,
        current_step=None if current == LAUNCHED else current,
        current_step_name="Launched"
        if current == LAUNCHED
        else step_names.get(current, str(current)),
        launched=current == LAUNCHED,
        status=project.status,
        status_label=project.get_status_display(),
        at_risk=bool(reasons),
        at_risk_reasons=reasons,
        readiness=as_float(project.readiness),
        readiness_assessed_at=project.readiness_assessed_at,
        spend_this_month_usd=as_float(_cents(project.spend_month_to_date)),
        monthly_budget_usd=as_float(_cents(project.budget)),
        quality=as_float(project.quality),
        quality_target=as_float(project.quality_target),
        quality_score_name=project.quality_name or None,
        open_alerts=project.open_alerts,
        days_in_current_step=days_in_step(project, today),
        last_evaluation=LastEvaluationOut(
            run_id=last.run_id,
            ran_at=last.ran_at,
            dataset=last.dataset,
            passed=last.passed,
        )
        if last is not None
        else None,
        owner=_name(owner),
        owner_email=owner.email if owner else None,
        url=request.build_absolute_uri(
            reverse("projects:detail", kwargs={"slug": project.slug})
        ),
        api_url=request.build_absolute_uri(
            reverse("api:project", kwargs={"slug": project.slug})
        ),
        spend_why_url=request.build_absolute_uri(
            reverse("metrics:why", kwargs={"slug": project.slug})
            + "?figure=cost&range=month"
        ),
    )


def _targets(targets: Targets) -> TargetsOut:
    return TargetsOut(
        requirements_version=targets.version,
        p95_latency_ms=targets.p95_latency_ms,
        error_rate_pct=as_float(targets.error_rate_pct),
        uptime_pct=as_float(targets.uptime_pct),
        quality_score_name=targets.quality_score_name,
        quality_score_target=as_float(targets.quality_score_target),
        monthly_budget_usd=as_float(targets.monthly_budget_usd),
        requests_per_day=targets.requests_per_day,
    )


def _page_url(request: HttpRequest, query: PortfolioQuery, offset: int) -> str:
    params: dict[str, Any] = {"limit": query.limit, "offset": offset}
    if query.at_risk:
        params["at_risk"] = "true"
    if query.team:
        params["team"] = query.team
    return request.build_absolute_uri(f"{reverse('api:portfolio')}?{urlencode(params)}")
