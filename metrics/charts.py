"""Plotly figure dicts for the project dashboard: plain data in, dicts out (no ORM).

Actuals in the main colour, targets as a dashed line, budgets as a dashed red line;
axis titles carry units; dates are days.

The dicts are written directly in the shape ``go.Figure(...).to_plotly_json()`` gives
(plotly.js reads the same JSON): building ``go.Figure`` objects validates every
property, which cost most of the dashboard partial's time (bench/README.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

PRIMARY, SECOND, TARGET, RED = "#1d4ed8", "#93c5fd", "#6b7280", "#a40e26"
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12}


def _layout(unit: str, **extra: Any) -> dict[str, Any]:
    layout = {
        "template": NO_TEMPLATE,
        "font": FONT,
        "height": 260,
        "margin": {"l": 56, "r": 12, "t": 12, "b": 40},
        "legend": {"orientation": "h", "y": -0.25},
        "xaxis": {"type": "date", "tickformat": "%d %b"},
        "yaxis": {"title": {"text": unit}, "rangemode": "tozero"},
        **extra,
    }
    return {k: v for k, v in layout.items() if v is not None}


def _floats(values: Sequence[Decimal | None]) -> list[float | None]:
    return [float(v) if v is not None else None for v in values]


# What plotly.py writes for template="none": an empty template, so plotly.js draws
# no theme of its own.
NO_TEMPLATE: dict[str, Any] = {"data": {"scatter": [{"type": "scatter"}]}}


def line_chart(
    days: Sequence[date],
    series: Mapping[str, Sequence[Decimal | None]],
    *,
    unit: str,
    target: Decimal | None = None,
    target_label: str = "Target",
    bars: bool = False,
    incomplete: date | None = None,
) -> dict[str, Any]:
    """One or more daily series (bars or lines) with an optional dashed target line;
    ``incomplete`` is a day still filling up (today), shaded and labelled."""
    x = [d.isoformat() for d in days]
    colours = [PRIMARY, SECOND, "#0f766e", "#b45309"]
    data: list[Any] = []
    for n, (name, values) in enumerate(series.items()):
        colour = colours[n % len(colours)]
        if bars:
            data.append(
                {
                    "marker": {"color": colour},
                    "name": name,
                    "x": x,
                    "y": _floats(values),
                    "type": "bar",
                }
            )
        else:
            data.append(
                {
                    "line": {"color": colour},
                    "mode": "lines+markers",
                    "name": name,
                    "x": x,
                    "y": _floats(values),
                    "type": "scatter",
                }
            )
    if target is not None:
        data.append(
            {
                "line": {
                    "color": RED if "udget" in target_label else TARGET,
                    "dash": "dash",
                },
                "mode": "lines",
                "name": target_label,
                "x": x,
                "y": [float(target)] * len(x),
                "type": "scatter",
            }
        )
    layout = _layout(unit, barmode="stack" if bars else None)
    if incomplete is not None and incomplete in days:
        # Today is still filling up: its point is shaded and labelled, never a dip.
        day = incomplete.isoformat()
        layout["shapes"] = [
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": f"{day}T00:00:00",
                "x1": f"{day}T23:59:59",
                "y0": 0,
                "y1": 1,
                "fillcolor": "#94a3b8",
                "opacity": 0.15,
                "line": {"width": 0},
            }
        ]
        layout["annotations"] = [
            {
                "x": day,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "text": "today, incomplete",
                "showarrow": False,
                "yanchor": "bottom",
                "font": {"size": 10},
            }
        ]
    return {"data": data, "layout": layout}
