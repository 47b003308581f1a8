"""The event report as a PDF (reportlab): tables and a chart of time per participant.

`event_pdf` gathers the report (`plugins.mining.report`), renders it and marks the event
`pdf_generated`; `write_event_report` writes it to a file for the CLI.
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from clocks import utc
from plugins.economy.pdf_look import RED, fit_axis, markup, money, nothing_to_show, table
from plugins.mining.models import MiningEvent
from plugins.mining.report import EventReport, gather
from plugins.mining.settings import MiningSettings
from plugins.mining.timeline import hms

CHART_MAX = 40  # bars in the time chart; the longest stays first
NOBODY = "Nobody has time in mining channels yet."
# the participants table: heading and share of the page width of each column, sized so that
# 22 characters of name, 12h 00m 00s, 1,234,567.89 and "set by hand" fit their cells
PARTICIPANT_COLUMNS = (
    ("Member", 0.215),
    ("Time", 0.11),
    ("Sessions", 0.09),
    ("Org", 0.05),
    ("Share %", 0.08),
    ("Share", 0.115),
    ("Repaid", 0.115),
    ("Payout", 0.115),
    ("Status", 0.11),
)
MEMBER_CHARS = 22
CELL_PADDING = 3  # points left and right of each cell of that table


def _when(at: datetime | None) -> str:
    return "—" if at is None else f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _table(rows: list[list[str]], widths: list[float], *, header: bool = True) -> Table:
    return table(rows, widths, header=header, font_size=8.5, padding=2.5)


def _time_chart(report: EventReport, width: float) -> Drawing:
    people = report.participants[:CHART_MAX]
    bar = 11
    height = max(60, 40 + bar * len(people))
    drawing = Drawing(width, height)
    title = "Time in mining channels (minutes)"
    if len(report.participants) > CHART_MAX:
        title += f", longest {CHART_MAX} of {len(report.participants)}"
    drawing.add(String(0, height - 12, title, fontName="Helvetica-Bold", fontSize=10))
    chart = HorizontalBarChart()
    chart.x, chart.y = 95, 20
    chart.width, chart.height = width - 115, height - 40
    # reportlab draws the first category at the bottom: reverse so the longest is on top
    ordered = list(reversed(people))
    minutes = [round(p.seconds / 60, 1) for p in ordered]
    chart.data = [minutes or [0]]
    chart.categoryAxis.categoryNames = [p.name[:18] for p in ordered] or [""]
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.boxAnchor = "e"
    if not fit_axis(chart.valueAxis, 0, max(minutes, default=0)):
        chart.categoryAxis.visibleTicks = False
        nothing_to_show(drawing, chart.x, chart.y + chart.height / 2 - 3, chart.width, NOBODY)
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = RED
    chart.bars[0].strokeColor = None
    if minutes:
        chart.barLabelFormat = "%.0f"
    chart.barLabels.fontSize = 6.5
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    return drawing


def render(report: EventReport) -> bytes:
    event = report.event
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=f"Mining event #{event.id} {event.event_name}",
        author="Red Legion Bot",
    )
    styles = getSampleStyleSheet()
    width = doc.width
    payroll = report.payroll
    story: list = [
        Paragraph(f"Mining event #{event.id} — {markup(event.event_name)}", styles["Title"]),
        Paragraph(
            f"{markup(report.guild_name) + ' · ' if report.guild_name else ''}"
            f"{event.event_date:%A %d %B %Y} · status {event.status}. Amounts in aUEC.",
            styles["Normal"],
        ),
        Spacer(1, 5 * mm),
    ]
    duration = (
        hms(int((event.ended_at - event.started_at).total_seconds()))
        if event.started_at and event.ended_at
        else "—"
    )
    facts = [
        ["Planned for", _when(event.event_time)],
        ["Started", _when(event.started_at)],
        ["Stopped", _when(event.ended_at)],
        ["Duration", duration],
        ["Participants", str(len(report.participants))],
        ["Total value", money(Decimal(str(event.total_value_auec)))],
    ]
    if event.description:
        facts.append(["Description", event.description[:90]])
    if payroll is not None:
        facts += [
            ["Payroll", "committed" if payroll.committed else "not committed (preview)"],
            ["Split", "by time in channel" if payroll.mode == "time" else "equal shares"],
        ]
    facts_table = _table(facts, [width * 0.25, width * 0.5], header=False)
    facts_table.setStyle(TableStyle([("ALIGN", (1, 0), (1, -1), "LEFT")]))
    story += [facts_table]
    if payroll is not None:
        summary = [
            ["Payroll", "aUEC"],
            ["Gross value", money(payroll.gross)],
            ["Expenses repaid", money(-payroll.expenses)],
            [f"Org cut ({payroll.org_cut_percent.normalize():f}%)", money(-payroll.org_cut)],
            ["Shared among participants", money(payroll.pot)],
        ]
        story += [Spacer(1, 4 * mm), _table(summary, [width * 0.45, width * 0.3])]
    if report.payroll_note:
        story += [
            Spacer(1, 2 * mm),
            Paragraph(f"<i>{markup(report.payroll_note)}</i>", styles["Normal"]),
        ]
    story += [Spacer(1, 5 * mm), _time_chart(report, width), Spacer(1, 4 * mm)]
    story.append(_participants(report, width, styles))
    if report.adjustments:
        story.append(_adjustments(report, width, styles))
    story.append(_yields(report, width, styles))
    story.append(_expenses(report, width, styles))
    story += [
        Spacer(1, 6 * mm),
        Paragraph(
            f"<font size=7 color='#5f6368'>Generated {_when(report.generated_at)} by Red Legion "
            "Bot. Time counts in approved mining channels while the event is active; sessions "
            "shorter than the configured minimum do not count.</font>",
            styles["Normal"],
        ),
    ]
    doc.build(story)
    return buffer.getvalue()


def _participants(report: EventReport, width: float, styles: StyleSheet1) -> KeepTogether:
    heading = Paragraph("Participants", styles["Heading3"])
    payroll = report.payroll
    shares = {s.user_id: s for s in payroll.shares} if payroll else {}
    rows = [[name for name, _ in PARTICIPANT_COLUMNS]]
    listed = [p.user_id for p in report.participants]
    listed += [uid for uid in shares if uid not in set(listed)]
    times = {p.user_id: p for p in report.participants}
    for uid in listed:
        person = times.get(uid)
        share = shares.get(uid)
        percent = (
            f"{share.share / payroll.pot * 100:.1f}%"
            if share and payroll and payroll.pot > 0
            else "—"
        )
        note = ""
        if share and share.donated:
            note = "donated"
        elif share and not share.qualified and person is not None:
            note = "too short"
        elif uid in report.payout_status and share and share.amount > 0:
            note = report.payout_status[uid]
        elif person is not None and person.adjusted:
            note = "set by hand"
        rows.append(
            [
                report.names.get(uid, str(uid))[:MEMBER_CHARS],
                hms(person.seconds) if person else "—",
                str(person.sessions) if person else "—",
                ("yes" if person.is_org_member else "no") if person else "—",
                percent,
                money(share.share) if share else "—",
                money(share.reimbursed) if share and share.reimbursed else "",
                money(share.amount) if share else "—",
                note,
            ]
        )
    if len(rows) == 1:
        return KeepTogether([heading, Paragraph("Nobody took part.", styles["Normal"])])
    table = _table(rows, [width * f for _, f in PARTICIPANT_COLUMNS])
    table.setStyle(
        TableStyle(
            [
                ("ALIGN", (-1, 0), (-1, -1), "LEFT"),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ]
        )
    )
    return KeepTogether([heading, table])


def _adjustments(report: EventReport, width: float, styles: StyleSheet1) -> KeepTogether:
    heading = Paragraph("Time set by officers", styles["Heading3"])
    small = styles["Normal"].clone("reason", fontSize=7.5, leading=9, alignment=TA_LEFT)
    rows: list[list[object]] = [["Member", "Counted", "Set to", "By", "When", "Reason"]]
    for a in report.adjustments:
        rows.append(
            [
                a.name[:24],
                hms(a.counted_seconds),
                hms(a.seconds),
                a.adjusted_by[:20],
                f"{a.adjusted_at.astimezone(UTC):%Y-%m-%d %H:%M}",
                Paragraph(markup(a.reason), small),
            ]
        )
    fractions = (0.15, 0.11, 0.11, 0.14, 0.16, 0.33)
    table = _table(rows, [width * f for f in fractions])  # type: ignore[arg-type]
    table.setStyle(
        TableStyle(
            [
                ("ALIGN", (3, 0), (-1, -1), "LEFT"),
                ("LEFTPADDING", (3, 0), (-1, -1), 8),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return KeepTogether([heading, table])


def _yields(report: EventReport, width: float, styles: StyleSheet1) -> KeepTogether:
    heading = Paragraph("Yields", styles["Heading3"])
    if not report.yields:
        return KeepTogether([heading, Paragraph("No yields recorded.", styles["Normal"])])
    rows = [["Material", "SCU", "Price / SCU", "Value", "Credited to"]]
    for y in report.yields:
        rows.append(
            [
                y.material,
                f"{y.scu:,.2f}",
                money(y.price_per_scu) if y.price_per_scu is not None else "sale total",
                money(y.value),
                report.names.get(y.user_id, str(y.user_id)) if y.user_id else "whole event",
            ]
        )
    total = sum((y.value for y in report.yields), Decimal("0.00"))
    rows.append(["Total", "", "", money(total), ""])
    table = _table(rows, [width * f for f in (0.25, 0.15, 0.18, 0.2, 0.22)])
    table.setStyle(
        TableStyle(
            [
                ("ALIGN", (-1, 0), (-1, -1), "LEFT"),
                ("LEFTPADDING", (-1, 0), (-1, -1), 14),
                ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 8.5),
            ]
        )
    )
    return KeepTogether([heading, table])


def _expenses(report: EventReport, width: float, styles: StyleSheet1) -> KeepTogether:
    heading = Paragraph("Expenses", styles["Heading3"])
    if not report.expenses:
        return KeepTogether([heading, Paragraph("No expenses recorded.", styles["Normal"])])
    rows = [["Kind", "Description", "Paid by", "Amount"]]
    for e in report.expenses:
        rows.append([e.kind, e.description[:40], e.paid_by_name[:24], money(e.amount)])
    total = sum((e.amount for e in report.expenses), Decimal("0.00"))
    rows.append(["Total", "", "", money(total)])
    table = _table(rows, [width * f for f in (0.15, 0.4, 0.25, 0.2)])
    table.setStyle(
        TableStyle(
            [
                ("ALIGN", (1, 0), (2, -1), "LEFT"),
                ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 8.5),
            ]
        )
    )
    return KeepTogether([heading, table])


async def event_pdf(
    guild_id: int, event_id: int, *, settings: MiningSettings, now: datetime
) -> bytes:
    """The event's PDF; marks the event `pdf_generated`."""
    report = await gather(guild_id, event_id, settings=settings, now=now)
    data = render(report)
    await MiningEvent.filter(id=report.event.id, guild_id=guild_id).update(pdf_generated=True)
    return data


def file_name(event: MiningEvent) -> str:
    return f"mining_event_{event.id}_{event.event_date:%Y%m%d}.pdf"


async def write_event_report(
    guild_id: int,
    event_id: int,
    out: Path,
    *,
    settings: MiningSettings,
    now: datetime | None = None,
) -> int:
    """Write the PDF to a file; returns its size in bytes."""
    data = await event_pdf(guild_id, event_id, settings=settings, now=now or utc())

    def write() -> None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)

    await asyncio.to_thread(write)
    return len(data)
