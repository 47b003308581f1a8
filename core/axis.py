"""Value axes for charts: where an axis starts, ends and puts its ticks.

One rule for the PDF charts (reportlab) and the portal's SVG charts, so a report reads the same
on paper and on screen.
"""

from __future__ import annotations

import math


def scale(low: float, high: float, *, ticks: int = 6) -> tuple[float, float, float]:
    """(axis bottom, axis top, step) for a value axis that reaches past `high` and `low`.

    A charting library's own axis may stop short of the longest bar (510k on an axis ending at
    500k) or, for all zeros, label `0 0 0 0 0 0`. Steps are 1, 2 or 5 × 10ⁿ (and 2.5 from 10
    up), never below 1 (whole minutes, whole aUEC), about `ticks` of them; the top is the first
    step at or above `high`. Nothing to show (all zero) gives (0, 1, 1)."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high - low <= 0:
        return 0.0, 1.0, 1.0
    raw = (high - low) / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    multiples = (1, 2, 2.5, 5, 10) if magnitude >= 10 else (1, 2, 5, 10)
    step = max(1.0, next(m * magnitude for m in multiples if m * magnitude >= raw))
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def short_number(value: float) -> str:
    """An axis label: 1500 → "1.5k", 2000000 → "2.0M", 250 → "250"."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:,.1f}{suffix}"
    return f"{value:,.0f}"
