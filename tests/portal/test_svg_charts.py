"""Server-drawn SVG charts: well-formed, faithful to the data, escaped, accessible, printable."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from django.utils.safestring import SafeString

from portal.svg_charts import (
    MARKERS,
    PALETTE,
    bar_chart,
    date_ticks,
    heat_map,
    line_chart,
    nice_ticks,
    scale_colour,
)
from tests.conftest import require

NS = {"svg": "http://www.w3.org/2000/svg"}
EVIL = 'Team <script>alert("x")</script> & Co'
D0 = date(2025, 1, 6)


def parse(markup: str) -> ET.Element:
    assert isinstance(markup, SafeString)
    return ET.fromstring(markup)


def find_all(root: ET.Element, path: str) -> list[ET.Element]:
    return root.findall(path, NS)


def texts(root: ET.Element) -> list[str]:
    return [
        "".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")
    ]


def all_text(root: ET.Element) -> str:
    return " ".join(root.itertext())


def weekly(values):
    return [(D0 + timedelta(days=7 * k), v) for k, v in enumerate(values)]


def points_of(polyline: ET.Element) -> list[tuple[float, float]]:
    pairs = polyline.get("points", "").split()
    return [(float(x), float(y)) for x, y in (p.split(",") for p in pairs)]


def assert_accessible(root: ET.Element, title: str) -> None:
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox", ""))
    assert "sans-serif" in root.get("font-family", "")
    svg_title = root.find("svg:title", NS)
    desc = root.find("svg:desc", NS)
    assert svg_title is not None and svg_title.text == title
    assert desc is not None and desc.text
    labelled_by = root.get("aria-labelledby", "").split()
    assert labelled_by == [svg_title.get("id"), desc.get("id")]


# --- bar chart ------------------------------------------------------------------------


def test_bar_widths_are_proportional_to_values():
    root = parse(
        bar_chart([("Idea", 2), ("Prototype", 8), ("Pilot", 4)], title="Funnel")
    )
    assert_accessible(root, "Funnel")
    widths = [
        float(r.get("width")) for r in find_all(root, ".//svg:rect[@class='bar']")
    ]
    assert len(widths) == 3
    assert widths[1] > widths[2] > widths[0] > 0
    assert widths[1] / widths[0] == pytest.approx(4, rel=0.01)
    assert widths[2] / widths[0] == pytest.approx(2, rel=0.01)
    # Bars start at the same zero line and sit top to bottom in the given order.
    bars = find_all(root, ".//svg:rect[@class='bar']")
    assert len({b.get("x") for b in bars}) == 1
    ys = [float(b.get("y")) for b in bars]
    assert ys == sorted(ys)
    shown = texts(root)
    for label, value in (("Idea", "2"), ("Prototype", "8"), ("Pilot", "4")):
        assert label in shown and value in shown
    assert "Idea: 2; Prototype: 8; Pilot: 4" in root.find("svg:desc", NS).text


def test_bar_value_format_and_all_zero_values():
    root = parse(bar_chart([("A", 0), ("B", 0)], title="Zeros", value_format="{:.1f}"))
    widths = [
        float(r.get("width")) for r in find_all(root, ".//svg:rect[@class='bar']")
    ]
    assert widths == [0, 0]
    assert texts(root).count("0.0") == 2


def test_bar_negative_and_non_finite_values():
    root = parse(
        bar_chart([("Up", 3), ("Down", -3), ("Broken", math.nan)], title="Mixed")
    )
    bars = find_all(root, ".//svg:rect[@class='bar']")
    assert len(bars) == 2  # no bar for NaN
    up, down = bars
    assert float(up.get("width")) == pytest.approx(float(down.get("width")))
    assert float(down.get("x")) + float(down.get("width")) == pytest.approx(
        float(up.get("x"))
    )
    assert "—" in texts(root)


def test_bar_single_bar_and_empty_input():
    root = parse(bar_chart([("Only", 5)], title="One"))
    assert len(find_all(root, ".//svg:rect[@class='bar']")) == 1
    empty = parse(bar_chart([], title="Nothing"))
    assert_accessible(empty, "Nothing")
    assert "No data" in texts(empty)
    assert empty.find("svg:desc", NS).text == "No data."
    assert not find_all(empty, ".//svg:rect[@class='bar']")


def test_labels_are_escaped_text_not_markup():
    markup = bar_chart([(EVIL, 1)], title="Spend & <b>risk</b>")
    assert "<script>" not in markup and "<b>" not in markup
    root = parse(markup)
    assert not list(root.iter("script")) and not list(
        root.iter("{http://www.w3.org/2000/svg}script")
    )
    assert root.find("svg:title", NS).text == "Spend & <b>risk</b>"
    assert EVIL in all_text(root)


def test_characters_xml_forbids_are_dropped():
    root = parse(bar_chart([("bell\x07 and\x00 null", 1)], title="Odd\x0b"))
    assert root.find("svg:title", NS).text == "Odd"
    assert "bell and null" in texts(root)


def test_long_labels_are_cut_with_the_full_label_in_a_tooltip():
    long = "Customer support copilot for the retail banking contact centre, phase two"
    root = parse(bar_chart([(long, 3), ("Short", 1)], title="Funnel", width=480))
    shown = texts(root)
    cut = [t for t in shown if t.endswith("…")]
    assert len(cut) == 1 and long.startswith(cut[0][:-1])
    assert "Short" in shown
    tooltips = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert long in tooltips


# --- line chart -----------------------------------------------------------------------


def test_line_points_follow_the_data_and_none_makes_a_gap():
    root = parse(
        line_chart(
            [
                ("Team A", weekly([10, 20, None, 40, 50])),
                ("Team B", weekly([5, 5, 5, 5, 5])),
            ],
            title="Spend",
            y_label="EUR per week",
        )
    )
    assert_accessible(root, "Spend")
    series = find_all(root, ".//svg:g[@class='series']")
    assert len(series) == 2
    a_lines = find_all(series[0], "svg:polyline")
    assert len(a_lines) == 2  # broken at the gap
    first, second = (points_of(line) for line in a_lines)
    assert len(first) == 2 and len(second) == 2
    # Later dates further right; larger values higher up (smaller y).
    assert first[0][0] < first[1][0] < second[0][0] < second[1][0]
    assert first[0][1] > first[1][1] > second[0][1] > second[1][1]
    # Equal spacing in time gives equal spacing in x; y is linear in the value.
    step = first[1][0] - first[0][0]
    assert second[0][0] - first[1][0] == pytest.approx(2 * step, abs=0.02)
    (b_line,) = find_all(series[1], "svg:polyline")
    b_points = points_of(b_line)
    assert len(b_points) == 5 and len({y for _, y in b_points}) == 1
    zero_y = first[0][1] + (
        first[0][1] - first[1][1]
    )  # 10 -> 20 is the same rise as 0 -> 10
    assert b_points[0][1] == pytest.approx((zero_y + first[0][1]) / 2, abs=0.02)
    assert len(series[0].findall("svg:circle", NS)) == 4  # a marker per present value
    desc = root.find("svg:desc", NS).text
    assert "Team A: latest 50 on 2025-02-03" in desc and "1 missing" in desc


def test_line_target_legend_end_labels_and_ticks():
    root = parse(
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
    target = root.find(".//svg:g[@class='target']/svg:line", NS)
    assert target is not None and target.get("stroke-dasharray")
    legend = texts(root.find(".//svg:g[@class='legend']", NS))
    assert legend == ["Quality", "Baseline", "Target"]
    end_labels = [
        "".join(t.itertext()) for t in root.iter() if t.get("class") == "end-label"
    ]
    assert set(end_labels) == {"Quality", "Baseline", "Target 0.85"}
    y_ticks = texts(root.find(".//svg:g[@class='y-axis']", NS))
    assert y_ticks[0] == "0.00" and "score" in y_ticks
    # Series differ by marker shape too, not just colour.
    series = find_all(root, ".//svg:g[@class='series']")
    assert series[0].findall("svg:circle", NS) and series[1].findall("svg:rect", NS)
    assert "Target: 0.85" in root.find("svg:desc", NS).text


def test_line_single_point_all_zero_and_all_none():
    single = parse(line_chart([("Solo", [(D0, 3.0)])], title="One", y_label="EUR"))
    (point,) = find_all(single, ".//svg:g[@class='series']/svg:circle")
    assert not find_all(single, ".//svg:polyline")
    width = float(single.get("viewBox").split()[2])
    assert 0 < float(point.get("cx")) < width
    zeros = parse(line_chart([("Flat", weekly([0, 0, 0]))], title="Z", y_label="EUR"))
    (line,) = find_all(zeros, ".//svg:polyline")
    assert len({y for _, y in points_of(line)}) == 1
    assert "No data" in texts(
        parse(line_chart([("Gone", weekly([None, None]))], title="N", y_label="EUR"))
    )
    assert "No data" in texts(parse(line_chart([], title="N", y_label="EUR")))


def test_line_series_names_are_escaped():
    markup = line_chart(
        [(EVIL, weekly([1, 2]))], title="Spend", y_label="EUR <per> day"
    )
    assert "<script>" not in markup
    root = parse(markup)
    assert EVIL in all_text(root)
    assert "EUR <per> day" in all_text(root)


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
    root = parse(
        heat_map(
            ["Support Copilot", EVIL],
            ["Data", "Security", "Evaluation"],
            [[10, 50, 90], [None, 100, 0]],
            title="Readiness",
        )
    )
    assert_accessible(root, "Readiness")
    rows = find_all(root, ".//svg:g[@class='heat-row']")
    assert len(rows) == 2
    grid = [
        [c for c in row.findall("svg:g", NS) if c.get("class") == "cell"]
        for row in rows
    ]
    assert [len(r) for r in grid] == [3, 3]
    values = [["".join(c.find("svg:text", NS).itertext()) for c in row] for row in grid]
    assert values == [["10", "50", "90"], ["—", "100", "0"]]
    # Cells sit on a grid: same x per column, same y per row.
    xs = [[float(c.find("svg:rect", NS).get("x")) for c in row] for row in grid]
    ys = [{c.find("svg:rect", NS).get("y") for c in row} for row in grid]
    assert xs[0] == xs[1] and xs[0] == sorted(xs[0])
    assert all(len(y) == 1 for y in ys)
    fills = [[c.find("svg:rect", NS).get("fill") for c in row] for row in grid]
    assert fills[1][2] == scale_colour(0) and fills[1][1] == scale_colour(1)
    assert fills[1][0] not in {scale_colour(k / 10) for k in range(11)}
    assert EVIL in all_text(root)
    desc = root.find("svg:desc", NS).text
    assert "weakest" in desc and "1 without data" in desc


def test_heat_map_high_is_bad_reverses_the_scale():
    root = parse(heat_map(["P"], ["Risk"], [[100]], title="Risk", low_is_bad=False))
    rect = root.find(".//svg:g[@class='cell']/svg:rect", NS)
    assert rect.get("fill") == scale_colour(0)


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
    root = parse(
        line_chart(
            [(f"S{i}", weekly([i, i + 1])) for i in range(len(MARKERS))],
            title="Many",
            y_label="n",
        )
    )
    first_points = [
        next(p for p in series if p.get("class") == "point")
        for series in find_all(root, ".//svg:g[@class='series']")
    ]
    shapes = {(p.tag, p.get("fill"), p.get("stroke")) for p in first_points}
    assert len(shapes) == len(MARKERS)


def test_heat_map_empty_and_mismatched_input():
    assert "No data" in texts(parse(heat_map([], ["Data"], [], title="Empty")))
    assert "No data" in texts(parse(heat_map(["P"], [], [[]], title="Empty")))
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
    page = "<!doctype html><html><body>" + "".join(charts) + "</body></html>"
    pdf = weasyprint.HTML(string=page).write_pdf()
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
