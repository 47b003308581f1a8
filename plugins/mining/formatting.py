"""Views of mining data for Discord messages (the demo prints what Discord would show).

Discord shows at most 2,000 characters a message, so long tables are cut with a note. Times
are Discord timestamps (`discord.utils.format_dt`), which each member's client shows in their
own time zone; PDFs and CSV files keep explicit UTC text.
"""

from __future__ import annotations

from decimal import Decimal

from discord.utils import format_dt

from core.money import cents, fmt
from plugins.mining.adjustments import Adjustment
from plugins.mining.events import EventView, label
from plugins.mining.payroll import PayoutLine, Payroll
from plugins.mining.timeline import hms

MESSAGE_MAX = 1900


def _money(amount: Decimal) -> str:
    return f"{cents(amount):,.2f}"


def fit(head: str, rows: list[str], foot: str = "") -> str:
    """`head` + a code block of rows, cut to fit a message."""
    shown: list[str] = []
    budget = MESSAGE_MAX - len(head) - len(foot) - 60
    for n, row in enumerate(rows):
        if sum(len(r) + 1 for r in shown) + len(row) > budget:
            shown.append(f"… and {len(rows) - n} more (see /mining report event)")
            break
        shown.append(row)
    block = "```\n" + "\n".join(shown) + "\n```" if shown else ""
    return "\n".join(part for part in (head, block, foot) if part)


def payroll_table(payroll: Payroll) -> str:
    """The payroll as officers read it: the sums, then one line per member."""
    state = "committed" if payroll.committed else "preview, nothing written"
    split = "by time in channel" if payroll.mode == "time" else "equal shares"
    head = (
        f"**Payroll for #{payroll.event_id} {payroll.event_name}** ({state}, {split})\n"
        f"Gross {fmt(payroll.gross)} − expenses {_money(payroll.expenses)} − org cut "
        f"{payroll.org_cut_percent.normalize():f}% {_money(payroll.org_cut)} = "
        f"**{fmt(payroll.pot)}** shared"
    )
    width = max([len(s.name[:20]) for s in payroll.shares] + [6])
    rows = [f"{'Member':<{width}}  {'Time':>11}  {'Share':>14}  {'Repaid':>12}  {'Payout':>14}"]
    for s in payroll.shares:
        note = " donated" if s.donated else ("" if s.qualified else " (not qualified)")
        rows.append(
            f"{s.name[:20]:<{width}}  {hms(s.seconds):>11}  {_money(s.share):>14}  "
            f"{_money(s.reimbursed) if s.reimbursed else '':>12}  {_money(s.amount):>14}{note}"
        )
    rows.append(
        f"{'Total':<{width}}  {'':>11}  {_money(payroll.pot):>14}  "
        f"{_money(payroll.expenses) if payroll.expenses else '':>12}  "
        f"{_money(payroll.paid_out):>14}"
    )
    return fit(head, rows)


def event_view(view: EventView, *, live: bool) -> str:
    event = view.event
    lines = [f"**{label(event)}**"]
    if event.description:
        lines.append(event.description)
    if event.started_at:
        lines.append(f"Started {format_dt(event.started_at, 'f')}")
    if event.ended_at:
        lines.append(f"Stopped {format_dt(event.ended_at, 'f')}")
    lines.append(
        f"Value {fmt(Decimal(str(event.total_value_auec)))} · "
        f"payroll {'committed' if event.payroll_processed else 'not committed'}"
    )
    if not view.participants:
        return "\n".join([*lines, "Nobody has time in this event yet."])
    rows = [
        f"{p.name[:22]:<22} {hms(p.seconds):>11}"
        + ("  in channel" if live and p.in_channel else "")
        + ("  set by an officer" if p.adjusted else "")
        for p in view.participants
    ]
    head = "\n".join([*lines, f"{len(view.participants)} participant(s):"])
    return fit(head, rows)


def payouts_table(event_id: int, lines: list[PayoutLine]) -> str:
    if not lines:
        return f"Event #{event_id} has no payouts."
    rows = [
        f"{p.name[:22]:<22} {_money(p.amount):>14}  {p.status}"
        + (f" {p.paid_at:%Y-%m-%d}" if p.paid_at and p.amount else "")
        + (" (donated)" if p.donated else "")
        for p in lines
    ]
    owed = sum((p.amount for p in lines if p.status == "owed"), Decimal("0.00"))
    return fit(f"**Payouts of event #{event_id}** (still owed: {fmt(owed)})", rows)


def adjustments_table(event_id: int, changes: list[Adjustment]) -> str:
    if not changes:
        return f"No time was set by hand in event #{event_id}: it is all as the bot counted."
    rows = [
        f"{c.name[:22]:<22} {hms(c.counted_seconds):>11} → {hms(c.seconds):>11}  "
        f"by {c.adjusted_by[:20]} {c.adjusted_at:%Y-%m-%d %H:%M} UTC: {c.reason}"
        for c in changes
    ]
    return fit(f"**Times set by hand in event #{event_id}** (counted → set)", rows)
