"""Officers set a member's time in an ended op by hand, before its payroll is committed.

The bot counts only what it sees in voice. A miner who never joined voice, a client that
dropped, or a member who left while the bot was down (see the downtime rule) can all be short.
An officer sets their time with a reason. The bot's own count stays beside it with who changed
it and when. Payroll, `show` and the report use the time the officer set, and the report lists
every such change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from core.errors import InvalidInput, InvalidState, MemberRef, NotFound
from core.models import GuildMembership
from core.names import member_names, plain_name
from plugins.mining.events import get_event
from plugins.mining.models import EventStatus, MiningMemberTime
from plugins.mining.participants import count_participants, freeze_times
from plugins.mining.timeline import hms

REASON_MAX = 200


@dataclass(frozen=True, kw_only=True)
class Adjustment:
    user_id: int
    name: str
    seconds: int  # the time set
    counted_seconds: int  # what the bot had counted
    adjusted_by_id: int | None
    adjusted_by: str  # the officer's name
    adjusted_at: datetime
    reason: str


def _minutes(value: int | str) -> int:
    text = str(value).strip()
    try:
        minutes = int(text)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a whole number of minutes.") from None
    if minutes < 0:
        raise InvalidInput(f"Time must not be negative (got {minutes} minutes).")
    return minutes


async def set_time(
    guild_id: int,
    event_id: int,
    user_id: int,
    *,
    minutes: int | str,
    reason: str,
    actor_id: int | None,
    at: datetime,
    min_session_seconds: int = 30,
) -> Adjustment:
    """Set a member's time in a completed event (0 takes them out of its payroll).

    `min_session_seconds` only matters for an event that ended before times were kept: its
    times are counted first, with that rule.
    """
    minutes = _minutes(minutes)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Give a reason: it is kept with the change and shown in the report.")
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"The reason is {len(reason)} characters long: keep it to {REASON_MAX}.")
    async with in_transaction():
        event = await get_event(guild_id, event_id, lock=True)
        if event.status != EventStatus.COMPLETED:
            hint = " (stop it first)" if event.status == EventStatus.ACTIVE else ""
            raise InvalidState(
                f"Event #{event.id} is {event.status}: times can be set on a completed event{hint}."
            )
        if event.payroll_processed:
            raise InvalidState(f"Payroll of event #{event.id} is committed: too late to change.")
        assert event.started_at is not None and event.ended_at is not None
        lasted = int((event.ended_at - event.started_at).total_seconds())
        if minutes > math.ceil(lasted / 60):
            raise InvalidInput(
                f"{minutes} minutes is longer than event #{event.id} lasted ({hms(lasted)})."
            )
        membership = await GuildMembership.get_or_none(guild_id=guild_id, user_id=user_id)
        if membership is None:
            raise NotFound(MemberRef(user_id), " is not a member of this server known to the bot.")
        if event.times_min_session_seconds is None:  # ended before times were kept
            await freeze_times(event, min_session_seconds=min_session_seconds)
        seconds = minutes * 60
        row = await MiningMemberTime.get_or_none(event_id=event.id, user_id=user_id)
        if row is None:
            row = MiningMemberTime(
                event_id=event.id,
                user_id=user_id,
                sessions=0,
                is_org_member=membership.is_org_member,
                counted_seconds=0,
            )
        elif row.counted_seconds is None:
            row.counted_seconds = row.seconds
        row.seconds = seconds
        row.adjusted_by_id = actor_id
        row.adjusted_at = at
        row.adjustment_reason = reason
        await row.save()
        event.total_participants = await count_participants(event.id)
        await event.save(update_fields=["total_participants", "updated_at"])
    return (await adjustments(guild_id, event.id, user_id=user_id))[0]


async def adjustments(
    guild_id: int, event_id: int, *, user_id: int | None = None
) -> list[Adjustment]:
    """The times officers set in an event, in the order they were set."""
    query = MiningMemberTime.filter(
        event_id=event_id, event__guild_id=guild_id, counted_seconds__isnull=False
    )
    if user_id is not None:
        query = query.filter(user_id=user_id)
    rows = await query.order_by("adjusted_at", "id").values_list(
        "user_id",
        "user__display_name",
        "user__username",
        "seconds",
        "counted_seconds",
        "adjusted_by_id",
        "adjusted_at",
        "adjustment_reason",
    )
    officers = {row[5] for row in rows if row[5] is not None}
    names = await member_names(officers)
    return [
        Adjustment(
            user_id=uid,
            name=plain_name(uid, display, username),
            seconds=seconds,
            counted_seconds=counted,
            adjusted_by_id=by,
            adjusted_by=names[by] if by is not None else "?",
            adjusted_at=when,
            reason=why or "",
        )
        for uid, display, username, seconds, counted, by, when, why in rows
    ]
