"""Reading the bot's PDFs back in tests: their text, and hostile text they must show as typed."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader
from reportlab.graphics import renderPDF

# reportlab markup a member could type into a name, reason or memo
HOSTILE = [
    "<b>unclosed",
    '<a href="https://evil.example/pay">click me</a>',
    "Tom & Jerry &amp; </para>",
]


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def assert_literal_and_linkless(data: bytes, texts: list[str]) -> None:
    """The PDF shows each text as typed and holds no link: no /URI action, no annotation."""
    text = " ".join(text_of(data).split())
    for wanted in texts:
        assert " ".join(wanted.split()) in text, (wanted, text)
    assert b"/URI" not in data and b"/Link" not in data
    assert all("/Annots" not in page for page in PdfReader(io.BytesIO(data)).pages)


def chart_of(drawing: Any, kind: type) -> Any:
    """The one chart of `kind` in a reportlab Drawing."""
    [chart] = [shape for shape in drawing.contents if isinstance(shape, kind)]
    return chart


def ticks(drawing: Any, axis: Any) -> list[float]:
    """The values a value axis labels once the drawing is drawn (reportlab picks them then)."""
    renderPDF.drawToString(drawing)
    return list(axis._tickValues) if axis.visibleLabels else []
