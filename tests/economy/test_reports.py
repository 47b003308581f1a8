"""Statements and the financial report, read from what other plugins post to the ledger."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.lineplots import LinePlot

from core.errors import InvalidInput
from plugins.economy import ledger, report_files, reports
from plugins.economy.ledger import (
    EXPENSES,
    INCOME,
    INTEREST_INCOME,
    TREASURY,
    WRITE_OFFS,
    Line,
    TxKind,
    loans_receivable,
    member,
)
from plugins.economy.materials import find_material
from plugins.economy.statements import member_position, period_window, statement
from plugins.economy.trades import record_trade
from storage.querycount import count_queries
from tests.economy.conftest import ALICE, BOB, CAROL, GUILD, MALLORY, OTHER_GUILD, T0
from tests.pdf_support import HOSTILE, assert_literal_and_linkless, chart_of, text_of, ticks

D = Decimal
DAY = timedelta(days=1)


async def post(kind: TxKind, at, *lines: tuple, reference: str | None = None, guild=GUILD):
    return await ledger.post(
        guild,
        kind=kind,
        memo=kind.value,
        lines=[Line(ref, D(amount)) for ref, amount in lines],
        at=at,
        reference=reference,
    )


async def a_month_of_business() -> None:
    """What mining and loans would post over a month, plus one trade and a reversal."""
    await post(TxKind.ADJUSTMENT, T0 - 5 * DAY, (TREASURY, "1000000"), (INCOME, "-1000000"))
    quant = await find_material("Quantainium")
    await record_trade(
        GUILD,
        side="sell",
        material=quant,
        quantity_scu="50",
        unit_price="9000",
        actor_id=ALICE,
        at=T0 + DAY,
    )
    gold = await find_material("Gold")
    await record_trade(
        GUILD,
        side="sell",
        material=gold,
        quantity_scu="10",
        unit_price="6000",
        actor_id=ALICE,
        at=T0 + 2 * DAY,
    )
    # payroll shares, then paid out
    for uid in (ALICE, BOB):
        await post(TxKind.PAYROLL, T0 + DAY, (EXPENSES, "100000"), (member(uid), "-100000"))
    await post(TxKind.PAYOUT, T0 + 3 * DAY, (member(ALICE), "100000"), (TREASURY, "-100000"))
    # a payroll posted by mistake and reversed
    wrong = await post(TxKind.PAYROLL, T0 + DAY, (EXPENSES, "555"), (member(CAROL), "-555"))
    await ledger.reverse(GUILD, wrong.id, memo="posted twice", actor_id=ALICE, at=T0 + 2 * DAY)
    # loans as the loans plugin posts them
    await post(
        TxKind.LOAN_DISBURSEMENT,
        T0 + 4 * DAY,
        (loans_receivable(CAROL), "300000"),
        (TREASURY, "-300000"),
    )
    await post(
        TxKind.LOAN_REPAYMENT,
        T0 + 10 * DAY,
        (TREASURY, "105000"),
        (INTEREST_INCOME, "-5000"),
        (loans_receivable(CAROL), "-100000"),
    )
    await post(
        TxKind.LOAN_DISBURSEMENT,
        T0 + 5 * DAY,
        (loans_receivable(BOB), "50000"),
        (TREASURY, "-50000"),
    )
    await post(
        TxKind.LOAN_WRITE_OFF,
        T0 + 20 * DAY,
        (WRITE_OFFS, "50000"),
        (loans_receivable(BOB), "-50000"),
    )
    # after the period, and in another guild: neither may show
    await post(TxKind.SALE, T0 + 40 * DAY, (TREASURY, "777"), (INCOME, "-777"))
    await post(TxKind.SALE, T0, (TREASURY, "888"), (INCOME, "-888"), guild=OTHER_GUILD)


async def test_finances_reads_every_figure_from_the_ledger(guilds):
    await a_month_of_business()
    start, end = reports.day_window(T0.date(), T0.date() + 29 * DAY, T0.date())
    report = await reports.finances(GUILD, start, end)
    figures = dict(report.figures())
    assert figures == {
        "Treasury at start": D("1000000.00"),
        "Income": D("510000.00"),  # 450,000 quantainium + 60,000 gold
        "Interest income": D("5000.00"),
        "Expenses": D("200000.00"),  # the reversed 555 nets out
        "Loans written off": D("50000.00"),
        "Net result": D("265000.00"),
        "Payroll credited to members": D("200000.00"),
        "Payouts to members": D("100000.00"),
        "Loans issued": D("350000.00"),
        "Loans repaid (principal)": D("100000.00"),
        "Loans outstanding at end": D("200000.00"),
        "Owed to members at end": D("100000.00"),  # Bob's unpaid share
        "Owed by members at end (besides loans)": D("0.00"),
        "Treasury at end": D("1165000.00"),
    }
    assert figures["Treasury at end"] == await ledger.balance(GUILD, TREASURY, before=end)
    assert [(m.name, m.value) for m in report.sold] == [
        ("Quantainium", D("450000.00")),
        ("Gold", D("60000.00")),
    ]
    kinds = {k.kind: (k.count, k.volume) for k in report.kinds}
    assert kinds["payroll"] == (3, D("200555.00"))
    assert kinds["reversal"] == (1, D("555.00"))
    assert report.treasury_by_day[0] == (T0.date(), D("1000000.00"))
    assert report.treasury_by_day[-1] == (T0.date() + 29 * DAY, D("1165000.00"))
    assert len(report.treasury_by_day) == 30
    # every week of the period has a bar, quiet ones included, and the bars add up
    assert [week for week, _, _ in report.flow] == [
        date(2025, 12, 29) + timedelta(weeks=i) for i in range(6)
    ]
    assert (report.flow_bucket, report.flow[-1][1:]) == ("week", (D("0.00"), D("0.00")))
    assert sum(income for _, income, _ in report.flow) == D("515000.00")
    assert sum(out for _, _, out in report.flow) == D("250000.00")  # expenses + write-offs


async def test_a_long_report_groups_by_month(guilds):
    await a_month_of_business()
    start, end = reports.day_window(date(2025, 7, 1), date(2026, 6, 30), T0.date())
    report = await reports.finances(GUILD, start, end)
    assert report.flow_bucket == "month"
    assert [m for m, _, _ in report.flow][:2] == [date(2025, 7, 1), date(2025, 8, 1)]
    assert len(report.flow) == 12
    assert sum(income for _, income, _ in report.flow) == report.income + report.interest_income
    text = PdfReader(io.BytesIO(report_files.to_pdf(report))).pages[0].extract_text()
    assert "Income and expenses per month" in text


async def test_finances_costs_a_fixed_number_of_queries(guilds):
    await a_month_of_business()
    start, end = reports.day_window(T0.date(), T0.date() + 29 * DAY, T0.date())
    with count_queries() as small:
        await reports.finances(GUILD, start, end)
    for i in range(20):
        await post(TxKind.SALE, T0 + i * DAY, (TREASURY, "1"), (INCOME, "-1"))
    with count_queries() as bigger:
        await reports.finances(GUILD, start, end)
    assert len(bigger) == len(small) <= 8


async def test_the_report_as_csv_and_pdf(guilds):
    await a_month_of_business()
    start, end = reports.day_window(T0.date(), T0.date() + 29 * DAY, T0.date())
    report = await reports.finances(GUILD, start, end)
    rows = list(csv.DictReader(io.StringIO(report_files.to_csv(report).decode())))
    summary = {r["name"]: D(r["amount_auec"]) for r in rows if r["section"] == "summary"}
    assert summary["Loans outstanding at end"] == D("200000.00")
    assert {r["name"] for r in rows if r["section"] == "sold"} == {"Quantainium", "Gold"}
    pdf = report_files.to_pdf(report, "Red Legion")
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Financial report" in text and "Red Legion" in text
    assert "Loans outstanding at end" in text and "200,000.00" in text
    assert "Treasury balance" in text and "Income and expenses per week" in text  # the charts
    assert "Quantainium" in text


async def test_markup_in_the_guild_name_is_shown_as_typed(guilds):
    await a_month_of_business()
    start, end = reports.day_window(T0.date(), T0.date() + 29 * DAY, T0.date())
    report = await reports.finances(GUILD, start, end)
    for name in HOSTILE:
        assert_literal_and_linkless(report_files.to_pdf(report, name), [name])


async def test_an_empty_period_still_makes_a_report(guilds):
    start, end = reports.day_window(date(2025, 1, 1), date(2025, 1, 1), T0.date())
    report = await reports.finances(GUILD, start, end)
    assert all(amount == 0 for _, amount in report.figures())
    assert report.treasury_by_day == [(date(2025, 1, 1), D("0.00"))]
    text = text_of(report_files.to_pdf(report))
    assert report_files.EMPTY_TREASURY in text and report_files.EMPTY_FLOW in text
    treasury = report_files._treasury_chart(report, 500, 150)
    assert ticks(treasury, chart_of(treasury, LinePlot).yValueAxis) == []  # not 0 0 0 0 0 0
    flow = report_files._flow_chart(report, 500, 150)
    assert ticks(flow, chart_of(flow, VerticalBarChart).valueAxis) == []
    assert "No sales recorded" in text and "No purchases recorded" in text


async def test_the_charts_axes_reach_the_highest_bar_and_balance(guilds):
    await a_month_of_business()  # 510,000 of income in one week
    start, end = reports.day_window(T0.date(), T0.date() + 29 * DAY, T0.date())
    report = await reports.finances(GUILD, start, end)
    flow = report_files._flow_chart(report, 500, 150)
    bars = chart_of(flow, VerticalBarChart)
    highest = max(max(row) for row in bars.data)
    assert highest == 510000 and max(ticks(flow, bars.valueAxis)) >= highest
    treasury = report_files._treasury_chart(report, 500, 150)
    plot = chart_of(treasury, LinePlot)
    richest = max(y for _, y in plot.data[0])
    assert max(ticks(treasury, plot.yValueAxis)) >= richest > 1_000_000


async def test_the_pdf_lists_purchases_as_the_csv_does(guilds):
    for name, scu, price in (("Gold", "3", "6000"), ("Tin", "20", "75.5")):
        await record_trade(
            GUILD,
            side="buy",
            material=await find_material(name),
            quantity_scu=scu,
            unit_price=price,
            actor_id=ALICE,
            at=T0,
        )
    start, end = reports.day_window(T0.date(), T0.date(), T0.date())
    report = await reports.finances(GUILD, start, end)
    rows = list(csv.DictReader(io.StringIO(report_files.to_csv(report).decode())))
    bought = [
        (r["name"], r["quantity"], r["amount_auec"]) for r in rows if r["section"] == "bought"
    ]
    assert bought == [("Gold", "3.00", "18000.00"), ("Tin", "20.00", "1510.00")]
    text = " ".join(text_of(report_files.to_pdf(report)).split())
    assert "Materials bought Material SCU aUEC Gold 3.00 18,000.00 Tin 20.00 1,510.00" in text


async def test_mining_payroll_as_mining_posts_it(guilds):
    """Mining posts the sale into the treasury as the payroll, then pays each share out."""
    await post(
        TxKind.PAYROLL,
        T0,
        (TREASURY, "1000.00"),
        (member(ALICE), "-600.00"),
        (member(BOB), "-300.00"),
        (INCOME, "-100.00"),
        reference="mining:event:1:payroll",
    )
    await post(TxKind.PAYOUT, T0 + DAY, (TREASURY, "-600.00"), (member(ALICE), "600.00"))
    start, end = reports.day_window(T0.date(), T0.date() + 6 * DAY, T0.date())
    report = await reports.finances(GUILD, start, end)
    assert (report.payroll, report.payouts, report.income) == (
        D("900.00"),
        D("600.00"),
        D("100.00"),
    )
    assert (report.owed_to_members, report.treasury_end) == (D("300.00"), D("400.00"))


def test_report_period_rules():
    today = date(2026, 1, 31)
    start, end = reports.day_window(None, None, today)
    assert (start.date(), end.date()) == (date(2026, 1, 2), date(2026, 2, 1))
    with pytest.raises(InvalidInput, match="starts"):
        reports.day_window(date(2026, 2, 1), date(2026, 1, 1), today)
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        reports.parse_day("31/01/2026", "from")
    assert reports.parse_day(" 2026-01-31 ", "from") == today


async def test_statement_runs_from_opening_to_closing_balance(guilds):
    await a_month_of_business()
    result = await statement(GUILD, member(ALICE), since=T0, until=T0 + 30 * DAY)
    assert result.opening == D("0.00")
    assert [(line.kind, line.amount, line.balance) for line in result.lines] == [
        ("payroll", D("-100000.00"), D("-100000.00")),
        ("payout", D("100000.00"), D("0.00")),
    ]
    assert result.closing == D("0.00")
    treasury = await statement(GUILD, TREASURY, since=T0, until=T0 + 30 * DAY)
    assert treasury.opening == D("1000000.00")
    assert treasury.closing == D("1165000.00")
    assert treasury.lines[-1].balance == treasury.closing


async def test_member_position_and_guild_isolation(guilds):
    await a_month_of_business()
    bob = await member_position(GUILD, BOB)
    assert (bob.owed_to_member, bob.owed_by_member) == (D("100000.00"), D("0.00"))
    carol = await member_position(GUILD, CAROL)
    assert (carol.owed_to_member, carol.owed_by_member) == (D("0.00"), D("200000.00"))
    assert (await member_position(OTHER_GUILD, BOB)).account == D("0.00")
    assert (await member_position(GUILD, MALLORY)).account == D("0.00")


def test_statement_periods():
    start, end = period_window("week", T0)
    assert (end - start, end) == (timedelta(days=7), T0)
    assert period_window("all", T0) == (None, T0)
    with pytest.raises(InvalidInput, match="unknown period"):
        period_window("fortnight", T0)
