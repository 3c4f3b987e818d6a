"""Plotly figures for the portfolio, as plain dicts: building ``go.Figure`` objects
validates every property and costs more than the page's queries, so the figures are
written out directly (plain data in, dicts out, no ORM).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from portal.selectors import Overview
from portal.trends import WeeklySeries

PRIMARY, TARGET = "#1d4ed8", "#6b7280"
# Colour-blind-safe categorical palette (Okabe–Ito, without yellow, which fails contrast).
PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000"]
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12}


def _layout(**extra: Any) -> dict[str, Any]:
    return {
        "font": FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "margin": {"l": 56, "r": 16, "t": 8, "b": 40},
        "legend": {"orientation": "h", "y": -0.2},
        "height": 280,
        **extra,
    }


def _floats(values: Sequence[Decimal | None]) -> list[float | None]:
    return [None if v is None else round(float(v), 4) for v in values]


def funnel_figure(overview: Overview) -> dict[str, Any]:
    """Projects per transition step as horizontal bars (the cartesian bundle has no funnel)."""
    labels = [f"{n}. {name}" if n <= 7 else name for n, name, _ in overview.funnel]
    counts = [count for _, _, count in overview.funnel]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": counts,
                "y": labels,
                "text": counts,
                "textposition": "auto",
                "marker": {"color": PRIMARY},
                "hovertemplate": "%{y}: %{x} projects<extra></extra>",
            }
        ],
        "layout": _layout(
            height=300,
            margin={"l": 170, "r": 16, "t": 8, "b": 32},
            yaxis={"autorange": "reversed"},
            xaxis={"title": {"text": "projects"}, "dtick": 1, "rangemode": "tozero"},
        ),
    }


def spend_figure(spend: WeeklySeries) -> dict[str, Any]:
    """Weekly spend stacked by team."""
    x = [week.isoformat() for week in spend.weeks]
    return {
        "data": [
            {
                "type": "bar",
                "name": team,
                "x": x,
                "y": _floats(values),
                "marker": {"color": PALETTE[n % len(PALETTE)]},
                "hovertemplate": f"{team}: $%{{y:,.2f}}<extra></extra>",
            }
            for n, (team, values) in enumerate(spend.series.items())
        ],
        "layout": _layout(
            barmode="stack",
            xaxis={"type": "date", "tickformat": "%d %b", "title": {"text": "week of"}},
            yaxis={"title": {"text": "USD"}, "rangemode": "tozero"},
        ),
    }


def quality_figure(quality: WeeklySeries, target: float | None) -> dict[str, Any]:
    """The weekly mean quality score with the mean approved target dashed."""
    x = [week.isoformat() for week in quality.weeks]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": x,
            "y": _floats(values),
            "line": {"color": PRIMARY},
        }
        for name, values in quality.series.items()
    ]
    if target is not None:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "Mean target",
                "x": x,
                "y": [round(target, 4)] * len(x),
                "line": {"color": TARGET, "dash": "dash"},
            }
        )
    return {
        "data": data,
        "layout": _layout(
            xaxis={"type": "date", "tickformat": "%d %b", "title": {"text": "week of"}},
            yaxis={"title": {"text": "score 0–1"}},
        ),
    }
