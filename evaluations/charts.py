"""The Evaluations tab's figures as data: one chart per metric of the tracked set's runs
(with the approved target and the baseline as dashed lines, a text alternative and the
data as a table), the rows of the runs and load-test tables, and a metric-by-metric
comparison of two runs. Runs come in with their scores prefetched: nothing here
queries the database. The markup is in templates/evaluations/."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from assessments.selectors import Targets
from evaluations.models import EvaluationRun
from evaluations.selectors import scores_of
from evaluations.verdicts import (
    LoadTestFacts,
    load_test_shortfalls,
    pass_rate,
    plain,
    regressions,
    score,
)
from metrics import charts

BASELINE_COLOUR = "#0f766e"
UNIT = "score (0–1)"


def when(moment: datetime) -> str:
    """A run's time as tables write it: ISO date and local time."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def signed(change: Decimal) -> str:
    """A change of score with its sign: +0.03, -0.05, 0.00."""
    return ("+" if change > 0 else "") + score(change)


def metric_order(metrics: Collection[str], quality_metric: str) -> list[str]:
    """The approved quality score first, then the others by name."""
    return sorted(metrics, key=lambda m: (m != quality_metric, m))


# --- Runs over time, one chart per metric ------------------------------------------------


@dataclass(frozen=True)
class ChartRow:
    heading: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class ScoreChart:
    # Names the chart's element ids ("chart-<key>").
    key: str
    title: str
    figure: dict[str, Any]
    summary: str
    columns: list[str]
    rows: list[ChartRow]


def score_charts(
    runs: Sequence[EvaluationRun],
    *,
    dataset: str,
    quality_metric: str,
    target: Decimal | None,
    baseline: EvaluationRun | None,
) -> list[ScoreChart]:
    """A chart per metric the runs (oldest first) scored, the approved quality score
    first: its runs as points, the target (quality score only) and the baseline's
    value as dashed lines."""
    scored = [(run, scores_of(run)) for run in runs]
    base = scores_of(baseline) if baseline is not None else {}
    metrics = metric_order({m for _, s in scored for m in s}, quality_metric)
    return [
        _chart(
            n,
            metric,
            [(run, s[metric]) for run, s in scored if metric in s],
            dataset=dataset,
            target=target if metric == quality_metric else None,
            baseline=baseline if metric in base else None,
            baseline_value=base.get(metric),
        )
        for n, metric in enumerate(metrics)
    ]


def _chart(
    n: int,
    metric: str,
    points: list[tuple[EvaluationRun, Decimal]],
    *,
    dataset: str,
    target: Decimal | None,
    baseline: EvaluationRun | None,
    baseline_value: Decimal | None,
) -> ScoreChart:
    moments = [timezone.localtime(run.ran_at) for run, _ in points]
    values: list[Decimal | None] = [value for _, value in points]
    figure = charts.line_chart(moments, {metric: values}, unit=UNIT, target=target)
    # Runs come at any hour, often several a day: plotly.js picks the ticks' format.
    figure["layout"]["xaxis"].pop("tickformat", None)
    figure["data"][0]["text"] = [str(run) for run, _ in points]
    figure["data"][0]["hovertemplate"] = "%{text}: %{y:.3f}<extra></extra>"
    if baseline_value is not None:
        figure["data"].append(
            {
                "line": {"color": BASELINE_COLOUR, "dash": "dot"},
                "mode": "lines",
                "name": "Baseline",
                "x": [m.isoformat() for m in moments],
                "y": [float(baseline_value)] * len(moments),
                "type": "scatter",
            }
        )
    # The dashed lines, each a column of the table (the same value on every row).
    lines = {"Target": target, "Baseline": baseline_value}
    constant = [v for v in lines.values() if v is not None]
    columns = ["Score", *(name for name, v in lines.items() if v is not None)]
    rows = [
        ChartRow(
            f"{when(run.ran_at)} · {run}"
            + (" (baseline)" if baseline is not None and run.pk == baseline.pk else ""),
            (score(value), *(score(v) for v in constant)),
        )
        for run, value in points
    ]
    return ScoreChart(
        key=f"score-{n}",
        title=f"{metric} per run",
        figure=figure,
        summary=_summary(metric, dataset, points, target, baseline, baseline_value),
        columns=columns,
        rows=rows,
    )


def _summary(
    metric: str,
    dataset: str,
    points: list[tuple[EvaluationRun, Decimal]],
    target: Decimal | None,
    baseline: EvaluationRun | None,
    baseline_value: Decimal | None,
) -> str:
    """What a screen reader says for the chart."""
    values = [value for _, value in points]
    first, last = points[0][0], points[-1][0]
    text = (
        f"{metric} on “{dataset}”, {len(points)} run{'s' if len(points) != 1 else ''} "
        f"from {when(first.ran_at)[:10]} to {when(last.ran_at)[:10]}: "
        f"from {score(min(values))} to {score(max(values))}, "
        f"latest {score(values[-1])}"
    )
    if target is not None:
        text += f"; target {score(target)}"
    if baseline is not None and baseline_value is not None:
        text += f"; baseline {score(baseline_value)} (“{baseline}”)"
    return text + "."


# --- The tables ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunRow:
    run: EvaluationRun
    # (metric, formatted score), the approved quality score first.
    scores: list[tuple[str, str]]
    is_baseline: bool
    pass_rate: str


def run_rows(
    runs: Sequence[EvaluationRun], *, baselines: Collection[int], quality_metric: str
) -> list[RunRow]:
    rows = []
    for run in runs:
        scores = scores_of(run)
        rate = pass_rate(run.items_passed, run.items_failed)
        rows.append(
            RunRow(
                run,
                [(m, score(scores[m])) for m in metric_order(scores, quality_metric)],
                run.pk in baselines,
                f"{rate * 100:.0f} %" if rate is not None else "",
            )
        )
    return rows


@dataclass(frozen=True)
class LoadTestVerdict:
    # None: there are no approved targets (peak volume, latency, error rate) to judge
    # against, as step 6's load-test check needs all three.
    met: bool | None
    # What was missed, or why it is not judged ("" when met).
    reason: str = ""

    @property
    def word(self) -> str:
        return {True: "Met", False: "Missed", None: "Not judged"}[self.met]


def load_test_verdict(run: EvaluationRun, targets: Targets | None) -> LoadTestVerdict:
    """Whether a load test held the approved peak volume within the latency and
    error-rate targets, as step 6's load-test check judges it."""
    if targets is None or targets.peak_rps is None:
        return LoadTestVerdict(None, "no approved peak volume to judge against")
    if targets.p95_latency_ms is None or targets.error_rate_pct is None:
        return LoadTestVerdict(
            None, "no approved p95 latency and error-rate targets to judge against"
        )
    peak = targets.peak_rps
    if run.achieved_rps is None or run.achieved_rps < peak:
        return LoadTestVerdict(
            False,
            f"below the peak volume of {plain(peak)} requests per second",
        )
    missed = load_test_shortfalls(
        LoadTestFacts(run.achieved_rps, run.p95_latency_ms, run.error_rate_pct),
        p95_latency_ms=targets.p95_latency_ms,
        error_rate_pct=targets.error_rate_pct,
    )
    return LoadTestVerdict(not missed, "; ".join(missed))


def duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min" + (f" {rest} s" if rest else "")


@dataclass(frozen=True)
class LoadTestFigures:
    """A load test's summary, written for people."""

    achieved_rps: str
    target_rps: str
    p95_latency: str
    error_rate: str
    duration: str


def load_test_figures(run: EvaluationRun) -> LoadTestFigures:
    return LoadTestFigures(
        plain(run.achieved_rps),
        plain(run.target_rps),
        plain(run.p95_latency_ms, "ms"),
        plain(run.error_rate_pct, "%"),
        duration(run.duration_seconds),
    )


@dataclass(frozen=True)
class LoadTestRow:
    run: EvaluationRun
    verdict: LoadTestVerdict
    figures: LoadTestFigures


def load_test_rows(
    runs: Sequence[EvaluationRun], targets: Targets | None
) -> list[LoadTestRow]:
    return [
        LoadTestRow(run, load_test_verdict(run, targets), load_test_figures(run))
        for run in runs
    ]


# --- Two runs side by side ------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreChange:
    """One metric of two runs: the earlier (or the baseline) and the other."""

    metric: str
    before: Decimal | None
    after: Decimal | None
    # Fell by more than the tolerance.
    regressed: bool

    @property
    def change(self) -> Decimal | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def before_text(self) -> str:
        return score(self.before) if self.before is not None else "—"

    @property
    def after_text(self) -> str:
        return score(self.after) if self.after is not None else "—"

    @property
    def change_text(self) -> str:
        return signed(self.change) if self.change is not None else "—"

    @property
    def verdict(self) -> str:
        """The change in words: colour never says it alone."""
        change = self.change
        if self.regressed:
            if self.after is None:
                return "Regression: no longer scored"
            return "Regression: fell by more than the tolerance"
        if change is None:
            return "Not compared: only one run scored it"
            return "Regression: fell by more than the tolerance"
        if change < 0:
            return "Lower, within the tolerance"
        return "Higher" if change > 0 else "Unchanged"


def score_changes(
    before: Mapping[str, Decimal],
    after: Mapping[str, Decimal],
    *,
    tolerance: Decimal,
    quality_metric: str = "",
) -> list[ScoreChange]:
    """Every metric either run scored, with the change from ``before`` to ``after``;
    a fall past ``tolerance`` is a regression, as step 6 judges it."""
    fallen = {
        r.metric
        for r in regressions(latest=after, baseline=before, tolerance=tolerance)
    }
    return [
        ScoreChange(metric, before.get(metric), after.get(metric), metric in fallen)
        for metric in metric_order(before.keys() | after.keys(), quality_metric)
    ]
