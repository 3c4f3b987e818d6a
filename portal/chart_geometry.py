"""The pieces every server-drawn chart is made of: text that fits, scales and their ticks,
colours, point markers and the chart's frame. Plain data, no markup: the templates under
``templates/portal/charts/`` turn these into SVG (and Django escapes the text there).

Coordinates are floats rounded to hundredths, in the chart's own units (its ``viewBox``).
A label's ``y`` is its baseline, placed so that the text is centred on the position it
was asked for (baselines are the only vertical anchor every renderer agrees on).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

FONT_FAMILY = (
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
)
FONT_SIZE = 12
TITLE_SIZE = 14
# Average advance of a character in a sans font, as a share of the font size; used to
# decide where to cut labels (there are no font metrics on the server).
CHAR_WIDTH = 0.6

# Colours follow static/css/runway.css.
TEXT = "#1b1f24"
MUTED = "#57606a"
GRID = "#eaeef2"
PRIMARY = "#1d4ed8"
TARGET = "#57606a"
NO_DATA_FILL = "#eaeef2"
WHITE = "#ffffff"

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


# --- numbers and text -----------------------------------------------------------------


def coordinate(x: float) -> float:
    """A position rounded to hundredths of a unit, never ``-0.0``."""
    return round(x, 2) + 0.0


def clean(text: object) -> str:
    """``text`` without the characters XML forbids (a PDF renderer would choke on them)."""
    return _XML_INVALID.sub("", str(text))


def one_line(text: object) -> str:
    """Clean text with its runs of whitespace made single spaces."""
    return " ".join(clean(text).split())


def max_chars(space: float, size: float = FONT_SIZE) -> int:
    """How many characters fit, about, in ``space`` units at font ``size``."""
    return max(1, int(space / (size * CHAR_WIDTH)))


def text_width(chars: int, size: float = FONT_SIZE) -> float:
    return chars * size * CHAR_WIDTH


def truncate(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis if longer."""
    text = one_line(text)
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…"


def formatter(value_format: ValueFormat) -> Callable[[float], str]:
    """A ``str.format`` pattern such as ``"{:,.0f}"``, or a callable, as a callable."""
    if isinstance(value_format, str):
        return value_format.format
    return value_format


def format_number(value: float) -> str:
    """Whole numbers without decimals, others with up to two; thousands separated."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def finite(value: float | None) -> float | None:
    """``value`` as a float, or ``None`` when it is missing, infinite or not a number."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Label:
    """One line of text. ``full`` holds the whole text when ``text`` had to be cut (the
    template shows it as a tooltip); ``size`` and ``fill`` are ``None`` to inherit the
    chart's; ``rotate`` turns the text about its anchor, in degrees."""

    x: float
    y: float
    text: str
    full: str = ""
    anchor: str = "start"
    size: float | None = None
    fill: str | None = None
    weight: str = ""
    css_class: str = ""
    rotate: int = 0


def label(
    x: float,
    y: float,
    content: object,
    *,
    limit: int | None = None,
    anchor: str = "start",
    size: float | None = None,
    fill: str | None = None,
    weight: str = "",
    css_class: str = "",
    rotate: int = 0,
) -> Label:
    """Text centred vertically on ``y``, cut to ``limit`` characters when given."""
    full = one_line(content)
    shown = truncate(full, limit) if limit is not None else full
    baseline = y + (size or FONT_SIZE) * 0.35
    return Label(
        x=coordinate(x),
        y=coordinate(baseline),
        text=shown,
        full=full if shown != full else "",
        anchor=anchor,
        size=size,
        fill=fill,
        weight=weight,
        css_class=css_class,
        rotate=rotate,
    )


# --- shapes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    x: float
    y: float


def point(x: float, y: float) -> Point:
    return Point(coordinate(x), coordinate(y))


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float


def rect(x: float, y: float, width: float, height: float) -> Rect:
    return Rect(coordinate(x), coordinate(y), coordinate(width), coordinate(height))


@dataclass(frozen=True)
class Segment:
    """A straight line; ``dashed`` draws it as a target does."""

    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    width: float = 1
    dashed: bool = False


def segment(
    x1: float,
    y1: float,
    x2: float,
    y2: float,
    *,
    stroke: str,
    width: float = 1,
    dashed: bool = False,
) -> Segment:
    return Segment(
        coordinate(x1),
        coordinate(y1),
        coordinate(x2),
        coordinate(y2),
        stroke=stroke,
        width=width,
        dashed=dashed,
    )


@dataclass(frozen=True)
class Marker:
    """A point marker: a ``circle`` (centre and radius), a ``rect`` (its box) or a
    ``polygon`` (its vertices). A hollow marker is white with a ``stroke``."""

    element: str
    fill: str
    stroke: str = ""
    centre: Point = Point(0, 0)
    radius: float = 0
    box: Rect | None = None
    vertices: tuple[Point, ...] = ()


def marker(shape: str, x: float, y: float, colour: str, r: float = 3.5) -> Marker:
    """The marker called ``shape`` (one of ``MARKERS``) centred on ``(x, y)``."""
    hollow = shape in ("ring", "box")
    fill, stroke = (WHITE, colour) if hollow else (colour, "")
    if shape in ("ring", "circle"):
        return Marker("circle", fill, stroke, centre=point(x, y), radius=coordinate(r))
    if shape in ("box", "square"):
        return Marker("rect", fill, stroke, box=rect(x - r, y - r, 2 * r, 2 * r))
    if shape == "triangle":
        corners = [(x, y - r * 1.2), (x + r * 1.1, y + r), (x - r * 1.1, y + r)]
    elif shape == "diamond":
        d = r * 1.3
        corners = [(x, y - d), (x + d, y), (x, y + d), (x - d, y)]
    else:
        raise ValueError(f"no marker called {shape!r}")
    return Marker("polygon", fill, stroke, vertices=tuple(point(*c) for c in corners))


# --- frame ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """What every chart has: its size, its accessible name (``title``) and description
    (``desc``, the data in words), the heading drawn at the top, and ``no_data`` in
    place of the chart when there is nothing to draw. ``ident`` is stable for the same
    chart and differs between charts, so several can share a page."""

    kind: str
    ident: str
    width: float
    height: float
    title: str
    desc: str
    heading: Label
    no_data: Label | None = None
    font_family: str = FONT_FAMILY
    font_size: float = FONT_SIZE
    text_colour: str = TEXT


def frame(
    kind: str,
    *,
    title: str,
    desc: str,
    width: float,
    height: float,
    content: object = None,
    empty: bool = False,
) -> Frame:
    """The frame of a ``kind`` chart; ``content`` (its drawn parts) tells it apart from
    another chart with the same title."""
    title, desc = clean(title), clean(desc)
    digest = hashlib.sha1(
        "\n".join([kind, title, desc, repr(content)]).encode("utf-8", "replace"),
        usedforsecurity=False,
    ).hexdigest()[:10]
    title_x = 12.0
    return Frame(
        kind=kind,
        ident=f"chart-{kind}-{digest}",
        width=coordinate(width),
        height=coordinate(height),
        title=title,
        desc=desc,
        heading=label(
            title_x,
            20,
            title,
            limit=max_chars(width - 2 * title_x, TITLE_SIZE),
            size=TITLE_SIZE,
            weight="600",
            css_class="chart-title",
        ),
        no_data=label(
            width / 2,
            height / 2 + 10,
            "No data",
            anchor="middle",
            fill=MUTED,
            size=FONT_SIZE + 2,
            css_class="no-data",
        )
        if empty
        else None,
    )


def no_data_frame(kind: str, *, title: str, width: float, height: float) -> Frame:
    return frame(
        kind, title=title, desc="No data.", width=width, height=height, empty=True
    )


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
            name = _MONTHS[tick.month - 1]
            if not ticks or tick.month == 1:
                name = f"{name} {tick.year}"
            ticks.append((tick, name))
            tick = _month_add(tick, step)
        return ticks
    step = next((s for s in (1, 2, 7, 14) if s * count >= span), 14)
    days = [start + timedelta(days=k) for k in range(0, span + 1, step)]
    return [(d, f"{d.day} {_MONTHS[d.month - 1]}") for d in days]


def day_label(day: date) -> str:
    """A day as the x axis names a lone one: "3 Mar 2025"."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def spread(positions: Sequence[float], gap: float, lo: float, hi: float) -> list[float]:
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


# --- axes and legend ------------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    """A gridline or tick mark with its label."""

    mark: Segment
    label: Label


def value_axis(
    ticks: Sequence[float],
    labels: Sequence[str],
    *,
    left: float,
    right: float,
    to_y: Callable[[float], float],
) -> tuple[Tick, ...]:
    """A gridline across the plot, from ``left`` to ``right``, at each tick value (the
    zero line darker), each labelled left of the plot."""
    return tuple(
        Tick(
            segment(
                left,
                to_y(tick),
                right,
                to_y(tick),
                stroke=MUTED if tick == 0 else GRID,
            ),
            label(left - 6, to_y(tick), text, anchor="end", fill=MUTED),
        )
        for tick, text in zip(ticks, labels, strict=True)
    )


def date_axis(
    start: date, end: date, *, baseline: float, to_x: Callable[[date], float]
) -> tuple[Tick, ...]:
    """Tick marks under the plot's ``baseline`` at a few dates from ``start`` to ``end``,
    or at the one day (with its year) when they are the same."""
    days = date_ticks(start, end) if end > start else [(start, day_label(start))]
    return tuple(
        Tick(
            segment(to_x(day), baseline, to_x(day), baseline + 4, stroke=MUTED),
            label(to_x(day), baseline + 14, text, anchor="middle", fill=MUTED),
        )
        for day, text in days
    )


@dataclass(frozen=True)
class LegendEntry:
    """A sample of the line (and the series' marker; a target has none) and its name."""

    line: Segment
    marker: Marker | None
    label: Label


def legend(
    names: Sequence[str], target_label: str | None, width: float
) -> tuple[LegendEntry, ...]:
    """The legend under a chart's title: series in order, in the colours and markers of
    ``PALETTE`` and ``MARKERS``, then the target if there is one."""
    y = 40.0
    count = len(names) + (target_label is not None)
    item_w = min(180.0, (width - 24) / max(1, count))

    def name_label(x: float, name: str) -> Label:
        return label(
            x + 24, y, name, limit=max_chars(item_w - 32), css_class="legend-label"
        )

    entries: list[LegendEntry] = []
    for k, name in enumerate(names):
        x = 12.0 + item_w * k
        colour = PALETTE[k % len(PALETTE)]
        entries.append(
            LegendEntry(
                segment(x, y, x + 18, y, stroke=colour, width=2),
                marker(MARKERS[k % len(MARKERS)], x + 9, y, colour),
                name_label(x, name),
            )
        )
    if target_label is not None:
        x = 12.0 + item_w * len(names)
        entries.append(
            LegendEntry(
                segment(x, y, x + 18, y, stroke=TARGET, width=1.5, dashed=True),
                None,
                name_label(x, target_label),
            )
        )
    return tuple(entries)


# --- colour scale ---------------------------------------------------------------------


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
