"""The portfolio: headline numbers, the funnel, why projects are at risk, its filters
and charts, and the page rendered once until something changes (its exports are in
test_portfolio_exports.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import AssessmentCriterion
from evaluations import services as evaluation_services
from metrics.dashboard import month_cost
from metrics.models import Alert
from metrics.vocabulary import Metric
from portal.portfolio import filters_from
from portal.selectors import (
    Portfolio,
    PortfolioFilters,
    portfolio_projects,
    quarter_start,
)
from projects.models import Framework, ProjectStatus, ProjectStep, StepStatus
from tests.evaluations.conftest import gate_run
from tests.factories import TeamFactory, UserFactory, approve_requirements
from tests.portal import portfolio_helpers
from tests.portal.portfolio_helpers import assess, cost, launch, make

pytestmark = pytest.mark.django_db

# The personas, fixtures shared with test_portfolio_exports.py.
executive, owner = portfolio_helpers.executive, portfolio_helpers.owner


def test_the_quarter_starts_in_january_april_july_and_october():
    assert quarter_start(date(2026, 11, 26)) == date(2026, 10, 1)
    assert quarter_start(date(2026, 3, 31)) == date(2026, 1, 1)


def test_headline_numbers_and_the_funnel(executive, owner):
    make(owner, "Calm")
    make(owner, "Worried", status=ProjectStatus.AT_RISK)
    done = make(owner, "Done")
    launch(done)
    overview = Portfolio(executive).overview()
    assert overview.in_flight == 2
    assert overview.launched_this_quarter == 1
    assert overview.at_risk == 1
    assert {name: n for _, name, n in overview.funnel}["Launched"] == 1
    assert sum(n for _, _, n in overview.funnel) == 3


def test_a_project_is_at_risk_for_an_alert_or_an_overdue_step_and_the_page_says_why(
    client, executive, owner
):
    alerting = make(owner, "Alerting")
    Alert.objects.create(project=alerting, kind=Alert.Kind.LATENCY, message="slow")
    late = make(owner, "Late")
    ProjectStep.objects.filter(project=late, step__number=1).update(
        due_date=timezone.localdate() - timedelta(days=3)
    )
    client.force_login(executive)
    body = client.get("/").content.decode()
    assert Portfolio(executive).overview().at_risk == 2
    assert ">open alert<" in body and ">overdue step<" in body


def test_spend_counts_billed_cost_where_a_provider_reports_it_and_observed_otherwise(
    executive, owner
):
    billed = make(owner, "Billed")
    approve_requirements(billed, owner)
    cost(billed, "openai", Metric.COST_BILLED_USD, 100)
    cost(
        billed, "langfuse", Metric.COST_OBSERVED_USD, 90
    )  # shown for comparison, never added
    observed = make(owner, "Observed")
    cost(observed, "langfuse", Metric.COST_OBSERVED_USD, 40)
    overview = Portfolio(executive).overview()
    assert overview.spend_month_to_date == Decimal(140)
    assert overview.budgets == Decimal(8000)


def test_members_see_only_their_projects_in_the_numbers(owner):
    make(owner, "Mine")
    make(UserFactory(), "Theirs")
    assert Portfolio(owner).overview().in_flight == 1


def _portfolio_with(owner, first, count):
    team = TeamFactory()
    for n in range(first, count):
        project = make(owner, f"Project {n:02}", team=team)
        approve_requirements(project, owner)
        cost(project, "langfuse", Metric.COST_OBSERVED_USD, 10 + n)
        cost(project, "langfuse", Metric.QUALITY_SCORE, "0.9", dimension="helpfulness")
        if n % 3 == 0:
            Alert.objects.create(project=project, kind=Alert.Kind.BUDGET, message="$")
        if n % 4 == 0:
            assess(project, owner, {})
        if n % 2 == 0:
            # An evaluation history: a baseline and a later run, passing or not.
            evaluation_services.plan_save(
                project=project, dataset_name="golden", tolerance=Decimal("0.02")
            )
            baseline = gate_run(
                project, "base", days_ago=3, scores={"helpfulness": "0.9"}
            )
            evaluation_services.baseline_accept(
                project=project, run=baseline, actor=owner, comment="Agreed."
            )
            gate_run(project, "next", scores={"helpfulness": f"0.{80 + n % 20}"})


def test_the_portfolio_query_count_is_the_same_at_5_and_50_projects(
    client, executive, owner
):
    _portfolio_with(owner, 0, 5)
    client.force_login(executive)
    client.get("/")
    cache.clear()  # the weekly charts are cached: measure both pages cold
    with CaptureQueriesContext(connection) as few:
        assert client.get("/").status_code == 200
    _portfolio_with(owner, 5, 50)
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        body = client.get("/").content.decode()
    assert "Project 49" in body  # the first page of 50 rows holds them all
    assert body.count(">passed</span>") + body.count(">failed</span>") == 25
    assert len(_page_queries(many)) == len(_page_queries(few))
    for url in ("/portfolio/report/", "/?sort=-spend&at_risk=1"):
        client.get(url)
        with CaptureQueriesContext(connection) as again:
            client.get(url)
        assert len(_page_queries(again)) <= len(_page_queries(few)) + 5


def _page_queries(captured):
    """The page's own queries: not the sign-in session's activity stamp, written once
    a minute whatever the page (building fifty projects can take longer than that)."""
    return [
        q
        for q in captured.captured_queries
        if "usersessions_usersession" not in q["sql"]
    ]


def test_an_empty_portfolio_has_zeroes_and_no_averages(executive):
    overview = Portfolio(executive).overview()
    assert (overview.projects, overview.in_flight, overview.at_risk) == (0, 0, 0)
    assert overview.spend_month_to_date == 0 and overview.budgets == 0
    assert overview.average_readiness is None and overview.average_quality is None
    assert [n for _, _, n in overview.funnel] == [0] * 8
    assert Portfolio(executive).readiness_heat_map().rows == []
    assert Portfolio(executive).spend_by_team().series == {}
    assert Portfolio(executive).quality_trend().series == {}


def test_the_empty_page_says_so(client, executive):
    client.force_login(executive)
    body = client.get("/").content.decode()
    assert "No projects yet" in body
    assert "No gap assessment yet." in body


def test_average_readiness_and_quality_against_targets(executive, owner):
    today = timezone.localdate()
    keys = list(
        AssessmentCriterion.objects.filter(active=True).values_list("key", flat=True)
    )
    ready = make(owner, "Ready")
    assess(ready, owner, {})  # every criterion at its target: 100
    half = make(owner, "Half")
    # Every criterion halfway to a target of 4: 50 in every area, so 50 overall.
    assess(half, owner, dict.fromkeys(keys, (2, 4)))
    make(owner, "Unassessed")
    good = make(owner, "Good")
    approve_requirements(good, owner)  # helpfulness, target 0.85
    poor = make(owner, "Poor")
    approve_requirements(poor, owner, quality_score_target="0.95")
    for day_back, value in ((1, "0.9"), (2, "0.8")):
        day = today - timedelta(days=day_back)
        cost(good, "langfuse", Metric.QUALITY_SCORE, value, day, "helpfulness")
        cost(poor, "langfuse", Metric.QUALITY_SCORE, "0.9", day, "helpfulness")
        # Another score than the approved one never counts.
        cost(poor, "langfuse", Metric.QUALITY_SCORE, "0.1", day, "tone")
    overview = Portfolio(executive, today=today).overview()
    assert overview.assessed == 2
    assert overview.average_readiness == pytest.approx(75.0)
    # Good: mean 0.85 meets 0.85; Poor: 0.9 misses 0.95.
    assert overview.quality_measured == 2 and overview.quality_met == 1
    assert overview.average_quality == pytest.approx(0.875)
    assert overview.average_quality_target == pytest.approx(0.9)
    rows = {p.name: p for p in portfolio_projects(executive, today=today)}
    assert float(rows["Half"].readiness) == 50.0
    assert rows["Unassessed"].readiness is None
    assert float(rows["Poor"].quality) == pytest.approx(0.9)


def test_spend_this_month_ignores_last_month_and_is_summed_per_project(
    executive, owner
):
    today = timezone.localdate()
    project = make(owner, "Spender")
    approve_requirements(project, owner, monthly_budget_usd="100")
    cost(project, "langfuse", Metric.COST_OBSERVED_USD, 70, today)
    cost(
        project,
        "langfuse",
        Metric.COST_OBSERVED_USD,
        500,
        today.replace(day=1) - timedelta(days=1),
    )
    row = portfolio_projects(executive, today=today).get()
    assert row.spend_month_to_date == Decimal(70) and row.budget == Decimal(100)
    overview = Portfolio(executive, today=today).overview()
    assert overview.spend_month_to_date == Decimal(70)
    # The dashboard's forecast (domain.md: "Budget forecast"), to the cent.
    forecast = month_cost(project, today).forecast
    assert forecast is not None
    assert overview.spend_forecast == forecast.quantize(Decimal("0.01"))


def test_the_heat_map_shows_each_areas_readiness_of_the_latest_assessment(
    executive, owner
):
    project = make(owner, "Mapped")
    security = AssessmentCriterion.objects.filter(active=True, area="security")
    first, *others = security
    assess(project, owner, {first.key: (0, 4)})  # an older assessment never counts
    assess(project, owner, {first.key: (1, 4), **{c.key: (4, 4) for c in others}})
    heat = Portfolio(executive).readiness_heat_map()
    ((row_project, values),) = heat.rows
    assert row_project["name"] == project.name
    by_area = dict(zip(heat.areas, values, strict=True))
    n = security.count()
    assert by_area[first.area_name] == round(100 * (0.25 + (n - 1)) / n, 1)
    assert all(v == 100.0 for area, v in by_area.items() if area != first.area_name)


def test_the_heat_map_leaves_out_criteria_not_assessed_yet(executive, owner):
    project = make(owner, "Partly assessed")
    security = AssessmentCriterion.objects.filter(active=True, area="security")
    first, *others = security
    assess(project, owner, {first.key: (None, 4), **{c.key: (1, 4) for c in others}})
    ((_, values),) = Portfolio(executive).readiness_heat_map().rows
    heat = Portfolio(executive).readiness_heat_map()
    by_area = dict(zip(heat.areas, values, strict=True))
    # The average of the assessed ones only, not a not-assessed one counted as ready.
    assert by_area[first.area_name] == 25.0


def test_spend_by_team_and_the_quality_trend_are_weekly(executive, owner):
    today = timezone.localdate()
    claims = TeamFactory(name="Claims")
    first = make(owner, "First", team=claims)
    second = make(owner, "Second", team=claims)
    approve_requirements(first, owner)
    cost(first, "langfuse", Metric.COST_OBSERVED_USD, 10, today)
    cost(second, "openai", Metric.COST_BILLED_USD, 5, today)
    cost(second, "langfuse", Metric.COST_OBSERVED_USD, 99, today)  # billed wins
    cost(first, "langfuse", Metric.QUALITY_SCORE, "0.8", today, "helpfulness")
    spend = Portfolio(executive, today=today).spend_by_team()
    assert spend.weeks[-1] == today - timedelta(days=today.weekday())
    assert spend.series["Claims"][-1] == Decimal(15)
    assert spend.series["Claims"][:-1] == [None] * 11
    assert Portfolio(executive, today=today).quality_trend().series["Quality score"][
        -1
    ] == Decimal("0.8")


def test_the_trends_follow_a_project_to_another_team_and_skip_other_edits(
    executive, owner
):
    today = timezone.localdate()
    claims, sales = TeamFactory(name="Claims"), TeamFactory(name="Sales")
    project = make(owner, "First", team=claims)
    cost(project, "langfuse", Metric.COST_OBSERVED_USD, 10, today)
    assert Portfolio(executive, today=today).spend_by_team().series == {
        "Claims": [None] * 11 + [Decimal(10)]
    }

    project.summary = "Reworded"
    project.save()
    with CaptureQueriesContext(connection) as queries:
        Portfolio(executive, today=today).spend_by_team()
    assert not any("metrics_dailyrollup" in q["sql"] for q in queries)

    project.team = sales
    project.save()
    assert Portfolio(executive, today=today).spend_by_team().series == {
        "Sales": [None] * 11 + [Decimal(10)]
    }


def test_upcoming_launches_and_stalled_projects(executive, owner):
    today = timezone.localdate()
    make(owner, "Soon", target_launch_date=today + timedelta(days=10))
    make(owner, "Later", target_launch_date=today + timedelta(days=200))
    done = make(owner, "Done", target_launch_date=today + timedelta(days=5))
    launch(done)
    quiet = make(owner, "Quiet")
    ProjectStep.objects.filter(project=quiet, step__number=1).update(
        status=StepStatus.IN_PROGRESS,
        started_at=timezone.now() - timedelta(days=40),
        last_activity_at=timezone.now() - timedelta(days=30),
    )
    assert [
        p["name"] for p in Portfolio(executive, today=today).upcoming_launches()
    ] == ["Soon"]
    assert [
        p["name"] for p in Portfolio(executive, today=today).stalled_projects()
    ] == ["Quiet"]
    row = portfolio_projects(executive).get(pk=quiet.pk)
    from portal.selectors import days_in_step

    assert days_in_step(row, today) == 40


def test_filters_narrow_every_part_of_the_portfolio(executive, owner):
    claims, sales = TeamFactory(name="Claims"), TeamFactory(name="Sales")
    hipaa = Framework.objects.first()
    a = make(owner, "A", team=claims, status=ProjectStatus.BLOCKED)
    a.frameworks.add(hipaa)
    make(owner, "B", team=sales)
    c = make(owner, "C", team=claims)
    launch(c)

    def names(**filters):
        return sorted(
            p.name for p in portfolio_projects(executive, PortfolioFilters(**filters))
        )

    assert names(team=claims.slug) == ["A", "C"]
    assert names(framework=hipaa.code) == ["A"]
    assert names(status="blocked") == ["A"]
    assert names(status="launched") == ["C"]
    assert names(step=1) == ["A", "B"]
    assert names(at_risk=True) == ["A"]
    assert names(team=sales.slug, at_risk=True) == []
    assert (
        Portfolio(executive, PortfolioFilters(team=claims.slug)).overview().projects
        == 2
    )


def test_filters_from_the_url_ignore_values_that_mean_nothing():
    from django.http import QueryDict

    filters = filters_from(
        QueryDict("step=9&status=nonsense&sort=password&at_risk=yes")
    )
    assert filters == PortfolioFilters()
    filters = filters_from(QueryDict("step=3&status=launched&sort=-spend&at_risk=1"))
    assert (filters.step, filters.status, filters.sort, filters.at_risk) == (
        3,
        "launched",
        "-spend",
        True,
    )


def test_sorting_by_spend_puts_projects_without_cost_last(executive, owner):
    cheap, dear = make(owner, "Cheap"), make(owner, "Dear")
    make(owner, "Silent")
    cost(cheap, "langfuse", Metric.COST_OBSERVED_USD, 1)
    cost(dear, "langfuse", Metric.COST_OBSERVED_USD, 9)
    order = [
        p.name for p in portfolio_projects(executive, PortfolioFilters(sort="-spend"))
    ]
    assert order == ["Dear", "Cheap", "Silent"]
    order = [
        p.name for p in portfolio_projects(executive, PortfolioFilters(sort="spend"))
    ]
    assert order == ["Cheap", "Dear", "Silent"]


def test_the_page_filters_in_the_url_and_htmx_swaps_the_body_or_the_table(
    client, executive, owner
):
    claims = TeamFactory(name="Claims")
    make(owner, "In claims", team=claims)
    make(owner, "Elsewhere")
    client.force_login(executive)
    body = client.get(f"/?team={claims.slug}").content.decode()
    assert "In claims" in body and "Elsewhere" not in body
    assert f'href="/portfolio.csv?team={claims.slug}"' in body
    response = client.get(
        f"/?team={claims.slug}", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="portfolio-body"
    )
    assert response["HX-Push-Url"] == f"/?team={claims.slug}"
    assert 'id="portfolio-body"' in response.content.decode()
    assert "<html" not in response.content.decode()
    response = client.get(
        "/?sort=-name", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="portfolio-table"
    )
    table = response.content.decode()
    assert table.lstrip().startswith('<section id="portfolio-table"')
    assert table.index("In claims") < table.index("Elsewhere")  # Z to A
    assert 'aria-sort="descending"' in table


def test_the_weekly_charts_are_cached_until_the_rollups_change(
    executive, owner, django_capture_on_commit_callbacks, django_assert_num_queries
):
    today = timezone.localdate()
    project = make(owner, "Spender")
    with django_capture_on_commit_callbacks(execute=True):
        cost(project, "langfuse", Metric.COST_OBSERVED_USD, 10, today)
    portfolio = Portfolio(executive, today=today)
    assert portfolio.spend_by_team().series[project.team.name][-1] == Decimal(10)
    with django_assert_num_queries(0):  # the ids are known, the series cached
        assert portfolio.spend_by_team().series[project.team.name][-1] == Decimal(10)
    with django_capture_on_commit_callbacks(execute=True):
        cost(project, "langfuse", Metric.COST_OBSERVED_USD, 25, today)
    fresh = Portfolio(executive, today=today).spend_by_team()
    assert fresh.series[project.team.name][-1] == Decimal(25)


def test_table_rows_escape_what_people_typed(client, executive, owner):
    make(owner, "<script>alert(1)</script> & Co", status=ProjectStatus.BLOCKED)
    client.force_login(executive)
    body = client.get("/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in body
    assert "<script>alert(1)" not in body
    assert '<span class="flag flag-amber">owner says blocked</span>' in body


def _project_reads(queries):
    return [q for q in queries.captured_queries if "projects_project" in q["sql"]]


def test_the_portfolio_is_rendered_once_until_its_projects_or_metrics_change(
    client, executive, owner
):
    today = timezone.localdate()
    project = make(owner, "Spender")
    client.force_login(executive)
    client.get("/")
    with CaptureQueriesContext(connection) as again:
        body = client.get("/").content.decode()
    assert _project_reads(again) == []  # the body is the one rendered for the first
    assert "Spender" in body and ">open alert<" not in body

    Alert.objects.create(project=project, kind=Alert.Kind.LATENCY, message="slow")
    with CaptureQueriesContext(connection) as changed:
        body = client.get("/").content.decode()
    assert _project_reads(changed)
    assert ">open alert<" in body

    cost(project, "langfuse", Metric.COST_OBSERVED_USD, 1234, today)
    assert "$1,234" in client.get("/").content.decode()

    project.name = "Big Spender"
    project.save()
    table = client.get(
        "/?sort=name", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="portfolio-table"
    ).content.decode()
    assert "Big Spender" in table and "<html" not in table


def test_members_and_executives_never_share_a_rendered_portfolio(
    client, executive, owner
):
    make(owner, "Mine")
    make(UserFactory(), "Someone else's")
    client.force_login(executive)
    assert "Someone else&#x27;s" in client.get("/").content.decode()
    client.force_login(owner)
    body = client.get("/").content.decode()
    assert "Mine" in body and "Someone else" not in body
