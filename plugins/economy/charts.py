"""The economy's charts for the portal: the finance report's two and a material's price history.

The same figures as the PDF's charts (`report_files`), drawn as SVG by `core.web.charts`, with
the same colours (income green, expenses red) and the same notes when there is nothing to show.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.money import fmt
from core.web.charts import Chart, Series, bar_chart, line_chart
from plugins.economy.models import PricePoint
from plugins.economy.report_files import EMPTY_FLOW, EMPTY_TREASURY
from plugins.economy.reports import FinanceReport

GREEN, RED = "#1e8e3e", "#b3261e"


def treasury_chart(report: FinanceReport) -> Chart:
    """The treasury's balance at the end of each day of the period."""
    days = [
        f"{day:%d %b}" if len(report.treasury_by_day) <= 183 else f"{day:%b %Y}"
        for day, _ in report.treasury_by_day
    ]
    balances = [balance for _, balance in report.treasury_by_day]
    empty = all(b == 0 for b in balances)
    return line_chart(
        "Treasury balance at the end of each day",
        [] if empty else days,
        Series("Treasury", [] if empty else balances, RED),
        formatter=fmt,
        empty_note=EMPTY_TREASURY,
    )


def flow_chart(report: FinanceReport) -> Chart:
    """Income against expenses per week (per month for long periods)."""
    label = "%b %Y" if report.flow_bucket == "month" else "%d %b"
    return bar_chart(
        f"Income and expenses per {report.flow_bucket}",
        [f"{start:{label}}" for start, _, _ in report.flow],
        [
            Series("Income", [income for _, income, _ in report.flow], GREEN),
            Series("Expenses", [out for _, _, out in report.flow], RED),
        ],
        formatter=fmt,
        empty_note=EMPTY_FLOW,
    )


def price_chart(material_name: str, points: Sequence[PricePoint]) -> Chart:
    """A material's price points, oldest to newest (`prices.price_history` gives newest first)."""
    ordered = sorted(points, key=lambda p: (p.at, p.id))
    return line_chart(
        f"Price of {material_name} per SCU",
        [f"{p.at:%Y-%m-%d %H:%M}" for p in ordered],
        Series("Price", [p.price for p in ordered], RED),
        formatter=fmt,
        empty_note="No price recorded yet",
    )
