"""The event PDF: facts, participants with time, share and payout, yields, expenses, chart."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Table

from core.errors import NotFound
from plugins.mining import adjustments, events, expenses, payroll, report, report_pdf, yields
from plugins.mining.settings import MiningSettings
from plugins.mining.yields import YieldInput
from tests.mining.conftest import ALICE, BOB, CARA, DAN, GUILD, OTHER_GUILD, REFINERY, ROCKS, at
from tests.pdf_support import HOSTILE, assert_literal_and_linkless, chart_of, text_of, ticks

RULES = MiningSettings(org_cut_percent=Decimal("10"))


async def sunday_op(voice) -> int:
    event = await events.create_event(GUILD, at=at(), description="Aaron Halo, bring a Mole")
    async with voice.tracker.changing(GUILD):
        await events.start_event(GUILD, event.id, at=at())
    await voice(ALICE, None, ROCKS, 0)
    await voice(BOB, None, ROCKS, 5)
    await voice(CARA, None, REFINERY, 10)
    await voice(BOB, ROCKS, REFINERY, 60)
    await voice(CARA, REFINERY, None, 40)
    await voice(DAN, None, ROCKS, 100)
    await voice(DAN, ROCKS, None, 100.3)  # 18 s: does not count
    async with voice.tracker.changing(GUILD):
        await events.stop_event(GUILD, event.id, at=at(120))
    await yields.add_yields(
        GUILD,
        event.id,
        [YieldInput("Quantainium", "32.5", user_id=ALICE), YieldInput("Gold", "10", value="64000")],
    )
    await expenses.add_expense(
        GUILD, event.id, amount="12500", paid_by=BOB, kind="refinery", description="ARC-L1"
    )
    return event.id


async def test_pdf_before_payroll_is_a_marked_preview(world, voice):
    event_id = await sunday_op(voice)
    data = await report_pdf.event_pdf(GUILD, event_id, settings=RULES, now=at(130))
    text = text_of(data)
    assert "Mining event #" in text and "Sunday Mining" in text
    assert "Preview: payroll has not been committed" in text
    assert (await events.get_event(GUILD, event_id)).pdf_generated


async def test_pdf_after_payroll_shows_everything(world, voice, tmp_path: Path):
    event_id = await sunday_op(voice)
    await payroll.commit(GUILD, event_id, settings=RULES, at=at(130))
    await payroll.mark_paid(GUILD, event_id, user_id=ALICE, at=at(140))
    out = tmp_path / "op.pdf"
    size = await report_pdf.write_event_report(GUILD, event_id, out, settings=RULES, now=at(150))
    assert size == out.stat().st_size > 2000
    text = text_of(out.read_bytes())
    for expected in (
        "Aaron Halo, bring a Mole",
        "Participants",
        "Alice",
        "Bob",
        "Cara",
        "2h 00m 00s",  # Alice: the whole op
        "Quantainium",
        "286,000.00",  # 32.5 SCU × 8,800.00
        "350,000.00",  # total value
        "12,500.00",  # the refinery fee
        "ARC-L1",
        "Org cut (10%)",
        "33,750.00",  # 10% of 337,500.00
        "303,750.00",  # shared
        "Time in mining channels",
        "paid",
        "owed",
    ):
        assert expected in text, expected
    assert "Dan" not in text  # 18 seconds never counted


async def test_pdf_of_a_planned_event_says_there_is_no_payroll(world):
    event = await events.create_event(GUILD, at=at())
    text = text_of(await report_pdf.event_pdf(GUILD, event.id, settings=RULES, now=at()))
    assert "The event is planned: no payroll." in text and "Nobody took part." in text


async def test_pdf_of_another_guilds_event_is_not_found(world):
    theirs = await events.create_event(OTHER_GUILD, at=at())
    with pytest.raises(NotFound):
        await report_pdf.event_pdf(GUILD, theirs.id, settings=RULES, now=at())
    assert not (await events.get_event(OTHER_GUILD, theirs.id)).pdf_generated


async def test_markup_in_names_reasons_and_memos_is_shown_as_typed(world, voice):
    from core import members

    await members.ensure_guild(GUILD, HOSTILE[2])
    event = await events.create_event(
        GUILD, at=at(), name=HOSTILE[1], description="<i>bring</i> & <font size=80>"
    )
    async with voice.tracker.changing(GUILD):
        await events.start_event(GUILD, event.id, at=at())
    await voice(ALICE, None, ROCKS, 0)
    async with voice.tracker.changing(GUILD):
        await events.stop_event(GUILD, event.id, at=at(60))
    await adjustments.set_time(
        GUILD, event.id, BOB, minutes=30, reason=HOSTILE[0], actor_id=ALICE, at=at(61)
    )
    await yields.add_yields(GUILD, event.id, [YieldInput("Gold", "10", value="1000")])
    await expenses.add_expense(
        GUILD, event.id, amount="10", paid_by=BOB, kind="fuel", description="<a href=x>fuel</a>"
    )
    data = await report_pdf.event_pdf(GUILD, event.id, settings=RULES, now=at(70))
    assert_literal_and_linkless(data, [*HOSTILE, "<i>bring</i> & <font size=80>", "<a href=x>fuel"])


async def test_the_finance_report_shows_a_refinery_fee_as_an_expense(world, voice):
    from plugins.economy import report_files, reports

    event_id = await sunday_op(voice)  # 350,000 value, a 12,500 refinery fee paid by Bob
    committed = await payroll.commit(GUILD, event_id, settings=RULES, at=at(130))
    start, end = reports.day_window(at().date(), at().date(), at().date())
    finances = await reports.finances(GUILD, start, end)
    assert finances.expenses == Decimal("12500.00")
    assert finances.income == committed.org_cut + Decimal("12500.00")
    assert finances.net == committed.org_cut == Decimal("33750.00")
    assert finances.treasury_end == Decimal("350000.00")
    text = " ".join(text_of(report_files.to_pdf(finances)).split())
    assert "Expenses 12,500.00" in text and "Net result 33,750.00" in text


def cells_fit(table: Table, padding: float) -> list[str]:
    """Every text cell of a reportlab table, at its font, within its column (padding incl.)."""
    too_wide = []
    for r, row in enumerate(table._cellvalues):
        font = "Helvetica-Bold" if r == 0 else "Helvetica"
        for text, col_width in zip(row, table._colWidths, strict=True):
            needed = stringWidth(str(text), font, 8.5) + 2 * padding
            if needed > col_width:
                too_wide.append(f"{text!r}: {needed:.0f} > {col_width:.0f}")
    return too_wide


async def test_the_participants_status_column_has_a_header_and_fits(world, voice):
    event_id = await sunday_op(voice)
    await payroll.set_donation(GUILD, event_id, CARA)  # "donated"
    await adjustments.set_time(
        GUILD, event_id, DAN, minutes=1, reason="client dropped", actor_id=ALICE, at=at(121)
    )  # under min_minutes_to_qualify, so no payout: "set by hand"
    rules = MiningSettings(org_cut_percent=Decimal("10"), min_minutes_to_qualify=5)
    await payroll.commit(GUILD, event_id, settings=rules, at=at(130))
    await payroll.mark_paid(GUILD, event_id, user_id=ALICE, at=at(140))  # "paid", Bob "owed"
    gathered = await report.gather(GUILD, event_id, settings=rules, now=at(150))
    width = A4[0] - 32 * mm
    kept = report_pdf._participants(gathered, width, getSampleStyleSheet())
    [table] = [f for f in kept._content if isinstance(f, Table)]
    assert table._cellvalues[0][-1] == "Status"
    statuses = {row[-1] for row in table._cellvalues[1:]}
    assert statuses == {"paid", "owed", "donated", "set by hand"}, statuses
    long_name = "Quartermaster Kowalski"[: report_pdf.MEMBER_CHARS]
    widest = [[long_name, "12h 00m 00s", "12", "yes", "100.0%"]]
    widest[0] += ["1,234,567.89"] * 3 + ["set by hand"]
    table._cellvalues += widest
    assert cells_fit(table, report_pdf.CELL_PADDING) == []
    text = text_of(report_pdf.render(gathered))
    assert "Payout Status" in " ".join(text.split())


async def test_the_time_chart_axis_reaches_the_longest_bar(world, voice):
    event = await events.create_event(GUILD, at=at())
    async with voice.tracker.changing(GUILD):
        await events.start_event(GUILD, event.id, at=at())
    await voice(ALICE, None, ROCKS, 0)
    await voice(BOB, None, ROCKS, 60)
    async with voice.tracker.changing(GUILD):
        await events.stop_event(GUILD, event.id, at=at(117))  # reportlab alone stops at 100
    gathered = await report.gather(GUILD, event.id, settings=RULES, now=at(120))
    drawing = report_pdf._time_chart(gathered, 500)
    chart = chart_of(drawing, HorizontalBarChart)
    longest = max(max(row) for row in chart.data)
    assert longest == 117 and max(ticks(drawing, chart.valueAxis)) >= longest


async def test_an_op_nobody_joined_has_an_empty_time_chart(world):
    event = await events.create_event(GUILD, at=at())
    gathered = await report.gather(GUILD, event.id, settings=RULES, now=at())
    drawing = report_pdf._time_chart(gathered, 500)
    assert ticks(drawing, chart_of(drawing, HorizontalBarChart).valueAxis) == []
    text = text_of(report_pdf.render(gathered))
    assert report_pdf.NOBODY in text and "0.002" not in text and "nobody" not in text
