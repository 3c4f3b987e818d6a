"""Plotly figure dicts for the assessments pages (no ORM here: plain data in, dicts out).

The cartesian plotly.js bundle has no polar charts, so the maturity "radar" is drawn as
grouped bars: now, target and the previous assessment per area.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

from assessments.readiness import AreaLevels

# The palette of runway.css: actuals in the main colour, targets dashed or grey.
PRIMARY, TARGET, PREVIOUS, RED = "#1d4ed8", "#9ca3af", "#93c5fd", "#a40e26"
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13}


def _layout(**extra: Any) -> dict[str, Any]:
    return {
        "template": "none",
        "font": FONT,
        "margin": {"l": 56, "r": 16, "t": 24, "b": 48},
        "legend": {"orientation": "h", "y": -0.2},
        "height": 320,
        **extra,
    }


def readiness_figure(
    areas: Sequence[str],
    now_levels: Sequence[float | None],
    target_levels: Sequence[float | None],
    previous_levels: Sequence[float | None] | None = None,
) -> dict[str, Any]:
    """Average maturity level per area: now, target and (if any) the previous assessment.
    None is an area with no criterion assessed: no bar (never a bar at 0)."""
    data = [go.Bar(name="Now", x=list(areas), y=list(now_levels), marker_color=PRIMARY)]
    if previous_levels is not None:
        data.append(
            go.Bar(
                name="Previous",
                x=list(areas),
                y=list(previous_levels),
                marker_color=PREVIOUS,
            )
        )
    data.append(
        go.Bar(name="Target", x=list(areas), y=list(target_levels), marker_color=TARGET)
    )
    figure = go.Figure(
        data=data,
        layout=_layout(
            barmode="group",
            yaxis={
                "title": {"text": "Maturity level (0–4)"},
                "range": [0, 4],
                "dtick": 1,
            },
        ),
    )
    figure_dict: dict[str, Any] = figure.to_plotly_json()
    return figure_dict


def readiness_summary(levels: Sequence[AreaLevels]) -> str:
    """The chart in words, saying which areas and how many criteria are not assessed."""
    parts = [
        f"{a.area}: not assessed"
        if a.now is None
        else f"{a.area}: level {a.now} now, target {a.target}"
        for a in levels
    ]
    skipped = sum(a.not_assessed for a in levels)
    if skipped:
        parts.append(
            f"{skipped} criteri{'on' if skipped == 1 else 'a'} not assessed, "
            "left out of the averages"
        )
    return ", ".join(parts)


def cost_figure(
    labels: Sequence[str],
    routed: Sequence[Decimal],
    single: Sequence[Decimal],
    budget: Decimal | None,
) -> dict[str, Any]:
    """Monthly cost over the 12-month view: routed setup vs one large model, against the budget."""
    data: list[Any] = [
        go.Bar(
            name="Routed setup",
            x=list(labels),
            y=[float(v) for v in routed],
            marker_color=PRIMARY,
        ),
        go.Bar(
            name="Single large model",
            x=list(labels),
            y=[float(v) for v in single],
            marker_color=TARGET,
        ),
    ]
    if budget is not None:
        data.append(
            go.Scatter(
                name="Monthly budget",
                x=list(labels),
                y=[float(budget)] * len(labels),
                mode="lines",
                line={"color": RED, "dash": "dash"},
            )
        )
    figure = go.Figure(
        data=data,
        layout=_layout(
            barmode="group",
            yaxis={"title": {"text": "USD per month"}, "tickprefix": "$"},
        ),
    )
    figure_dict: dict[str, Any] = figure.to_plotly_json()
    return figure_dict
