"""The dashboard as data: the chart table and the tiles, over figures built in memory
(no database), as the page shows them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from django.template.loader import render_to_string

from assessments.selectors import Targets
from metrics.dashboard import DashboardData, MonthCost, Series
from metrics.dashboard_charts import CHARTS, Chart, dashboard_charts
from metrics.dashboard_tiles import cost_tile, latency_tile, quality_tile
from metrics.figures import Counted, Family, Source, provides
from metrics.health import days_in_month
from metrics.vocabulary import Metric
from projects.models import Project
from tests.html import page, table_headers, table_rows, text

TODAY = date(2026, 3, 10)
DAYS = [TODAY - timedelta(days=n) for n in range(3, -1, -1)]  # the 7th to today
PUSH = Source(1, "push", "Push API", provides("push", None))

TARGETS = Targets(
    version=1,
    approved_at=None,
    p95_latency_ms=2500,
    error_rate_pct=Decimal("1.0"),
    uptime_pct=None,
    quality_score_name="helpfulness",
    quality_score_target=Decimal("0.850"),
    monthly_budget_usd=Decimal(3100),
    requests_per_day=None,
)

# One value a day (and per model or score name) for each metric, none for today.
EVERY_METRIC = {
    Metric.COST_OBSERVED_USD: {"": Decimal(90)},
    Metric.LATENCY_P95_MS: {"": Decimal(2000)},
    Metric.ERRORS: {"": Decimal(5)},
    Metric.REQUESTS: {"": Decimal(1000)},
    Metric.QUALITY_SCORE: {"helpfulness": Decimal("0.9")},
    Metric.INPUT_TOKENS: {"gpt-4o": Decimal(7000)},
    Metric.OUTPUT_TOKENS: {"gpt-4o": Decimal(3000)},
    Metric.FEEDBACK_POSITIVE: {"": Decimal(12)},
    Metric.FEEDBACK_NEGATIVE: {"": Decimal(2)},
    Metric.PIPELINE_FAILURES: {"": Decimal(1)},
}


def dashboard(
    figures: dict[Metric, dict[str, Decimal]], targets: Targets | None = TARGETS
) -> DashboardData:
    """The push source's figures on every complete day of DAYS."""
    counted = Counted(Metric.REQUESTS, Family.OBSERVED, (PUSH,), "push counts")
    series = {
        metric: Series(
            metric,
            replace(counted, metric=metric),
            {day: dict(values) for day in DAYS[:-1]},
        )
        for metric, values in figures.items()
    }
    reported = {
        (metric, PUSH.pk): {day: dict(values) for day in DAYS[:-1]}
        for metric, values in figures.items()
    }
    return DashboardData(
        Project(name="Claims"),
        DAYS[0],
        DAYS[-1],
        DAYS,
        series,
        targets,
        {PUSH.pk: PUSH},
        reported,
        TODAY,
    )


def by_key(charts: list[Chart]) -> dict[str, Chart]:
    return {chart.key: chart for chart in charts}


def trace(chart: Chart, name: str) -> dict:
    return next(t for t in chart.figure["data"] if t["name"] == name)


def test_the_spec_table_gives_one_chart_per_spec_in_its_order():
    charts = dashboard_charts(dashboard(EVERY_METRIC))
    assert [c.key for c in charts] == [spec.key for spec in CHARTS]
    assert [c.title for c in charts] == [
        "Daily cost (observed)",
        "Latency p95",
        "Error rate",
        "Quality score",
        "Tokens by model",
        "Requests",
        "User feedback",
        "Pipeline failures",
    ]
    reversed_specs = tuple(reversed(CHARTS))
    assert [
        c.key for c in dashboard_charts(dashboard(EVERY_METRIC), reversed_specs)
    ] == [spec.key for spec in reversed_specs]


def test_a_chart_is_left_out_when_its_metric_has_no_data_in_the_range():
    figures = {
        m: v
        for m, v in EVERY_METRIC.items()
        if m not in (Metric.PIPELINE_FAILURES, Metric.INPUT_TOKENS)
    }
    keys = [c.key for c in dashboard_charts(dashboard(figures))]
    assert keys == ["cost", "latency", "errors", "quality", "requests", "feedback"]


def test_a_chart_without_values_says_so_in_its_text_alternative_and_table():
    # Errors but no requests: no rate can be worked out on any day.
    errors = by_key(dashboard_charts(dashboard({Metric.ERRORS: {"": Decimal(5)}})))[
        "errors"
    ]
    assert errors.summary == (
        "Error rate, 2026-03-07 to 2026-03-10: no data; target 1.00 %; "
        "2026-03-10 is today and still incomplete."
    )
    assert [row.cells for row in errors.rows] == [("—",)] * len(DAYS)


def test_the_text_alternative_gives_the_range_lowest_highest_and_target():
    latency = by_key(dashboard_charts(dashboard(EVERY_METRIC)))["latency"]
    assert latency.summary == (
        "Latency p95, 2026-03-07 to 2026-03-10: from 2,000 to 2,000 ms; "
        "target 2,500 ms; 2026-03-10 is today and still incomplete."
    )
    assert latency.columns == ["p95"]
    assert latency.source == "Push API"
    assert [(row.day, row.complete, row.cells) for row in latency.rows] == [
        (date(2026, 3, 7), True, ("2,000",)),
        (date(2026, 3, 8), True, ("2,000",)),
        (date(2026, 3, 9), True, ("2,000",)),
        (date(2026, 3, 10), False, ("—",)),
    ]


def test_target_lines_come_from_the_approved_requirements():
    charts = by_key(dashboard_charts(dashboard(EVERY_METRIC)))
    per_day = float(Decimal(3100) / days_in_month(TODAY))
    assert trace(charts["cost"], "Budget per day")["y"] == [per_day] * len(DAYS)
    assert trace(charts["latency"], "Target")["y"][0] == 2500.0
    assert trace(charts["errors"], "Target")["y"][0] == 1.0
    assert trace(charts["quality"], "Target")["y"][0] == 0.85
    # Nothing to compare tokens, requests, feedback or failures with.
    for key in ("tokens", "requests", "feedback", "pipelines"):
        assert "Target" not in [t["name"] for t in charts[key].figure["data"]]


def test_without_approved_requirements_no_chart_has_a_target_line():
    charts = dashboard_charts(dashboard(EVERY_METRIC, targets=None))
    names = {t["name"] for chart in charts for t in chart.figure["data"]}
    assert not names & {"Target", "Budget per day"}
    assert all("target" not in chart.summary for chart in charts)


def test_a_target_of_zero_draws_no_line():
    targets = replace(TARGETS, p95_latency_ms=0, monthly_budget_usd=Decimal(0))
    charts = by_key(dashboard_charts(dashboard(EVERY_METRIC, targets)))
    assert [t["name"] for t in charts["latency"].figure["data"]] == ["p95"]
    assert [t["name"] for t in charts["cost"].figure["data"]] == ["Cost"]


def test_tokens_show_one_bar_per_model_and_direction():
    tokens = by_key(dashboard_charts(dashboard(EVERY_METRIC)))["tokens"]
    assert tokens.columns == ["gpt-4o (in)", "gpt-4o (out)"]
    assert tokens.rows[0].cells == ("7,000", "3,000")


def test_tiles_compare_with_the_approved_targets_in_words():
    data = dashboard({**EVERY_METRIC, Metric.LATENCY_P95_MS: {"": Decimal(2600)}})
    latency = latency_tile(data)
    assert (latency.value, latency.state.word) == ("2,600 ms", "at risk")
    assert latency.target == "2026-03-09 · target ≤ 2,500 ms"
    quality = quality_tile(data)
    assert quality.label == "Quality (helpfulness, latest day)"
    assert (quality.value, quality.state.word) == ("0.900", "on target")


def test_the_cost_tile_says_when_there_is_no_budget():
    data = dashboard(EVERY_METRIC, targets=None)
    month = MonthCost(
        data.series[Metric.COST_OBSERVED_USD], Decimal(810), Decimal(2790), TODAY
    )
    tile = cost_tile(data, month)
    assert tile.label == "Cost this month (observed)"
    assert (tile.value, tile.target, tile.state.word) == (
        "$810.00",
        "forecast $2,790.00",
        "no budget",
    )
    with_budget = cost_tile(dashboard(EVERY_METRIC), month)
    assert with_budget.target == "forecast $2,790.00 of $3,100.00"
    assert with_budget.state.word == "on target"


def test_a_chart_card_shows_its_data_as_a_table_with_a_column_per_line():
    tokens = by_key(dashboard_charts(dashboard(EVERY_METRIC)))["tokens"]
    card = page(
        render_to_string(
            "metrics/_dashboard_metrics.html#dashboard-chart",
            {
                "chart": tokens,
                "project": Project(name="Claims", slug="claims"),
                "start": DAYS[0],
                "end": DAYS[-1],
            },
        )
    )
    assert text(card.find("h2")) == "Tokens by model"
    assert card.find(role="img")["aria-label"] == tokens.summary
    table = card.find("table")
    assert table_headers(table) == ["Day", "gpt-4o (in)", "gpt-4o (out)"]
    assert table_rows(table) == [
        ["2026-03-07", "7,000", "3,000"],
        ["2026-03-08", "7,000", "3,000"],
        ["2026-03-09", "7,000", "3,000"],
        ["2026-03-10 (today, incomplete)", "—", "—"],
    ]
