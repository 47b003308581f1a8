"""The economy's portal charts: the finance report's figures and a material's price history."""

from __future__ import annotations

import re
from datetime import timedelta

from plugins.economy import reports
from plugins.economy.charts import flow_chart, price_chart, treasury_chart
from plugins.economy.materials import find_material
from plugins.economy.prices import price_history, set_guild_price
from plugins.economy.report_files import EMPTY_FLOW, EMPTY_TREASURY
from tests.economy.conftest import ALICE, GUILD, T0
from tests.economy.test_reports import a_month_of_business


def _cells(html: str) -> list[str]:
    return re.findall(r'<td class="num">([^<]*)</td>', html)


async def test_the_report_charts_show_the_reports_own_figures(guilds):
    await a_month_of_business()
    report = await reports.finances(GUILD, T0 - 10 * timedelta(days=1), T0 + timedelta(days=30))
    treasury = treasury_chart(report).__html__()
    assert len(_cells(treasury)) == len(report.treasury_by_day)
    assert _cells(treasury)[-1] == f"{report.treasury_end:,.2f} aUEC"
    flow = flow_chart(report).__html__()
    income = sum((i for _, i, _ in report.flow), start=report.income * 0)
    assert income == report.income + report.interest_income  # buckets add up to the figures
    assert f"{max(i for _, i, _ in report.flow):,.2f} aUEC" in _cells(flow)
    assert 'fill="#1e8e3e"' in flow and 'fill="#b3261e"' in flow  # income green, expenses red


async def test_an_empty_period_says_so_like_the_pdf(guilds):
    report = await reports.finances(GUILD, T0, T0 + timedelta(days=7))
    assert treasury_chart(report).empty and EMPTY_TREASURY in treasury_chart(report).__html__()
    assert flow_chart(report).empty and EMPTY_FLOW in flow_chart(report).__html__()


async def test_price_history_runs_oldest_to_newest(guilds):
    gold = await find_material("gold")
    await set_guild_price(GUILD, gold, "7000", actor_id=ALICE, at=T0)
    await set_guild_price(GUILD, gold, "6500.50", actor_id=ALICE, at=T0 + timedelta(hours=2))
    chart = price_chart(gold.name, await price_history(GUILD, gold)).__html__()
    cells = _cells(chart)
    assert cells[-2:] == ["7,000.00 aUEC", "6,500.50 aUEC"]
    assert "Price of Gold per SCU" in chart
