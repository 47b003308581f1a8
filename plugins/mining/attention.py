"""What in mining needs someone's attention: an op running, payrolls to commit, payouts owed.

For the portal's guild home (and anything else that lists what is waiting). Three queries,
whatever the number of events; each item says who acts on it (its level).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.money import fmt
from core.permissions import Level
from plugins.mining.models import EventStatus, MiningEvent, MiningPayout, PayoutStatus

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Item:
    """One thing waiting: `text` for people, `event_id` to link to, `level` who may act."""

    kind: str  # "active" | "payroll" | "owed"
    text: str
    event_id: int | None
    level: Level


async def items(guild_id: int) -> list[Item]:
    """Active ops first, then completed ops whose payroll is not committed, then owed payouts."""
    found: list[Item] = []
    active = (
        await MiningEvent.filter(guild_id=guild_id, status=EventStatus.ACTIVE)
        .order_by("id")
        .values_list("id", "event_name")
    )
    found += [
        Item("active", f"Event #{eid} ({name}) is running now.", eid, Level.MEMBER)
        for eid, name in active
    ]
    unpaid = (
        await MiningEvent.filter(
            guild_id=guild_id, status=EventStatus.COMPLETED, payroll_processed=False
        )
        .order_by("id")
        .values_list("id", "event_name")
    )
    found += [
        Item(
            "payroll",
            f"Event #{eid} ({name}) is over: its payroll is not committed yet.",
            eid,
            Level.TREASURER,
        )
        for eid, name in unpaid
    ]
    owed = (
        await MiningPayout.filter(event__guild_id=guild_id, status=PayoutStatus.OWED)
        .order_by("event_id")
        .values_list("event_id", "amount_auec")
    )
    per_event: dict[int, tuple[int, Decimal]] = {}
    for eid, amount in owed:
        count, total = per_event.get(eid, (0, ZERO))
        per_event[eid] = (count + 1, total + Decimal(str(amount)))
    found += [
        Item(
            "owed",
            f"Event #{eid}: {count} payout(s) owed, {fmt(total)} in all.",
            eid,
            Level.TREASURER,
        )
        for eid, (count, total) in per_event.items()
    ]
    return found
