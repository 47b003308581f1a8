"""Charts for the portal's pages, drawn on the server as SVG: no script, no chart library, no CDN.

A chart is a `<figure>` holding the SVG picture (with a title for screen readers) and the same
numbers as a plain table beside it, so nothing is lost to someone who cannot see the picture
or whose browser draws no SVG. Every label is escaped here: a material or member name holding
`<script>` is text in the picture and in the table alike. A `Chart` has `__html__`, the
protocol Jinja2 (markupsafe) honours, so a template writes `{{ chart }}` and nothing more.

The look comes from classes (`chart-line`, `chart-bar-0`...) the portal's stylesheet colours;
the SVG carries presentation attributes as a fallback, never `style=` (the CSP forbids it).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape

from core.axis import scale, short_number

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 40
COLOURS = ("#b3261e", "#5f6368", "#1e8e3e", "#1a73e8")
_ids = itertools.count(1)

Number = Decimal | int | float


def _text(value: object) -> str:
    return escape(str(value), quote=True)


@dataclass(frozen=True)
class Series:
    """One named run of values, one per label of the chart."""

    name: str
    values: Sequence[Number]
    colour: str | None = None  # a CSS colour; None: the next of the palette

    def colour_at(self, index: int) -> str:
        return _text(self.colour or COLOURS[index % len(COLOURS)])


@dataclass
class Chart:
    """A drawn chart: `svg` and `table` are escaped HTML; `__html__` gives both in a figure."""

    title: str
    svg: str
    table: str
    empty: bool
    chart_id: str = field(default_factory=lambda: f"chart-{next(_ids)}")

    def __html__(self) -> str:
        title_id = f"{self.chart_id}-title"
        return (
            f'<figure class="chart" id="{self.chart_id}">'
            f'<figcaption id="{title_id}">{_text(self.title)}</figcaption>'
            f"{self.svg.replace('{title_id}', title_id)}"
            f'<details class="chart-table"><summary>Table of “{_text(self.title)}”</summary>'
            f"{self.table}</details></figure>"
        )

    def __str__(self) -> str:
        return self.__html__()


def _table(
    labels: Sequence[str], series: Sequence[Series], formatter: Callable[[Number], str]
) -> str:
    head = "".join(f'<th scope="col">{_text(s.name)}</th>' for s in series)
    rows = "".join(
        f'<tr><th scope="row">{_text(label)}</th>'
        + "".join(f'<td class="num">{_text(formatter(s.values[i]))}</td>' for s in series)
        + "</tr>"
        for i, label in enumerate(labels)
    )
    return (
        f'<table><thead><tr><th scope="col"></th>{head}</tr></thead><tbody>{rows}</tbody></table>'
    )


def _check(labels: Sequence[str], series: Sequence[Series]) -> None:
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(
                f"series {s.name!r} has {len(s.values)} values for {len(labels)} labels"
            )


class _Frame:
    """The plot area and its value axis (gridlines and labels), shared by both kinds."""

    def __init__(self, values: Sequence[float], width: int, height: int, *, below: int = 0) -> None:
        self.width, self.height = width, height
        self.bottom, self.top, self.step = scale(min(values, default=0.0), max(values, default=0.0))
        self.x0, self.x1 = LEFT, width - RIGHT
        self.y0, self.y1 = height - BOTTOM - below, TOP

    def y(self, value: float) -> float:
        span = self.top - self.bottom
        return self.y0 - (value - self.bottom) / span * (self.y0 - self.y1)

    def grid(self, empty: bool) -> list[str]:
        parts = [
            f'<line class="chart-axis" x1="{self.x0}" y1="{self.y0}" x2="{self.x1}" '
            f'y2="{self.y0}" stroke="#5f6368"/>'
        ]
        if empty:
            return parts
        count = round((self.top - self.bottom) / self.step)
        for i in range(count + 1):
            value = self.bottom + i * self.step
            y = round(self.y(value), 1)
            parts.append(
                f'<line class="chart-grid" x1="{self.x0}" y1="{y}" x2="{self.x1}" y2="{y}" '
                f'stroke="#dadce0"/>'
                f'<text class="chart-label" x="{self.x0 - 6}" y="{y + 4}" text-anchor="end" '
                f'font-size="11">{_text(short_number(value))}</text>'
            )
        return parts

    def svg(self, parts: list[str]) -> str:
        return (
            f'<svg class="chart-svg" viewBox="0 0 {self.width} {self.height}" role="img" '
            f'aria-labelledby="{{title_id}}" xmlns="http://www.w3.org/2000/svg" '
            f'preserveAspectRatio="xMidYMid meet">{"".join(parts)}</svg>'
        )


def _x_labels(
    labels: Sequence[str], xs: Sequence[float], y: float, *, end_last: bool = False
) -> list[str]:
    """At most about eight labels under the axis, evenly picked, the last always shown."""
    if not labels:
        return []
    every = max(1, -(-len(labels) // 8))
    picked = set(range(0, len(labels), every)) | {len(labels) - 1}
    if len(labels) - 1 - max(picked - {len(labels) - 1}, default=-every) < every / 2:
        picked.discard(max(picked - {len(labels) - 1}, default=-1))

    def anchor(i: int) -> str:  # a line's last point is at the edge: its label ends there
        return "end" if end_last and i == len(labels) - 1 and len(labels) > 1 else "middle"

    return [
        f'<text class="chart-label" x="{round(xs[i], 1)}" y="{y}" text-anchor="{anchor(i)}" '
        f'font-size="11">{_text(labels[i])}</text>'
        for i in sorted(picked)
    ]


def _legend(series: Sequence[Series], width: int, height: int) -> list[str]:
    if len(series) < 2:
        return []
    parts, x = [], LEFT
    for i, s in enumerate(series):
        colour = s.colour_at(i)
        parts.append(
            f'<rect class="chart-bar-{i}" x="{x}" y="{height - 12}" width="10" height="10" '
            f'fill="{colour}"/><text class="chart-label" x="{x + 14}" y="{height - 3}" '
            f'font-size="11">{_text(s.name)}</text>'
        )
        x += 24 + 7 * len(s.name)
    return parts


def _nothing(frame: _Frame, note: str) -> str:
    return (
        f'<text class="chart-empty" x="{(frame.x0 + frame.x1) / 2}" '
        f'y="{(frame.y0 + frame.y1) / 2}" text-anchor="middle" font-size="12" '
        f'font-style="italic">{_text(note)}</text>'
    )


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Series,
    *,
    formatter: Callable[[Number], str] = str,
    empty_note: str = "Nothing to show for this period",
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Chart:
    """One line through `series.values`, one point per label (days, trades...)."""
    _check(labels, [series])
    values = [float(v) for v in series.values]
    empty = not values
    frame = _Frame(values, width, height)
    parts = frame.grid(empty)
    n = len(values)
    span = frame.x1 - frame.x0
    xs = [frame.x0 + (span * i / (n - 1) if n > 1 else span / 2) for i in range(n)]
    if empty:
        parts.append(_nothing(frame, empty_note))
    else:
        points = " ".join(
            f"{round(x, 1)},{round(frame.y(v), 1)}" for x, v in zip(xs, values, strict=True)
        )
        colour = series.colour_at(0)
        parts.append(
            f'<polyline class="chart-line" points="{points}" fill="none" stroke="{colour}" '
            f'stroke-width="2"/>'
        )
        if n <= 40:
            parts.extend(
                f'<circle class="chart-point" cx="{round(x, 1)}" cy="{round(frame.y(v), 1)}" '
                f'r="3" fill="{colour}"><title>{_text(labels[i])}: '
                f"{_text(formatter(series.values[i]))}</title></circle>"
                for i, (x, v) in enumerate(zip(xs, values, strict=True))
            )
    parts.extend(_x_labels(labels, xs, frame.y0 + 16, end_last=True))
    return Chart(title, frame.svg(parts), _table(labels, [series], formatter), empty)


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    formatter: Callable[[Number], str] = str,
    empty_note: str = "Nothing to show for this period",
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Chart:
    """Grouped bars: for each label, one bar per series side by side (income against expenses)."""
    _check(labels, series)
    values = [float(v) for s in series for v in s.values]
    empty = not values or all(v == 0 for v in values)
    legend_room = 16 if len(series) > 1 else 0
    frame = _Frame(values, width, height, below=legend_room)
    parts = frame.grid(empty)
    n, k = len(labels), max(1, len(series))
    slot = (frame.x1 - frame.x0) / max(1, n)
    bar = slot * 0.8 / k
    centres = [frame.x0 + slot * (i + 0.5) for i in range(n)]
    if empty:
        parts.append(_nothing(frame, empty_note))
    else:
        zero = frame.y(0.0)
        for j, s in enumerate(series):
            colour = s.colour_at(j)
            for i, value in enumerate(s.values):
                top = frame.y(float(value))
                x = centres[i] - slot * 0.4 + j * bar
                parts.append(
                    f'<rect class="chart-bar-{j}" x="{round(x, 1)}" y="{round(min(top, zero), 1)}" '
                    f'width="{round(bar, 1)}" height="{round(abs(zero - top), 1)}" '
                    f'fill="{colour}"><title>{_text(labels[i])}, {_text(s.name)}: '
                    f"{_text(formatter(value))}</title></rect>"
                )
    parts.extend(_x_labels(labels, centres, frame.y0 + 16))
    parts.extend(_legend(series, width, height))
    return Chart(title, frame.svg(parts), _table(labels, series, formatter), empty)
