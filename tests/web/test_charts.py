"""The portal's SVG charts: well-formed pictures, escaped labels, the numbers in a table too."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from core.axis import scale, short_number
from core.money import fmt
from core.web.charts import Series, bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert(1)</script> & "@everyone"'


def _svg(html: str) -> ET.Element:
    match = re.search(r"<svg.*</svg>", html, re.S)
    assert match, html
    return ET.fromstring(match.group(0))


def _figure(html: str) -> ET.Element:
    """The whole figure parses as XML: every tag closed, every label escaped."""
    return ET.fromstring(html.replace("“", '"').replace("”", '"'))


def test_line_chart_draws_one_point_per_label_inside_the_picture() -> None:
    days = ["01 Jan", "02 Jan", "03 Jan", "04 Jan"]
    values = [Decimal("100"), Decimal("250.50"), Decimal("-40"), Decimal("900")]
    chart = line_chart("Treasury", days, Series("Treasury", values), formatter=fmt)
    svg = _svg(chart.__html__())
    line = svg.find(f"{SVG}polyline")
    assert line is not None
    points = [tuple(map(float, p.split(","))) for p in line.get("points", "").split()]
    assert len(points) == 4
    width, height = map(float, svg.get("viewBox", "").split()[2:])
    assert all(0 <= x <= width and 0 <= y <= height for x, y in points)
    # higher value, higher on screen (smaller y); the negative day sits lowest
    ys = [y for _, y in points]
    assert ys[3] < ys[1] < ys[0] < ys[2]
    assert not chart.empty


def test_the_table_beside_the_chart_holds_every_value_formatted() -> None:
    chart = line_chart(
        "Treasury",
        ["01 Jan", "02 Jan"],
        Series("Balance", [Decimal("1234.5"), Decimal("0")]),
        formatter=fmt,
    )
    html = chart.__html__()
    figure = _figure(html)
    cells = [td.text for td in figure.iter("td")]
    assert cells == ["1,234.50 aUEC", "0.00 aUEC"]
    assert [th.text for th in figure.iter("th") if th.get("scope") == "row"] == ["01 Jan", "02 Jan"]
    assert figure.find(".//figcaption").text == "Treasury"  # type: ignore[union-attr]
    assert 'role="img"' in html and "aria-labelledby" in html


def test_labels_and_names_are_escaped_everywhere() -> None:
    chart = bar_chart(
        HOSTILE,
        [HOSTILE, "B"],
        [Series(HOSTILE, [1, 2]), Series("Out", [3, 4])],
    )
    html = chart.__html__()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    figure = _figure(html)  # parses: nothing broke out of an attribute or element
    texts = [t.text for t in figure.iter(f"{SVG}text")]
    assert HOSTILE in texts  # drawn as text, exactly as written


def test_bar_chart_groups_one_bar_per_series_and_a_legend() -> None:
    chart = bar_chart(
        "Income against expenses",
        ["w1", "w2", "w3"],
        [Series("Income", [10, 0, 30]), Series("Expenses", [5, 20, 0])],
    )
    svg = _svg(chart.__html__())
    bars = [r for r in svg.iter(f"{SVG}rect") if r.get("width") != "10"]
    assert len(bars) == 6
    heights = {
        (r.get("class"), r.find(f"{SVG}title").text): float(r.get("height", 0)) for r in bars
    }  # type: ignore[union-attr]
    assert heights[("chart-bar-0", "w3, Income: 30")] > heights[("chart-bar-1", "w2, Expenses: 20")]
    assert heights[("chart-bar-0", "w2, Income: 0")] == 0
    legend = [t.text for t in svg.iter(f"{SVG}text")]
    assert "Income" in legend and "Expenses" in legend


def test_nothing_to_show_says_so_instead_of_an_empty_frame() -> None:
    for chart in (
        line_chart("T", [], Series("T", []), empty_note="No entries yet"),
        bar_chart(
            "F", ["w1"], [Series("In", [0]), Series("Out", [0])], empty_note="No entries yet"
        ),
    ):
        assert chart.empty
        svg = _svg(chart.__html__())
        assert "No entries yet" in [t.text for t in svg.iter(f"{SVG}text")]
        assert svg.find(f"{SVG}polyline") is None


def test_no_style_attributes_or_scripts_for_the_content_security_policy() -> None:
    chart = bar_chart("F", ["a", "b"], [Series("In", [1, 2])])
    html = chart.__html__() + line_chart("L", ["a", "b"], Series("x", [1, 2])).__html__()
    assert "style=" not in html and "<script" not in html and "on" + "load" not in html


def test_two_charts_on_one_page_have_their_own_ids() -> None:
    a, b = (line_chart("A", ["x"], Series("a", [1])), line_chart("B", ["x"], Series("b", [1])))
    assert a.chart_id != b.chart_id
    assert f'aria-labelledby="{a.chart_id}-title"' in a.__html__()


def test_a_series_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        line_chart("T", ["a", "b", "c"], Series("T", [1, 2]))


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(0, 0, (0, 1, 1)), (0, 510_000, (0, 600_000, 100_000)), (-40, 900, (-200, 1000, 200))],
)
def test_axis_reaches_past_the_values(low: float, high: float, expected: tuple) -> None:
    assert scale(low, high) == expected


def test_short_numbers_on_axes() -> None:
    assert [short_number(v) for v in (250, 1500, 2_000_000, -3e9)] == [
        "250",
        "1.5k",
        "2.0M",
        "-3.0B",
    ]
