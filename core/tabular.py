"""Rows of plain values as CSV and JSON, the same way wherever the bot writes them.

CSV cells that a spreadsheet would run as a formula (text starting with `=`, `+`, `-`, `@`, a tab
or a carriage return: OWASP's "CSV injection") are written with a leading `'`, so a memo typed by a
member stays text when a treasurer opens the file. Numbers (`-12.50` too) are written as numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def plain(value: Any) -> Any:
    """A JSON-ready value: Decimal as its exact text, times in ISO 8601, enums by value."""
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def csv_cell(value: Any) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue().encode("utf-8")


def records_to_csv(records: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> bytes:
    return to_csv(columns, ([r.get(c) for c in columns] for r in records))


def to_json(data: Any) -> bytes:
    return json.dumps(data, default=plain, indent=2, ensure_ascii=False).encode("utf-8")
