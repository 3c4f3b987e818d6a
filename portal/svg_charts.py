"""Charts drawn as inline SVG on the server, for pages printed to PDF (the board report).

WeasyPrint renders inline ``<svg>`` but no JavaScript, so the charts are drawn before the
page leaves the server. The functions here only lay a chart out: data in, a frozen
dataclass of positions, labels and colours out, no ORM and no state. The markup lives in
``templates/portal/charts/`` (``bar_chart.svg.html``, ``line_chart.svg.html``,
``heat_map.svg.html``), which a page includes with the chart as ``chart``.

Each chart has an accessible name (its title) and a description summarising the data in
words (``frame.desc``), a ``viewBox`` (so CSS may scale it: ``svg.chart { max-width:
100%; height: auto }``), the system font stack, a "No data" state for empty input, and
long labels cut with an ellipsis, the full text kept for a tooltip. Characters XML
forbids are dropped from every piece of text.

Colours follow ``static/css/runway.css``: actuals in the main colour, targets as a dashed
grey line, readiness from red through amber to green.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from portal.chart_geometry import (
    FONT_SIZE,
    MARKERS,
    MUTED,
    NO_DATA_FILL,
    PALETTE,
    PRIMARY,
    TARGET,
    Frame,
    Label,
    LegendEntry,
    Marker,
    Point,
    Rect,
    Segment,
    Tick,
    ValueFormat,
    clean,
    date_axis,
    finite,
    format_number,
    formatter,
    frame,
    label,
    legend,
    marker,
    max_chars,
    nice_ticks,
    no_data_frame,
    point,
    rect,
    scale_colour,
    segment,
    spread,
    text_width,
    value_axis,
)

__all__ = [
    "BarChart",
    "HeatMap",
    "LineChart",
    "bar_chart",
    "heat_map",
    "line_chart",
]


# --- bar chart ------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One row: the category on the left, the bar (``None`` when the value is not a
    number) and the value printed at its end."""

    category: Label
    value: Label
    tooltip: str
    box: Rect | None


@dataclass(frozen=True)
class BarChart:
    frame: Frame
    bars: tuple[Bar, ...] = ()
    colour: str = PRIMARY
    zero_line: Segment | None = None


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    width: float = 640,
    height: float | None = None,
    value_format: ValueFormat = format_number,
    colour: str = PRIMARY,
) -> BarChart:
    """Horizontal bars, one per ``(label, value)`` in the given order, each labelled on the
    left and with its value printed at its end.

    Bar lengths are proportional to the values, from a zero line (negative values extend
    to its left). ``height`` defaults to what the bars need. ``value_format`` is a
    ``str.format`` pattern such as ``"{:,.0f}"`` or a callable. A value that is not a
    finite number is drawn as no bar and "—".
    """
    if not bars:
        return BarChart(
            no_data_frame("bar", title=title, width=width, height=height or 120)
        )
    fmt = formatter(value_format)
    values = [finite(value) for _, value in bars]
    shown = ["—" if v is None else fmt(v) for v in values]
    present = [v for v in values if v is not None]
    lo, hi = min([0.0, *present]), max([0.0, *present])
    span = (hi - lo) or 1.0  # all zero: zero-length bars, still drawn

    row, bar_h, top, bottom, pad = 28.0, 18.0, 40.0, 12.0, 12.0
    height = height or top + row * len(bars) + bottom
    row = (height - top - bottom) / len(bars)
    bar_h = min(bar_h, row * 0.7)
    longest_label = max(len(name) for name, _ in bars)
    label_w = min(width * 0.4, text_width(longest_label) + 8)
    value_w = text_width(max(len(s) for s in shown)) + 8
    plot_x = pad + label_w + 8
    plot_w = max(1.0, width - plot_x - value_w - pad)
    if lo < 0:  # room for the values printed left of the negative bars
        plot_x += value_w
        plot_w = max(1.0, plot_w - value_w)

    def sx(v: float) -> float:
        return plot_x + (v - lo) / span * plot_w

    zero = sx(0.0)
    drawn: list[Bar] = []
    summary: list[str] = []
    for i, ((name, _), value, text) in enumerate(zip(bars, values, shown, strict=True)):
        cy = top + row * i + row / 2
        box = None
        if value is None:
            end, anchor = zero + 4, "start"
        else:
            x0, x1 = sorted((zero, sx(value)))
            box = rect(x0, cy - bar_h / 2, x1 - x0, bar_h)
            end, anchor = (x0 - 4, "end") if value < 0 else (x1 + 4, "start")
        drawn.append(
            Bar(
                category=label(
                    pad + label_w, cy, name, limit=max_chars(label_w), anchor="end"
                ),
                value=label(end, cy, text, anchor=anchor, css_class="value"),
                tooltip=f"{clean(name)}: {clean(text)}",
                box=box,
            )
        )
        summary.append(f"{clean(name)}: {text}")
    zero_line = segment(zero, top - 4, zero, height - bottom + 4, stroke=MUTED)
    desc = f"Bar chart, {len(bars)} bars. " + "; ".join(summary) + "."
    return BarChart(
        frame(
            "bar",
            title=title,
            desc=desc,
            width=width,
            height=height,
            content=(drawn, colour, zero_line),
        ),
        bars=tuple(drawn),
        colour=colour,
        zero_line=zero_line,
    )


# --- line chart -----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """Consecutive present values of a series: a line through ``line`` (empty for a lone
    point) and a marker on each point."""

    line: tuple[Point, ...]
    markers: tuple[Marker, ...]


@dataclass(frozen=True)
class Series:
    index: int
    name: str
    colour: str
    runs: tuple[Run, ...]


@dataclass(frozen=True)
class Target:
    line: Segment
    tooltip: str


@dataclass(frozen=True)
class LineChart:
    frame: Frame
    y_ticks: tuple[Tick, ...] = ()
    y_title: Label | None = None
    x_ticks: tuple[Tick, ...] = ()
    target: Target | None = None
    series: tuple[Series, ...] = ()
    end_labels: tuple[Label, ...] = ()
    legend: tuple[LegendEntry, ...] = ()


def line_chart(
    series: Sequence[tuple[str, Sequence[tuple[date, float | None]]]],
    *,
    title: str,
    y_label: str,
    target: float | None = None,
    target_label: str = "Target",
    width: float = 640,
    height: float = 300,
    value_format: ValueFormat = format_number,
) -> LineChart:
    """One line per ``(name, [(day, value), ...])`` over dates, in the given order.

    ``None`` values (and non-finite ones) break the line: the points either side are not
    joined. A lone point between gaps is still drawn as a marker. ``target`` adds a dashed
    grey line labelled ``target_label``. The y axis starts at 0 (lower if there are negative
    values) with round ticks, titled ``y_label`` (give the unit); a few dates label the x
    axis. Series differ by colour, marker shape, legend order and a label at their last
    point.
    """
    fmt = formatter(value_format)
    cleaned: list[tuple[str, list[tuple[date, float | None]]]] = [
        (name, sorted(((day, finite(v)) for day, v in points), key=lambda p: p[0]))
        for name, points in series
    ]
    days = [day for _, points in cleaned for day, v in points if v is not None]
    values = [v for _, points in cleaned for _, v in points if v is not None]
    if not values:
        return LineChart(no_data_frame("line", title=title, width=width, height=height))
    if target is not None and not math.isfinite(target):
        target = None

    start, end = min(days), max(days)
    bounds = [*values, 0.0, *([target] if target is not None else [])]
    ticks = nice_ticks(min(bounds), max(bounds))
    y_lo, y_hi = ticks[0], ticks[-1]
    tick_labels = [fmt(t) for t in ticks]

    legend_h = 22.0
    top, bottom = 34.0 + legend_h, 36.0
    left = 24.0 + text_width(max(len(s) for s in tick_labels)) + 8
    end_label_chars = 16
    right = min(width * 0.25, text_width(end_label_chars)) + 16
    plot_w = max(1.0, width - left - right)
    plot_h = max(1.0, height - top - bottom)
    span_days = (end - start).days

    def sx(day: date) -> float:
        if span_days == 0:
            return left + plot_w / 2
        return left + (day - start).days / span_days * plot_w

    def sy(v: float) -> float:
        return top + plot_h - (v - y_lo) / (y_hi - y_lo) * plot_h

    y_ticks = value_axis(ticks, tick_labels, left=left, right=left + plot_w, to_y=sy)
    y_title = label(
        14,
        top + plot_h / 2,
        y_label,
        limit=max_chars(plot_h),
        anchor="middle",
        fill=MUTED,
        css_class="axis-title",
        rotate=-90,
    )
    x_ticks = date_axis(start, end, baseline=top + plot_h, to_x=sx)

    # The target and each series' last value are labelled in the right margin.
    ends: list[tuple[str, str, float]] = []  # (label, colour, y)
    drawn_target = None
    if target is not None:
        drawn_target = Target(
            segment(
                left,
                sy(target),
                left + plot_w,
                sy(target),
                stroke=TARGET,
                width=1.5,
                dashed=True,
            ),
            tooltip=f"{clean(target_label)}: {clean(fmt(target))}",
        )
        ends.append((f"{target_label} {fmt(target)}", TARGET, sy(target)))

    drawn: list[Series] = []
    summaries: list[str] = []
    for i, (name, points) in enumerate(cleaned):
        colour = PALETTE[i % len(PALETTE)]
        shape = MARKERS[i % len(MARKERS)]
        runs: list[list[tuple[float, float]]] = [[]]
        for day, v in points:
            if v is None:
                if runs[-1]:
                    runs.append([])
            else:
                runs[-1].append((sx(day), sy(v)))
        drawn.append(
            Series(
                index=i,
                name=clean(name),
                colour=colour,
                runs=tuple(
                    Run(
                        line=tuple(point(x, y) for x, y in run) if len(run) > 1 else (),
                        markers=tuple(marker(shape, x, y, colour) for x, y in run),
                    )
                    for run in runs
                    if run
                ),
            )
        )
        present = [(day, v) for day, v in points if v is not None]
        if present:
            last_day, last_v = present[-1]
            ends.append((name, colour, sy(last_v)))
            low = min(v for _, v in present)
            high = max(v for _, v in present)
            gaps = sum(1 for _, v in points if v is None)
            summaries.append(
                f"{clean(name)}: latest {fmt(last_v)} on {last_day.isoformat()}, "
                f"range {fmt(low)} to {fmt(high)}"
                + (f", {gaps} missing" if gaps else "")
            )
        else:
            summaries.append(f"{clean(name)}: no data")
    label_ys = spread([y for _, _, y in ends], FONT_SIZE + 2, top, top + plot_h)
    label_x = left + plot_w + 8
    end_labels = tuple(
        label(
            label_x,
            y,
            text,
            limit=max_chars(width - label_x - 4),
            fill=colour,
            css_class="end-label",
        )
        for (text, colour, _), y in zip(ends, label_ys, strict=True)
    )

    legend_entries = legend(
        [name for name, _ in cleaned],
        target_label if target is not None else None,
        width,
    )
    period = (
        start.isoformat()
        if span_days == 0
        else f"{start.isoformat()} to {end.isoformat()}"
    )
    desc = (
        f"Line chart of {clean(y_label)}, {period}, {len(cleaned)} series. "
        + "; ".join(summaries)
        + "."
        + (f" {clean(target_label)}: {fmt(target)}." if target is not None else "")
    )
    parts = (y_ticks, y_title, x_ticks, drawn_target, drawn, end_labels, legend_entries)
    return LineChart(
        frame(
            "line", title=title, desc=desc, width=width, height=height, content=parts
        ),
        y_ticks=y_ticks,
        y_title=y_title,
        x_ticks=x_ticks,
        target=drawn_target,
        series=tuple(drawn),
        end_labels=end_labels,
        legend=legend_entries,
    )


# --- heat map -------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    column: int
    box: Rect
    fill: str
    value: Label
    tooltip: str


@dataclass(frozen=True)
class HeatRow:
    index: int
    label: Label
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Swatch:
    box: Rect
    fill: str
    label: Label


@dataclass(frozen=True)
class HeatMap:
    frame: Frame
    columns: tuple[Label, ...] = ()
    rows: tuple[HeatRow, ...] = ()
    scale_caption: Label | None = None
    swatches: tuple[Swatch, ...] = ()


def heat_map(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    title: str,
    low_is_bad: bool = True,
    domain: tuple[float, float] = (0.0, 100.0),
    width: float = 640,
    value_format: ValueFormat = "{:.0f}",
) -> HeatMap:
    """A grid with one row per ``rows`` entry and one column per ``columns`` entry;
    ``values[r][c]`` is printed in its cell, "—" for ``None``.

    Cells are coloured along ``domain`` (readiness 0–100 by default; values outside are
    clamped) from red through amber to green, green at the high end unless
    ``low_is_bad`` is false. Raises ``ValueError`` when ``values`` does not match the
    shape of ``rows`` × ``columns``.
    """
    if len(values) != len(rows) or any(len(line) != len(columns) for line in values):
        raise ValueError(
            "values must have one row per row label and one cell per column"
        )
    if not rows or not columns:
        return HeatMap(no_data_frame("heat", title=title, width=width, height=140))
    fmt = formatter(value_format)
    lo, hi = domain
    span = (hi - lo) or 1.0

    def fill_for(share: float) -> str:
        return scale_colour(share if low_is_bad else 1 - share)

    pad, top, cell_h, legend_h = 12.0, 40.0, 30.0, 40.0
    label_w = min(width * 0.3, text_width(max(len(r) for r in rows)) + 8)
    grid_x = pad + label_w + 8
    cell_w = max(24.0, (width - grid_x - pad) / len(columns))
    width = max(width, grid_x + cell_w * len(columns) + pad)
    header_h = 22.0
    grid_y = top + header_h
    height = grid_y + cell_h * len(rows) + legend_h

    column_labels = tuple(
        label(
            grid_x + cell_w * (c + 0.5),
            top + header_h / 2,
            column,
            limit=max_chars(cell_w - 6),
            anchor="middle",
            fill=MUTED,
            css_class="column-label",
        )
        for c, column in enumerate(columns)
    )

    present: list[tuple[str, str, float]] = []
    missing = 0
    drawn: list[HeatRow] = []
    for r, (row, line) in enumerate(zip(rows, values, strict=True)):
        cells: list[Cell] = []
        for c, (column, raw) in enumerate(zip(columns, line, strict=True)):
            value = finite(raw)
            x, y = grid_x + cell_w * c, grid_y + cell_h * r
            if value is None:
                fill, text = NO_DATA_FILL, "—"
                missing += 1
                tip = f"{clean(row)}, {clean(column)}: no data"
            else:
                fill, text = fill_for((value - lo) / span), fmt(value)
                present.append((clean(row), clean(column), value))
                tip = f"{clean(row)}, {clean(column)}: {clean(text)}"
            cells.append(
                Cell(
                    column=c,
                    box=rect(x, y, cell_w, cell_h),
                    fill=fill,
                    value=label(
                        x + cell_w / 2,
                        y + cell_h / 2,
                        text,
                        anchor="middle",
                        css_class="cell-value",
                    ),
                    tooltip=tip,
                )
            )
        drawn.append(
            HeatRow(
                index=r,
                label=label(
                    pad + label_w,
                    grid_y + cell_h * (r + 0.5),
                    row,
                    limit=max_chars(label_w),
                    anchor="end",
                    css_class="row-label",
                ),
                cells=tuple(cells),
            )
        )

    # The scale: five swatches along the domain.
    legend_y = grid_y + cell_h * len(rows) + 14
    caption = label(pad, legend_y + 8, "Scale:", fill=MUTED)
    swatches = tuple(
        Swatch(
            rect(pad + 48 + k * 64, legend_y, 16, 16),
            fill_for(k / 4),
            label(
                pad + 48 + k * 64 + 20, legend_y + 8, fmt(lo + k / 4 * span), fill=MUTED
            ),
        )
        for k in range(5)
    )

    summary = f"Heat map, {len(rows)} rows by {len(columns)} columns"
    if present:
        lowest = min(present, key=lambda cell: cell[2])
        highest = max(present, key=lambda cell: cell[2])
        worst, best = (lowest, highest) if low_is_bad else (highest, lowest)
        summary += (
            f", values {fmt(lowest[2])} to {fmt(highest[2])}; "
            f"weakest {worst[0]}, {worst[1]} ({fmt(worst[2])}); "
            f"strongest {best[0]}, {best[1]} ({fmt(best[2])})"
        )
    if missing:
        summary += f"; {missing} without data"
    return HeatMap(
        frame(
            "heat",
            title=title,
            desc=summary + ".",
            width=width,
            height=height,
            content=(column_labels, drawn, swatches),
        ),
        columns=column_labels,
        rows=tuple(drawn),
        scale_caption=caption,
        swatches=swatches,
    )
