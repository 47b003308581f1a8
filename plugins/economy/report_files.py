"""The financial report as files: CSV for spreadsheets, PDF with charts for officers."""

from __future__ import annotations

import io

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

from core import tabular
from core.axis import short_number
from plugins.economy.pdf_look import (
    GREEN,
    RED,
    fit_axis,
    markup,
    money,
    nothing_to_show,
    table,
)
from plugins.economy.reports import FinanceReport, MaterialTotal

EMPTY_TREASURY = "The treasury held nothing in this period."
EMPTY_FLOW = "No income or expenses in this period."


def period_label(report: FinanceReport) -> str:
    return f"{report.start.date():%Y-%m-%d} to {report.last_day:%Y-%m-%d}"


def file_stem(report: FinanceReport) -> str:
    return f"finances_{report.guild_id}_{report.start.date():%Y%m%d}_{report.last_day:%Y%m%d}"


def to_csv(report: FinanceReport) -> bytes:
    """`section,name,quantity,amount_auec` rows: figures, materials (SCU), transaction kinds
    (count), and the treasury balance at the end of each day."""
    rows: list[list[object]] = [
        ["period", "start", "", f"{report.start.date():%Y-%m-%d}"],
        ["period", "end", "", f"{report.last_day:%Y-%m-%d}"],
    ]
    rows += [["summary", name, "", f"{amount:.2f}"] for name, amount in report.figures()]
    rows += [["sold", m.name, f"{m.scu:.2f}", f"{m.value:.2f}"] for m in report.sold]
    rows += [["bought", m.name, f"{m.scu:.2f}", f"{m.value:.2f}"] for m in report.bought]
    rows += [["transactions", k.kind, str(k.count), f"{k.volume:.2f}"] for k in report.kinds]
    rows += [
        ["treasury_by_day", f"{day:%Y-%m-%d}", "", f"{balance:.2f}"]
        for day, balance in report.treasury_by_day
    ]
    return tabular.to_csv(["section", "name", "quantity", "amount_auec"], rows)


def _treasury_chart(report: FinanceReport, width: float, height: float) -> Drawing:
    drawing = Drawing(width, height)
    drawing.add(
        String(0, height - 12, "Treasury balance (aUEC)", fontName="Helvetica-Bold", fontSize=10)
    )
    points = [(i, float(balance)) for i, (_, balance) in enumerate(report.treasury_by_day)]
    if len(points) == 1:
        points.append((1, points[0][1]))
    plot = LinePlot()
    plot.x, plot.y = 50, 30
    plot.width, plot.height = width - 70, height - 60
    plot.data = [points]
    plot.lines[0].strokeColor = RED
    plot.lines[0].strokeWidth = 1.5
    if not fit_axis(plot.yValueAxis, min(p[1] for p in points), max(p[1] for p in points)):
        nothing_to_show(drawing, plot.x, plot.y + plot.height / 2, plot.width, EMPTY_TREASURY)
    plot.yValueAxis.labelTextFormat = short_number
    plot.yValueAxis.labels.fontSize = 7
    plot.xValueAxis.valueMin = 0
    plot.xValueAxis.valueMax = max(1, len(points) - 1)
    days = [d for d, _ in report.treasury_by_day]
    step = max(1, len(days) // 6)
    plot.xValueAxis.valueSteps = list(range(0, len(days), step))
    label = "%b %Y" if len(days) > 183 else "%d %b"
    plot.xValueAxis.labelTextFormat = lambda i: f"{days[min(int(i), len(days) - 1)]:{label}}"
    plot.xValueAxis.labels.fontSize = 7
    drawing.add(plot)
    return drawing


def _flow_chart(report: FinanceReport, width: float, height: float) -> Drawing:
    drawing = Drawing(width, height)
    drawing.add(
        String(
            0,
            height - 12,
            f"Income and expenses per {report.flow_bucket} (aUEC)",
            fontName="Helvetica-Bold",
            fontSize=10,
        )
    )
    weeks = report.flow
    chart = VerticalBarChart()
    chart.x, chart.y = 50, 30
    chart.width, chart.height = width - 160, height - 60
    chart.data = [[float(i) for _, i, _ in weeks], [float(e) for _, _, e in weeks]]
    chart.bars[0].fillColor = GREEN
    chart.bars[1].fillColor = RED
    label = "%b %Y" if report.flow_bucket == "month" else "%d %b"
    step = max(1, len(weeks) // 14)  # at most ~14 labels
    chart.categoryAxis.categoryNames = [
        f"{w:{label}}" if i % step == 0 else "" for i, (w, _, _) in enumerate(weeks)
    ]
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(weeks) > 8 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(weeks) > 8 else "n"
    if not fit_axis(chart.valueAxis, 0, max((v for row in chart.data for v in row), default=0)):
        nothing_to_show(drawing, chart.x, chart.y + chart.height / 2, chart.width, EMPTY_FLOW)
    chart.valueAxis.labelTextFormat = short_number
    chart.valueAxis.labels.fontSize = 7
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 95, height - 40
    legend.fontSize = 8
    legend.colorNamePairs = [(GREEN, "Income"), (RED, "Expenses")]
    drawing.add(legend)
    return drawing


def _materials(
    title: str, materials: list[MaterialTotal], none: str, width: float, styles: StyleSheet1
) -> KeepTogether:
    heading = Paragraph(title, styles["Heading3"])
    if not materials:
        return KeepTogether(
            [heading, Paragraph(f"{none} recorded in this period.", styles["Normal"])]
        )
    rows = [["Material", "SCU", "aUEC"]] + [
        [m.name, f"{m.scu:,.2f}", money(m.value)] for m in materials
    ]
    return KeepTogether([heading, table(rows, [width * 0.4, width * 0.25, width * 0.25])])


def to_pdf(report: FinanceReport, guild_name: str = "") -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Finances {period_label(report)}",
        author="Red Legion Bot",
    )
    styles = getSampleStyleSheet()
    width = doc.width
    story: list = [
        Paragraph(
            f"Financial report{' — ' + markup(guild_name) if guild_name else ''}", styles["Title"]
        ),
        Paragraph(f"{period_label(report)} (UTC). Amounts in aUEC.", styles["Normal"]),
        Spacer(1, 6 * mm),
    ]
    figures = [["Figure", "aUEC"]] + [[n, money(a)] for n, a in report.figures()]
    story += [table(figures, [width * 0.6, width * 0.3]), Spacer(1, 6 * mm)]
    story += [_treasury_chart(report, width, 55 * mm), Spacer(1, 4 * mm)]
    story += [_flow_chart(report, width, 55 * mm), Spacer(1, 6 * mm)]
    # every material traded, as the CSV lists them (a guild trades a few dozen at most)
    story.append(_materials("Materials sold", report.sold, "No sales", width, styles))
    story.append(_materials("Materials bought", report.bought, "No purchases", width, styles))
    heading = Paragraph("Transactions by kind", styles["Heading3"])
    if report.kinds:
        rows = [["Kind", "Count", "Money moved"]] + [
            [k.kind.replace("_", " "), str(k.count), money(k.volume)] for k in report.kinds
        ]
        body = table(rows, [width * 0.4, width * 0.2, width * 0.3])
    else:
        body = Paragraph("No transactions in this period.", styles["Normal"])
    story.append(KeepTogether([heading, body]))
    doc.build(story)
    return buffer.getvalue()
