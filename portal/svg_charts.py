"""Charts drawn as inline SVG on the server, for pages printed to PDF (the board report).

WeasyPrint renders inline ``<svg>`` but no JavaScript, so these charts are plain strings:
data in, ``SafeString`` out, no ORM and no state. Every piece of text that comes from data
is escaped before it is placed in the markup, and characters XML forbids are dropped, so
the output is always well-formed XML.

Each chart has ``role="img"`` with a ``<title>`` and a ``<desc>`` summarising the data in
words, a ``viewBox`` (so CSS may scale it: ``svg.chart { max-width: 100%; height: auto }``),
the system font stack, a "No data" state for empty input, and long labels cut with an
ellipsis, the full text kept in a ``<title>`` tooltip.

Colours follow ``static/css/runway.css``: actuals in the main colour, targets as a dashed
grey line, readiness from red through amber to green.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from django.utils.safestring import SafeString, mark_safe

__all__ = [
    "bar_chart",
    "date_ticks",
    "format_number",
    "heat_map",
    "line_chart",
    "nice_ticks",
    "scale_colour",
]

FONT_FAMILY = (
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
)
FONT_SIZE = 12
TITLE_SIZE = 14
# Average advance of a character in a sans font, as a share of the font size; used to
# decide where to cut labels (there are no font metrics on the server).
CHAR_WIDTH = 0.6

TEXT = "#1b1f24"
MUTED = "#57606a"
BORDER = "#d9dde3"
GRID = "#eaeef2"
PRIMARY = "#1d4ed8"
TARGET = "#57606a"
NO_DATA_FILL = "#eaeef2"

# Series colours: the main colour first, then hues that stay apart for the common kinds
# of colour blindness (after Okabe & Ito), dark enough to read as text on white.
PALETTE = ("#1d4ed8", "#b45309", "#0f766e", "#a21caf", "#0369a1", "#1b1f24")
# Point markers, so series differ by shape as well as colour.
MARKERS = ("circle", "square", "triangle", "diamond", "ring", "box")

# Readiness scale stops, 0 = bad .. 1 = good: each ui.md status colour mixed with its
# background so the printed number (in TEXT) keeps WCAG AA contrast on every cell.
_RED = ("#a40e26", "#ffe1e4", 0.5)
_AMBER = ("#7d4e00", "#fff1c7", 0.5)
_GREEN = ("#116329", "#dafbe1", 0.5)

ValueFormat = str | Callable[[float], str]

# Characters XML 1.0 does not allow, even escaped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MONTHS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


# --- text -----------------------------------------------------------------------------


def _clean(text: str) -> str:
    return _XML_INVALID.sub("", str(text))


def _esc(text: str) -> str:
    """Escape for element content and double-quoted attributes alike."""
    return html.escape(_clean(text), quote=True)


def _n(x: float) -> str:
    """A coordinate, short and locale-free."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _max_chars(space: float, size: float = FONT_SIZE) -> int:
    return max(1, int(space / (size * CHAR_WIDTH)))


def _truncate(text: str, max_chars: int) -> str:
    text = " ".join(_clean(text).split())
    if len(text) <= max_chars:
        return text
    return text[: max(0, max_chars - 1)].rstrip() + "…"


def _text(
    x: float,
    y: float,
    content: str,
    *,
    max_chars: int | None = None,
    anchor: str = "start",
    size: float = FONT_SIZE,
    fill: str = TEXT,
    weight: str | None = None,
    css_class: str | None = None,
    transform: str | None = None,
) -> str:
    """A ``<text>``; when cut to ``max_chars``, wrapped in a group whose ``<title>`` holds
    the full text. ``y`` is the vertical centre of the text (baselines are not portable)."""
    full = " ".join(_clean(content).split())
    shown = _truncate(full, max_chars) if max_chars is not None else full
    attrs = [f'x="{_n(x)}"', f'y="{_n(y + size * 0.35)}"']
    if anchor != "start":
        attrs.append(f'text-anchor="{anchor}"')
    if size != FONT_SIZE:
        attrs.append(f'font-size="{_n(size)}"')
    if fill != TEXT:
        attrs.append(f'fill="{fill}"')
    if weight:
        attrs.append(f'font-weight="{weight}"')
    if css_class:
        attrs.append(f'class="{css_class}"')
    if transform:
        attrs.append(f'transform="{transform}"')
    element = f"<text {' '.join(attrs)}>{_esc(shown)}</text>"
    if shown != full:
        return f"<g><title>{_esc(content)}</title>{element}</g>"
    return element


def _formatter(value_format: ValueFormat) -> Callable[[float], str]:
    if isinstance(value_format, str):
        return value_format.format
    return value_format


def format_number(value: float) -> str:
    """Whole numbers without decimals, others with up to two; thousands separated."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


# --- frame ----------------------------------------------------------------------------


def _svg(
    kind: str,
    *,
    title: str,
    desc: str,
    width: float,
    height: float,
    body: Sequence[str],
) -> SafeString:
    """The root element around already-escaped ``body`` markup."""
    digest = hashlib.sha1(
        "\n".join([kind, title, desc, *body]).encode("utf-8", "replace"),
        usedforsecurity=False,
    ).hexdigest()[:10]
    ident = f"chart-{kind}-{digest}"
    title_x = 12.0
    heading = _text(
        title_x,
        20,
        title,
        max_chars=_max_chars(width - 2 * title_x, TITLE_SIZE),
        size=TITLE_SIZE,
        weight="600",
        css_class="chart-title",
    )
    markup = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" '
        f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'font-family="{FONT_FAMILY}" font-size="{FONT_SIZE}" fill="{TEXT}">'
        f'<title id="{ident}-title">{_esc(title)}</title>'
        f'<desc id="{ident}-desc">{_esc(desc)}</desc>'
        f'<rect class="chart-background" x="0" y="0" width="{_n(width)}" '
        f'height="{_n(height)}" fill="#ffffff"/>'
        f"{heading}{''.join(body)}</svg>"
    )
    return mark_safe(markup)  # every piece of data above went through _esc


def _no_data(kind: str, *, title: str, width: float, height: float) -> SafeString:
    body = [
        _text(
            width / 2,
            height / 2 + 10,
            "No data",
            anchor="middle",
            fill=MUTED,
            size=FONT_SIZE + 2,
            css_class="no-data",
        )
    ]
    return _svg(
        kind, title=title, desc="No data.", width=width, height=height, body=body
    )


# --- bar chart ------------------------------------------------------------------------


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    width: float = 640,
    height: float | None = None,
    value_format: ValueFormat = format_number,
    colour: str = PRIMARY,
) -> SafeString:
    """Horizontal bars, one per ``(label, value)`` in the given order, each labelled on the
    left and with its value printed at its end.

    Bar lengths are proportional to the values, from a zero line (negative values extend
    to its left). ``height`` defaults to what the bars need. ``value_format`` is a
    ``str.format`` pattern such as ``"{:,.0f}"`` or a callable. A value that is not a
    finite number is drawn as no bar and "—".
    """
    if not bars:
        return _no_data("bar", title=title, width=width, height=height or 120)
    fmt = _formatter(value_format)
    values = [_finite(value) for _, value in bars]
    shown = ["—" if v is None else fmt(v) for v in values]
    finite = [v for v in values if v is not None]
    lo, hi = min([0.0, *finite]), max([0.0, *finite])
    span = (hi - lo) or 1.0  # all zero: zero-length bars, still drawn

    row, bar_h, top, bottom, pad = 28.0, 18.0, 40.0, 12.0, 12.0
    height = height or top + row * len(bars) + bottom
    row = (height - top - bottom) / len(bars)
    bar_h = min(bar_h, row * 0.7)
    longest_label = max(len(label) for label, _ in bars)
    label_w = min(width * 0.4, longest_label * FONT_SIZE * CHAR_WIDTH + 8)
    value_w = max(len(s) for s in shown) * FONT_SIZE * CHAR_WIDTH + 8
    plot_x = pad + label_w + 8
    plot_w = max(1.0, width - plot_x - value_w - pad)
    if lo < 0:
        value_w_left = value_w
        plot_x += value_w_left
        plot_w = max(1.0, plot_w - value_w_left)

    def sx(v: float) -> float:
        return plot_x + (v - lo) / span * plot_w

    zero = sx(0.0)
    body: list[str] = []
    summary: list[str] = []
    for i, ((label, _), value, text) in enumerate(
        zip(bars, values, shown, strict=True)
    ):
        cy = top + row * i + row / 2
        parts = [f"<title>{_esc(_clean(label))}: {_esc(text)}</title>"]
        parts.append(
            _text(pad + label_w, cy, label, max_chars=_max_chars(label_w), anchor="end")
        )
        if value is None:
            end, anchor, gap = zero + 4, "start", 0.0
        else:
            x0, x1 = sorted((zero, sx(value)))
            parts.append(
                f'<rect class="bar" x="{_n(x0)}" y="{_n(cy - bar_h / 2)}" '
                f'width="{_n(x1 - x0)}" height="{_n(bar_h)}" fill="{colour}"/>'
            )
            end, anchor, gap = (x0, "end", -4.0) if value < 0 else (x1, "start", 4.0)
        parts.append(_text(end + gap, cy, text, anchor=anchor, css_class="value"))
        body.append(f'<g class="bar-row">{"".join(parts)}</g>')
        summary.append(f"{_clean(label)}: {text}")
    body.append(
        f'<line class="axis" x1="{_n(zero)}" y1="{_n(top - 4)}" x2="{_n(zero)}" '
        f'y2="{_n(height - bottom + 4)}" stroke="{MUTED}" stroke-width="1"/>'
    )
    desc = f"Bar chart, {len(bars)} bars. " + "; ".join(summary) + "."
    return _svg("bar", title=title, desc=desc, width=width, height=height, body=body)


# --- scales ---------------------------------------------------------------------------


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering ``[lo, hi]``, about ``count`` of them, including 0 when
    the range does (steps of 1, 2, 2.5 or 5 times a power of ten)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("ticks need finite bounds")
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(
        m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9)
    )
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [round(k * step, 10) + 0.0 for k in range(first, last + 1)]


def _month_add(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def date_ticks(start: date, end: date, count: int = 5) -> list[tuple[date, str]]:
    """A few ``(date, label)`` ticks between ``start`` and ``end``: month starts
    ("Mar", "Jan 2025") over two months or more, otherwise days ("3 Mar")."""
    span = (end - start).days
    if span >= 60:
        months = (end.year - start.year) * 12 + end.month - start.month
        wanted = max(1, math.ceil(months / count))
        step = next(
            (s for s in (1, 2, 3, 6, 12) if s >= wanted), 12 * math.ceil(wanted / 12)
        )
        tick = date(start.year, start.month, 1)
        if tick < start:
            tick = _month_add(tick, 1)
        while (tick.year * 12 + tick.month - 1) % step:
            tick = _month_add(tick, 1)
        ticks: list[tuple[date, str]] = []
        while tick <= end:
            label = _MONTHS[tick.month - 1]
            if not ticks or tick.month == 1:
                label = f"{label} {tick.year}"
            ticks.append((tick, label))
            tick = _month_add(tick, step)
        return ticks
    step = next((s for s in (1, 2, 7, 14) if s * count >= span), 14)
    days = [start + timedelta(days=k) for k in range(0, span + 1, step)]
    return [(d, f"{d.day} {_MONTHS[d.month - 1]}") for d in days]


# --- line chart -----------------------------------------------------------------------


def _marker(shape: str, x: float, y: float, colour: str, r: float = 3.5) -> str:
    if shape in ("ring", "box"):
        hollow = f'fill="#ffffff" stroke="{colour}" stroke-width="1.5"'
        if shape == "ring":
            return f'<circle class="point" cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" {hollow}/>'
        return (
            f'<rect class="point" x="{_n(x - r)}" y="{_n(y - r)}" width="{_n(2 * r)}" '
            f'height="{_n(2 * r)}" {hollow}/>'
        )
    if shape == "square":
        return (
            f'<rect class="point" x="{_n(x - r)}" y="{_n(y - r)}" width="{_n(2 * r)}" '
            f'height="{_n(2 * r)}" fill="{colour}"/>'
        )
    if shape == "triangle":
        points = f"{_n(x)},{_n(y - r * 1.2)} {_n(x + r * 1.1)},{_n(y + r)} {_n(x - r * 1.1)},{_n(y + r)}"
        return f'<polygon class="point" points="{points}" fill="{colour}"/>'
    if shape == "diamond":
        d = r * 1.3
        points = f"{_n(x)},{_n(y - d)} {_n(x + d)},{_n(y)} {_n(x)},{_n(y + d)} {_n(x - d)},{_n(y)}"
        return f'<polygon class="point" points="{points}" fill="{colour}"/>'
    return (
        f'<circle class="point" cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="{colour}"/>'
    )


def _spread(positions: list[float], gap: float, lo: float, hi: float) -> list[float]:
    """Move label centres apart by at least ``gap``, keeping their order, within
    ``[lo, hi]`` where possible."""
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    placed = [positions[i] for i in order]
    for k in range(1, len(placed)):
        placed[k] = max(placed[k], placed[k - 1] + gap)
    overflow = placed[-1] - hi if placed else 0.0
    if overflow > 0:
        placed[-1] -= overflow
        for k in range(len(placed) - 2, -1, -1):
            placed[k] = min(placed[k], placed[k + 1] - gap)
        placed = [max(lo, p) if k == 0 else p for k, p in enumerate(placed)]
    result = [0.0] * len(positions)
    for k, i in enumerate(order):
        result[i] = placed[k]
    return result


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
) -> SafeString:
    """One line per ``(name, [(day, value), ...])`` over dates, in the given order.

    ``None`` values (and non-finite ones) break the line: the points either side are not
    joined. A lone point between gaps is still drawn as a marker. ``target`` adds a dashed
    grey line labelled ``target_label``. The y axis starts at 0 (lower if there are negative
    values) with round ticks, titled ``y_label`` (give the unit); a few dates label the x
    axis. Series differ by colour, marker shape, legend order and a label at their last
    point.
    """
    fmt = _formatter(value_format)
    cleaned: list[tuple[str, list[tuple[date, float | None]]]] = [
        (name, sorted(((day, _finite(v)) for day, v in points), key=lambda p: p[0]))
        for name, points in series
    ]
    days = [day for _, points in cleaned for day, v in points if v is not None]
    values = [v for _, points in cleaned for _, v in points if v is not None]
    if not values:
        return _no_data("line", title=title, width=width, height=height)

    start, end = min(days), max(days)
    bounds = [*values, 0.0] + (
        [target] if target is not None and math.isfinite(target) else []
    )
    ticks = nice_ticks(min(bounds), max(bounds))
    y_lo, y_hi = ticks[0], ticks[-1]
    tick_labels = [fmt(t) for t in ticks]

    names = [name for name, _ in cleaned]
    legend_h = 22.0
    top, bottom = 34.0 + legend_h, 36.0
    left = 24.0 + max(len(s) for s in tick_labels) * FONT_SIZE * CHAR_WIDTH + 8
    end_label_chars = 16
    right = min(width * 0.25, end_label_chars * FONT_SIZE * CHAR_WIDTH) + 16
    plot_w = max(1.0, width - left - right)
    plot_h = max(1.0, height - top - bottom)
    span_days = (end - start).days

    def sx(day: date) -> float:
        if span_days == 0:
            return left + plot_w / 2
        return left + (day - start).days / span_days * plot_w

    def sy(v: float) -> float:
        return top + plot_h - (v - y_lo) / (y_hi - y_lo) * plot_h

    body: list[str] = []
    # Grid and y axis.
    axis = [f'<g class="y-axis" fill="{MUTED}">']
    for tick, label in zip(ticks, tick_labels, strict=True):
        y = sy(tick)
        stroke = MUTED if tick == 0 else GRID
        axis.append(
            f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(left + plot_w)}" y2="{_n(y)}" '
            f'stroke="{stroke}" stroke-width="1"/>'
        )
        axis.append(_text(left - 6, y, label, anchor="end", fill=MUTED))
    mid = top + plot_h / 2
    axis.append(
        _text(
            14,
            mid,
            y_label,
            max_chars=_max_chars(plot_h),
            anchor="middle",
            fill=MUTED,
            css_class="axis-title",
            transform=f"rotate(-90 {_n(14)} {_n(mid + FONT_SIZE * 0.35)})",
        )
    )
    axis.append("</g>")
    body.extend(axis)
    # X axis.
    x_axis = [f'<g class="x-axis" fill="{MUTED}">']
    for day, label in (
        date_ticks(start, end) if span_days else [(start, _day_label(start))]
    ):
        x = sx(day)
        x_axis.append(
            f'<line x1="{_n(x)}" y1="{_n(top + plot_h)}" x2="{_n(x)}" '
            f'y2="{_n(top + plot_h + 4)}" stroke="{MUTED}" stroke-width="1"/>'
        )
        x_axis.append(_text(x, top + plot_h + 14, label, anchor="middle", fill=MUTED))
    x_axis.append("</g>")
    body.extend(x_axis)

    # Target, labelled in the right margin with the series.
    ends: list[tuple[str, str, float]] = []  # (label, colour, y) for the right margin
    if target is not None and math.isfinite(target):
        y = sy(target)
        body.append(
            f'<g class="target"><title>{_esc(target_label)}: {_esc(fmt(target))}</title>'
            f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(left + plot_w)}" y2="{_n(y)}" '
            f'stroke="{TARGET}" stroke-width="1.5" stroke-dasharray="6 4"/></g>'
        )
        ends.append((f"{target_label} {fmt(target)}", TARGET, y))

    # Series, with end labels nudged apart.
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
        group = [f'<g class="series" data-series="{i}"><title>{_esc(name)}</title>']
        for run in runs:
            if len(run) > 1:
                coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in run)
                group.append(
                    f'<polyline class="line" points="{coords}" fill="none" stroke="{colour}" '
                    'stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>'
                )
            group.extend(_marker(shape, x, y, colour) for x, y in run)
        group.append("</g>")
        body.extend(group)
        present = [(day, v) for day, v in points if v is not None]
        if present:
            last_day, last_v = present[-1]
            ends.append((name, colour, sy(last_v)))
            low = min(v for _, v in present)
            high = max(v for _, v in present)
            gaps = sum(1 for _, v in points if v is None)
            summaries.append(
                f"{_clean(name)}: latest {fmt(last_v)} on {last_day.isoformat()}, "
                f"range {fmt(low)} to {fmt(high)}"
                + (f", {gaps} missing" if gaps else "")
            )
        else:
            summaries.append(f"{_clean(name)}: no data")
    label_ys = _spread([y for _, _, y in ends], FONT_SIZE + 2, top, top + plot_h)
    label_x = left + plot_w + 8
    for (label, colour, _), y in zip(ends, label_ys, strict=True):
        body.append(
            _text(
                label_x,
                y,
                label,
                max_chars=_max_chars(width - label_x - 4),
                fill=colour,
                css_class="end-label",
            )
        )

    # Legend, in series order, under the title.
    legend = ['<g class="legend">']
    x, y = 12.0, 40.0
    items = [
        *names,
        *([target_label] if target is not None and math.isfinite(target) else []),
    ]
    item_w = min(180.0, (width - 24) / max(1, len(items)))
    for k, name in enumerate(items):
        if k < len(names):
            colour = PALETTE[k % len(PALETTE)]
            legend.append(
                f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x + 18)}" y2="{_n(y)}" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
            legend.append(_marker(MARKERS[k % len(MARKERS)], x + 9, y, colour))
        else:
            legend.append(
                f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x + 18)}" y2="{_n(y)}" '
                f'stroke="{TARGET}" stroke-width="1.5" stroke-dasharray="6 4"/>'
            )
        legend.append(
            _text(
                x + 24,
                y,
                name,
                max_chars=_max_chars(item_w - 32),
                css_class="legend-label",
            )
        )
        x += item_w
    legend.append("</g>")
    body.extend(legend)

    period = (
        start.isoformat()
        if span_days == 0
        else f"{start.isoformat()} to {end.isoformat()}"
    )
    desc = (
        f"Line chart of {_clean(y_label)}, {period}, {len(cleaned)} series. "
        + "; ".join(summaries)
        + "."
        + (
            f" {_clean(target_label)}: {fmt(target)}."
            if target is not None and math.isfinite(target)
            else ""
        )
    )
    return _svg("line", title=title, desc=desc, width=width, height=height, body=body)


def _day_label(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


# --- heat map -------------------------------------------------------------------------


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    return (
        int(hex_colour[1:3], 16),
        int(hex_colour[3:5], 16),
        int(hex_colour[5:7], 16),
    )


def _mix(a: tuple[float, float, float], b: tuple[float, float, float], t: float) -> str:
    r, g, b_ = (round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return f"#{r:02x}{g:02x}{b_:02x}"


_STOPS = [
    _rgb(_mix(_rgb(bg), _rgb(strong), share))
    for strong, bg, share in (_RED, _AMBER, _GREEN)
]


def scale_colour(share: float) -> str:
    """The fill for a position on the readiness scale: 0 red, 0.5 amber, 1 green."""
    share = min(1.0, max(0.0, share))
    if share <= 0.5:
        return _mix(_STOPS[0], _STOPS[1], share * 2)
    return _mix(_STOPS[1], _STOPS[2], share * 2 - 1)


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
) -> SafeString:
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
        return _no_data("heat", title=title, width=width, height=140)
    fmt = _formatter(value_format)
    lo, hi = domain
    span = (hi - lo) or 1.0

    pad, top, cell_h, legend_h = 12.0, 40.0, 30.0, 40.0
    label_w = min(width * 0.3, max(len(r) for r in rows) * FONT_SIZE * CHAR_WIDTH + 8)
    grid_x = pad + label_w + 8
    cell_w = max(24.0, (width - grid_x - pad) / len(columns))
    width = max(width, grid_x + cell_w * len(columns) + pad)
    header_h = 22.0
    grid_y = top + header_h
    height = grid_y + cell_h * len(rows) + legend_h

    body: list[str] = ['<g class="columns">']
    for c, column in enumerate(columns):
        body.append(
            _text(
                grid_x + cell_w * (c + 0.5),
                top + header_h / 2,
                column,
                max_chars=_max_chars(cell_w - 6),
                anchor="middle",
                fill=MUTED,
                css_class="column-label",
            )
        )
    body.append("</g>")

    cells: list[tuple[str, str, float]] = []
    missing = 0
    for r, (row, line) in enumerate(zip(rows, values, strict=True)):
        cy = grid_y + cell_h * (r + 0.5)
        body.append(f'<g class="heat-row" data-row="{r}">')
        body.append(
            _text(
                pad + label_w,
                cy,
                row,
                max_chars=_max_chars(label_w),
                anchor="end",
                css_class="row-label",
            )
        )
        for c, (column, raw) in enumerate(zip(columns, line, strict=True)):
            value = _finite(raw)
            x, y = grid_x + cell_w * c, grid_y + cell_h * r
            if value is None:
                fill, text = NO_DATA_FILL, "—"
                missing += 1
                tip = f"{_clean(row)}, {_clean(column)}: no data"
            else:
                share = (value - lo) / span
                fill = scale_colour(share if low_is_bad else 1 - share)
                text = fmt(value)
                cells.append((_clean(row), _clean(column), value))
                tip = f"{_clean(row)}, {_clean(column)}: {text}"
            body.append(
                f'<g class="cell" data-column="{c}"><title>{_esc(tip)}</title>'
                f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(cell_w)}" height="{_n(cell_h)}" '
                f'fill="{fill}" stroke="#ffffff" stroke-width="2"/>'
                + _text(
                    x + cell_w / 2,
                    y + cell_h / 2,
                    text,
                    anchor="middle",
                    css_class="cell-value",
                )
                + "</g>"
            )
        body.append("</g>")

    # Legend: five swatches along the domain.
    legend_y = grid_y + cell_h * len(rows) + 14
    body.append(f'<g class="scale" fill="{MUTED}">')
    body.append(_text(pad, legend_y + 8, "Scale:", fill=MUTED))
    for k in range(5):
        share = k / 4
        value = lo + share * span
        sw_x = pad + 48 + k * 64
        fill = scale_colour(share if low_is_bad else 1 - share)
        body.append(
            f'<rect x="{_n(sw_x)}" y="{_n(legend_y)}" width="16" height="16" fill="{fill}"/>'
        )
        body.append(_text(sw_x + 20, legend_y + 8, fmt(value), fill=MUTED))
    body.append("</g>")

    summary = f"Heat map, {len(rows)} rows by {len(columns)} columns"
    if cells:
        worst = (
            min(cells, key=lambda cell: cell[2])
            if low_is_bad
            else max(cells, key=lambda cell: cell[2])
        )
        best = (
            max(cells, key=lambda cell: cell[2])
            if low_is_bad
            else min(cells, key=lambda cell: cell[2])
        )
        summary += (
            f", values {fmt(min(c[2] for c in cells))} to {fmt(max(c[2] for c in cells))}; "
            f"weakest {worst[0]}, {worst[1]} ({fmt(worst[2])}); "
            f"strongest {best[0]}, {best[1]} ({fmt(best[2])})"
        )
    if missing:
        summary += f"; {missing} without data"
    return _svg(
        "heat", title=title, desc=summary + ".", width=width, height=height, body=body
    )
