"""Server-drawn SVG charts: faithful to the data, escaped, accessible, printable.

The layout is checked on the chart objects (where bars and points fall); what a reader
gets is checked on the rendered templates, read as a screen reader or a PDF reader would
(visible text, accessible name and description, tooltips, how many bars or points)."""

from __future__ import annotations

import io
import math
from datetime import date, timedelta

import pytest
from bs4 import Tag
from django.template.loader import render_to_string
from django.test import override_settings
from django.utils import translation
from pypdf import PdfReader

from portal.chart_geometry import (
    MARKERS,
    PALETTE,
    date_ticks,
    nice_ticks,
    scale_colour,
)
from portal.svg_charts import (
    BarChart,
    HeatMap,
    LineChart,
    bar_chart,
    heat_map,
    line_chart,
)
from tests.conftest import require
from tests.html import page, text

EVIL = 'Team <script>alert("x")</script> & Co'
D0 = date(2025, 1, 6)
TEMPLATES = {
    BarChart: "portal/charts/bar_chart.svg.html",
    LineChart: "portal/charts/line_chart.svg.html",
    HeatMap: "portal/charts/heat_map.svg.html",
}


def markup(chart: BarChart | LineChart | HeatMap) -> str:
    return render_to_string(TEMPLATES[type(chart)], {"chart": chart})


def draw(chart: BarChart | LineChart | HeatMap) -> Tag:
    """The chart as a page holds it: its ``<svg>`` element."""
    svg = page(markup(chart)).find("svg")
    assert isinstance(svg, Tag)
    return svg


def shown(node: Tag) -> list[str]:
    """The text drawn on the chart, in document order."""
    return [text(t) for t in node.find_all("text")]


def tooltips(svg: Tag) -> list[str]:
    return [text(t) for t in svg.find_all("title")]


def name_and_description(svg: Tag) -> tuple[str, str]:
    """What assistive technology announces: the elements ``aria-labelledby`` points at."""
    title_id, desc_id = svg["aria-labelledby"].split()
    return text(svg.find(id=title_id)), text(svg.find(id=desc_id))


def assert_accessible(svg: Tag, title: str) -> None:
    assert svg.get("role") == "img"
    assert svg.get("viewbox") == f"0 0 {svg['width']} {svg['height']}"
    assert "sans-serif" in svg["font-family"]
    name, description = name_and_description(svg)
    assert name == title and description


def weekly(values):
    return [(D0 + timedelta(days=7 * k), v) for k, v in enumerate(values)]


def widths(chart: BarChart) -> list[float]:
    return [bar.box.width for bar in chart.bars if bar.box is not None]


# --- bar chart ------------------------------------------------------------------------


def test_bar_lengths_are_proportional_to_the_values_from_one_zero_line():
    chart = bar_chart([("Idea", 2), ("Prototype", 8), ("Pilot", 4)], title="Funnel")
    idea, prototype, pilot = widths(chart)
    assert prototype > pilot > idea > 0
    assert prototype / idea == pytest.approx(4, rel=0.01)
    assert pilot / idea == pytest.approx(2, rel=0.01)
    boxes = [bar.box for bar in chart.bars if bar.box is not None]
    assert len({box.x for box in boxes}) == 1
    assert [box.y for box in boxes] == sorted(box.y for box in boxes)


def test_a_bar_chart_reads_as_an_image_named_by_its_title_with_the_data_in_words():
    svg = draw(bar_chart([("Idea", 2), ("Prototype", 8), ("Pilot", 4)], title="Funnel"))
    assert_accessible(svg, "Funnel")
    assert len(svg.select("rect.bar")) == 3
    assert shown(svg) == ["Funnel", "Idea", "2", "Prototype", "8", "Pilot", "4"]
    assert tooltips(svg)[1:] == ["Idea: 2", "Prototype: 8", "Pilot: 4"]
    _, description = name_and_description(svg)
    assert description == "Bar chart, 3 bars. Idea: 2; Prototype: 8; Pilot: 4."


def test_bar_value_format_and_all_zero_values():
    chart = bar_chart([("A", 0), ("B", 0)], title="Zeros", value_format="{:.1f}")
    assert widths(chart) == [0, 0]
    assert shown(draw(chart)).count("0.0") == 2


def test_bar_negative_and_non_finite_values():
    chart = bar_chart([("Up", 3), ("Down", -3), ("Broken", math.nan)], title="Mixed")
    up, down, broken = (bar.box for bar in chart.bars)
    assert broken is None and up is not None and down is not None
    assert up.width == pytest.approx(down.width)
    assert down.x + down.width == pytest.approx(up.x)
    svg = draw(chart)
    assert len(svg.select("rect.bar")) == 2
    assert "Broken: —" in tooltips(svg) and "—" in shown(svg)


def test_bar_single_bar_and_empty_input():
    assert len(draw(bar_chart([("Only", 5)], title="One")).select("rect.bar")) == 1
    empty = draw(bar_chart([], title="Nothing"))
    assert_accessible(empty, "Nothing")
    assert shown(empty) == ["Nothing", "No data"]
    assert name_and_description(empty) == ("Nothing", "No data.")
    assert not empty.select("rect.bar")


def test_labels_are_escaped_text_not_markup():
    rendered = markup(bar_chart([(EVIL, 1)], title="Spend & <b>risk</b>"))
    assert "<script>" not in rendered and "<b>" not in rendered
    svg = page(rendered).find("svg")
    assert svg.find("script") is None and svg.find("b") is None
    assert name_and_description(svg)[0] == "Spend & <b>risk</b>"
    assert f"{EVIL}: 1" in tooltips(svg)  # the label is cut, the tooltip has it all
    assert any(label.startswith("Team <script>") for label in shown(svg))


def test_characters_xml_forbids_are_dropped():
    svg = draw(bar_chart([("bell\x07 and\x00 null", 1)], title="Odd\x0b"))
    assert name_and_description(svg)[0] == "Odd"
    assert "bell and null" in shown(svg)


def test_long_labels_are_cut_with_the_full_label_in_a_tooltip():
    long = "Customer support copilot for the retail banking contact centre, phase two"
    svg = draw(bar_chart([(long, 3), ("Short", 1)], title="Funnel", width=480))
    cut = [t for t in shown(svg) if t.endswith("…")]
    assert len(cut) == 1 and long.startswith(cut[0][:-1])
    assert "Short" in shown(svg)
    assert long in tooltips(svg)


def test_several_charts_on_one_page_have_their_own_names():
    charts = [
        bar_chart([("A", 1)], title="Funnel"),
        bar_chart([("A", 2)], title="Funnel"),
        line_chart([("S", weekly([1, 2]))], title="Spend", y_label="EUR"),
    ]
    document = page("".join(markup(chart) for chart in charts))
    ids = [node["id"] for node in document.find_all(id=True)]
    assert len(ids) == 6 and len(set(ids)) == 6
    descriptions = [name_and_description(svg)[1] for svg in document.find_all("svg")]
    assert descriptions[:2] == [
        "Bar chart, 1 bars. A: 1.",
        "Bar chart, 1 bars. A: 2.",
    ]


def test_coordinates_are_not_localised():
    chart = bar_chart([("A", 1234.5), ("B", 2)], title="Spend", width=6400)
    with override_settings(USE_THOUSAND_SEPARATOR=True), translation.override("de"):
        svg = draw(chart)
    (first, _) = svg.select("rect.bar")
    assert float(first["width"]) == chart.bars[0].box.width > 1000
    assert svg["viewbox"] == "0 0 6400.0 108.0"


# --- line chart -----------------------------------------------------------------------


def test_line_points_follow_the_data_and_none_makes_a_gap():
    chart = line_chart(
        [
            ("Team A", weekly([10, 20, None, 40, 50])),
            ("Team B", weekly([5, 5, 5, 5, 5])),
        ],
        title="Spend",
        y_label="EUR per week",
    )
    team_a, team_b = chart.series
    first, second = (run.line for run in team_a.runs)  # broken at the gap
    assert len(first) == 2 and len(second) == 2
    # Later dates further right; larger values higher up (smaller y).
    assert first[0].x < first[1].x < second[0].x < second[1].x
    assert first[0].y > first[1].y > second[0].y > second[1].y
    # Equal spacing in time gives equal spacing in x; y is linear in the value.
    step = first[1].x - first[0].x
    assert second[0].x - first[1].x == pytest.approx(2 * step, abs=0.02)
    (b_run,) = team_b.runs
    assert len(b_run.line) == 5 and len({p.y for p in b_run.line}) == 1
    zero_y = first[0].y + (first[0].y - first[1].y)  # 10 -> 20 rises as 0 -> 10
    assert b_run.line[0].y == pytest.approx((zero_y + first[0].y) / 2, abs=0.02)

    svg = draw(chart)
    assert_accessible(svg, "Spend")
    series = svg.select("g.series")
    assert [tooltips(group) for group in series] == [["Team A"], ["Team B"]]
    assert len(series[0].select("polyline")) == 2
    assert len(series[0].select(".point")) == 4  # a marker per present value
    assert len(series[1].select(".point")) == 5
    _, description = name_and_description(svg)
    assert "Team A: latest 50 on 2025-02-03" in description
    assert "1 missing" in description


def test_line_target_legend_end_labels_and_ticks():
    svg = draw(
        line_chart(
            [
                ("Quality", weekly([0.7, 0.8, 0.9])),
                ("Baseline", weekly([0.6, 0.6, 0.65])),
            ],
            title="Quality trend",
            y_label="score",
            target=0.85,
            value_format="{:.2f}",
        )
    )
    target = svg.select_one("g.target")
    assert tooltips(target) == ["Target: 0.85"]
    assert target.find("line").get("stroke-dasharray")
    assert shown(svg.select_one("g.legend")) == ["Quality", "Baseline", "Target"]
    end_labels = [text(node) for node in svg.select("text.end-label")]
    assert set(end_labels) == {"Quality", "Baseline", "Target 0.85"}
    y_axis = shown(svg.select_one("g.y-axis"))
    assert y_axis == ["0.00", "0.20", "0.40", "0.60", "0.80", "1.00", "score"]
    assert shown(svg.select_one("g.x-axis")) == ["6 Jan", "13 Jan", "20 Jan"]
    # Series differ by marker shape too, not just colour.
    quality, baseline = svg.select("g.series")
    assert quality.select("circle.point") and baseline.select("rect.point")
    assert "Target: 0.85" in name_and_description(svg)[1]


def test_line_single_point_all_zero_and_all_none():
    chart = line_chart([("Solo", [(D0, 3.0)])], title="One", y_label="EUR")
    ((run,),) = (series.runs for series in chart.series)
    assert run.line == () and len(run.markers) == 1
    assert 0 < run.markers[0].centre.x < chart.frame.width
    single = draw(chart)
    assert len(single.select("g.series .point")) == 1 and not single.find("polyline")
    assert shown(single.select_one("g.x-axis")) == ["6 Jan 2025"]

    zeros = line_chart([("Flat", weekly([0, 0, 0]))], title="Z", y_label="EUR")
    ((flat,),) = (series.runs for series in zeros.series)
    assert len({p.y for p in flat.line}) == 1

    for nothing in ([("Gone", weekly([None, None]))], []):
        svg = draw(line_chart(nothing, title="N", y_label="EUR"))
        assert shown(svg) == ["N", "No data"]
        assert name_and_description(svg) == ("N", "No data.")


def test_line_series_names_are_escaped():
    rendered = markup(
        line_chart([(EVIL, weekly([1, 2]))], title="Spend", y_label="EUR <per> day")
    )
    assert "<script>" not in rendered
    svg = page(rendered).find("svg")
    assert svg.find("script") is None
    assert EVIL in tooltips(svg)
    assert any(label.startswith("Team <script>") for label in shown(svg))
    assert "EUR <per> day" in shown(svg)


def test_nice_ticks():
    assert nice_ticks(0, 97) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1]
    assert nice_ticks(0, 0) == [0, 0.2, 0.4, 0.6, 0.8, 1]
    assert nice_ticks(-12, 30) == [-20, -10, 0, 10, 20, 30]
    assert nice_ticks(0, 1234)[-1] >= 1234


def test_date_ticks():
    assert [label for _, label in date_ticks(date(2025, 1, 15), date(2025, 6, 30))] == [
        "Feb 2025",
        "Mar",
        "Apr",
        "May",
        "Jun",
    ]
    short = date_ticks(date(2025, 3, 1), date(2025, 3, 29))
    assert short[0] == (date(2025, 3, 1), "1 Mar") and len(short) <= 6
    long = date_ticks(date(2023, 1, 1), date(2025, 12, 31))
    assert 2 <= len(long) <= 6


# --- heat map -------------------------------------------------------------------------


def test_heat_map_cells_numbers_and_gaps():
    chart = heat_map(
        ["Support Copilot", EVIL],
        ["Data", "Security", "Evaluation"],
        [[10, 50, 90], [None, 100, 0]],
        title="Readiness",
    )
    # Cells sit on a grid: same x per column, same y per row.
    xs = [[cell.box.x for cell in row.cells] for row in chart.rows]
    assert xs[0] == xs[1] and xs[0] == sorted(xs[0])
    assert all(len({cell.box.y for cell in row.cells}) == 1 for row in chart.rows)

    svg = draw(chart)
    assert_accessible(svg, "Readiness")
    assert shown(svg.select_one("g.columns")) == ["Data", "Security", "Evaluation"]
    rows = svg.select("g.heat-row")
    assert shown(rows[0]) == ["Support Copilot", "10", "50", "90"]
    assert shown(rows[1])[1:] == ["—", "100", "0"]
    assert shown(rows[1])[0].startswith("Team <script>") and EVIL in tooltips(rows[1])
    assert f"{EVIL}, Data: no data" in tooltips(rows[1])
    fills = [
        [cell.find("rect")["fill"] for cell in row.select("g.cell")] for row in rows
    ]
    assert fills[1][2] == scale_colour(0) and fills[1][1] == scale_colour(1)
    assert fills[1][0] not in {scale_colour(k / 10) for k in range(11)}
    assert shown(svg.select_one("g.scale")) == ["Scale:", "0", "25", "50", "75", "100"]
    _, description = name_and_description(svg)
    assert f"weakest {EVIL}, Evaluation (0)" in description
    assert "1 without data" in description


def test_heat_map_high_is_bad_reverses_the_scale():
    chart = heat_map(["P"], ["Risk"], [[100]], title="Risk", low_is_bad=False)
    assert draw(chart).select_one("g.cell rect")["fill"] == scale_colour(0)


def rgb(colour):
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def contrast(foreground, background):
    def luminance(colour):
        channels = [c / 255 for c in rgb(colour)]
        linear = [
            c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
            for c in channels
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted(
        (luminance(foreground), luminance(background)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


def test_heat_map_scale_goes_red_amber_green_with_readable_numbers():
    low, mid, high = rgb(scale_colour(0)), rgb(scale_colour(0.5)), rgb(scale_colour(1))
    assert low[0] > low[1] and high[1] > high[0] and mid[0] > mid[2] and mid[1] > mid[2]
    for k in range(21):
        fill = scale_colour(k / 20)
        assert contrast("#1b1f24", fill) >= 4.5, (k, fill)


def test_series_colours_read_as_text_and_differ_with_shapes():
    # End labels are drawn in the series colour on white.
    assert all(contrast(colour, "#ffffff") >= 4.5 for colour in PALETTE)
    assert len(set(PALETTE)) == len(PALETTE) and len(set(MARKERS)) == len(MARKERS)
    svg = draw(
        line_chart(
            [(f"S{i}", weekly([i, i + 1])) for i in range(len(MARKERS))],
            title="Many",
            y_label="n",
        )
    )
    first_points = [group.select_one(".point") for group in svg.select("g.series")]
    shapes = {(p.name, p.get("fill"), p.get("stroke")) for p in first_points}
    assert len(shapes) == len(MARKERS)
    legend = svg.select_one("g.legend")
    assert len(legend.select(".point")) == len(MARKERS)
    assert shown(legend) == [f"S{i}" for i in range(len(MARKERS))]


def test_heat_map_empty_and_mismatched_input():
    assert "No data" in shown(draw(heat_map([], ["Data"], [], title="Empty")))
    assert "No data" in shown(draw(heat_map(["P"], [], [[]], title="Empty")))
    with pytest.raises(ValueError):
        heat_map(["P", "Q"], ["Data"], [[1]], title="Bad")
    with pytest.raises(ValueError):
        heat_map(["P"], ["Data", "Security"], [[1]], title="Bad")


# --- printing -------------------------------------------------------------------------


def test_weasyprint_renders_the_charts_to_pdf():
    try:
        import weasyprint
    except OSError as error:  # Pango or its friends missing
        require(False, f"WeasyPrint cannot load its system libraries: {error}")
        return
    charts = [
        bar_chart([("1. Idea", 3), (EVIL, 5)], title="Projects per step"),
        line_chart(
            [("Team A", weekly([1, None, 3])), ("Team B", weekly([2, 2, 2]))],
            title="Spend",
            y_label="EUR",
            target=2.5,
        ),
        heat_map(["P"], ["Data", "Security"], [[40, None]], title="Readiness"),
        bar_chart([], title="Empty"),
    ]
    document = (
        "<!doctype html><html><body>"
        + "".join(markup(chart) for chart in charts)
        + "</body></html>"
    )
    pdf = weasyprint.HTML(string=document).write_pdf()
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    printed = " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(pdf)).pages
    )
    for words in ("Projects per step", "1. Idea", "Team A", "Target 2.5", "No data"):
        assert words in printed
