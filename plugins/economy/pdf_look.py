"""The org's report look, shared by every PDF the bot writes (finances, mining events)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.platypus import Table, TableStyle

from core.axis import scale
from core.money import cents

RED = colors.HexColor("#b3261e")
GREY = colors.HexColor("#5f6368")
GREEN = colors.HexColor("#1e8e3e")


def markup(text: object) -> str:
    """Text a member or officer wrote (event, guild and member names, reasons, memos), made
    safe to put into a reportlab `Paragraph`, which reads its string as markup: unescaped, an
    unbalanced `<b>` stops the report from building and an `<a href=…>` puts a live link in
    front of the treasurer who opens it. Every user string into a Paragraph goes through here;
    table cells given as plain strings are drawn as they are and need nothing."""
    return escape(str(text))


def money(amount: Decimal) -> str:
    """Amounts in tables: thousands separated, two decimals, the unit in the heading."""
    return f"{cents(amount):,.2f}"


def table(
    rows: list[list[str]],
    widths: list[float],
    *,
    header: bool = True,
    font_size: float = 9,
    padding: float = 3,
) -> Table:
    """A plain ruled table: text left in the first column, figures right in the others."""
    result = Table(rows, colWidths=widths, hAlign="LEFT", repeatRows=1 if header else 0)
    style = [
        ("FONT", (0, 0), (-1, -1), "Helvetica", font_size),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
        ("BOTTOMPADDING", (0, 0), (-1, -1), padding),
        ("TOPPADDING", (0, 0), (-1, -1), padding),
    ]
    if header:
        style += [
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", font_size),
            ("LINEBELOW", (0, 0), (-1, 0), 0.75, GREY),
        ]
    result.setStyle(TableStyle(style))
    return result


def fit_axis(axis: Any, low: float, high: float) -> bool:
    """Give a reportlab value axis the range and step of `scale`; an axis with nothing to
    show (all zero) gets no labels or ticks at all. Returns whether there is anything."""
    bottom, top, step = scale(low, high)
    axis.valueMin, axis.valueMax, axis.valueStep = bottom, top, step
    empty = low == high == 0
    if empty:
        axis.visibleLabels = axis.visibleTicks = False
    return not empty


def nothing_to_show(drawing: Drawing, x: float, y: float, width: float, text: str) -> None:
    """The note an empty chart carries where its bars or line would be."""
    drawing.add(
        String(
            x + width / 2,
            y,
            text,
            fontName="Helvetica-Oblique",
            fontSize=8,
            fillColor=GREY,
            textAnchor="middle",
        )
    )
