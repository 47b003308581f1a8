"""An event's report: facts, participants with time, share and payout, yields, expenses, cut.

`gather` reads everything the PDF shows; `report_pdf` renders it (and sets `pdf_generated`).
Before payroll is committed the figures are the preview's (the PDF says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.errors import UserError
from core.models import Guild
from plugins.mining import payroll as payroll_service
from plugins.mining.adjustments import Adjustment, adjustments
from plugins.mining.events import get_event
from plugins.mining.expenses import ExpenseLine, list_expenses
from plugins.mining.models import EventStatus, MiningEvent
from plugins.mining.participants import Participant, participants
from plugins.mining.payroll import Payroll
from plugins.mining.settings import MiningSettings
from plugins.mining.yields import YieldLine, list_yields


@dataclass(frozen=True, kw_only=True)
class EventReport:
    guild_name: str
    event: MiningEvent
    participants: list[Participant]
    yields: list[YieldLine]
    expenses: list[ExpenseLine]
    payroll: Payroll | None
    # why there are no payroll figures (e.g. the event is still planned)
    payroll_note: str
    generated_at: datetime
    names: dict[int, str]
    # paid / owed per member, once payroll is committed
    payout_status: dict[int, str]
    # times officers set by hand
    adjustments: tuple[Adjustment, ...] = ()


async def gather(
    guild_id: int, event_id: int, *, settings: MiningSettings, now: datetime
) -> EventReport:
    event = await get_event(guild_id, event_id)
    guild_name = await Guild.filter(id=guild_id).first().values_list("name", flat=True) or ""
    people = await participants(
        event,
        now=now,
        min_session_seconds=settings.min_session_seconds,
    )
    payroll: Payroll | None = None
    note = ""
    if event.status in (EventStatus.COMPLETED, EventStatus.ACTIVE) or event.payroll_processed:
        try:
            payroll = await payroll_service.preview(guild_id, event.id, settings=settings, now=now)
        except UserError as exc:
            note = exc.message
    else:
        note = f"The event is {event.status}: no payroll."
    if payroll is not None and not payroll.committed:
        note = "Preview: payroll has not been committed, figures may still change."
    names = {p.user_id: p.name for p in people}
    status: dict[int, str] = {}
    if payroll is not None:
        names.update({s.user_id: s.name for s in payroll.shares})
    if payroll is not None and payroll.committed:
        status = {
            p.user_id: str(p.status) for p in await payroll_service.payouts(guild_id, event.id)
        }
    return EventReport(
        guild_name=str(guild_name),
        event=event,
        participants=people,
        yields=await list_yields(guild_id, event.id),
        expenses=await list_expenses(guild_id, event.id),
        payroll=payroll,
        payroll_note=note,
        generated_at=now,
        names=names,
        payout_status=status,
        adjustments=tuple(await adjustments(guild_id, event.id)),
    )
