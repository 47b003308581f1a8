"""The life of a mining event: planned → active → completed, or cancelled.

Every transition is one conditional UPDATE on the current state, so two officers pressing
the same button at once change the event once; the loser is told the state it found.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from clocks import utc
from core.errors import InvalidInput, InvalidState, NotFound
from core.events import GuildSnapshot
from core.models import Guild, GuildMembership
from plugins.mining import sessions, topics
from plugins.mining.channels import approved_channel_ids
from plugins.mining.models import EventStatus, MiningEvent, MiningParticipation
from plugins.mining.participants import Participant, freeze_times, participants
from storage import sql
from storage.change_feed import publish

log = logging.getLogger(__name__)

NAME_MAX = 100
DESCRIPTION_MAX = 1000
# how far from now an event may be planned
PLAN_HORIZON = timedelta(days=366)

ALLOWED_FROM = {
    "start": (EventStatus.PLANNED,),
    "stop": (EventStatus.ACTIVE,),
    "cancel": (EventStatus.PLANNED, EventStatus.ACTIVE),
}


def parse_when(text: str | None, *, now: datetime) -> datetime:
    """`2026-01-04 18:00`, `2026-01-04T18:00Z`, `2026-01-04` or `18:00` (today), in UTC."""
    if text is None or not text.strip():
        return now
    raw = text.strip().upper().removesuffix("UTC").strip().removesuffix("Z").strip()
    try:
        if re.fullmatch(r"\d{1,2}:\d{2}", raw):
            hour, minute = (int(x) for x in raw.split(":"))
            return datetime.combine(now.date(), time(hour, minute), tzinfo=UTC)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            return datetime.combine(date.fromisoformat(raw), time(0, 0), tzinfo=UTC)
        parsed = datetime.fromisoformat(raw.replace(" ", "T"))
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidInput(
            f"{text!r} is not a date and time: use e.g. `2026-01-04 18:00` (UTC) or `18:00`."
        )
    return utc(parsed, naive_is_utc=True)


async def create_event(
    guild_id: int,
    *,
    at: datetime,
    name: str | None = None,
    when: datetime | None = None,
    description: str | None = None,
    created_by: int | None = None,
    default_name: str = "Sunday Mining",
) -> MiningEvent:
    """Plan an event (status planned)."""
    name = (name or "").strip() or default_name
    if len(name) > NAME_MAX:
        raise InvalidInput(f"The event name is {len(name)} characters long: keep it to {NAME_MAX}.")
    description = (description or "").strip() or None
    if description and len(description) > DESCRIPTION_MAX:
        raise InvalidInput(
            f"The description is {len(description)} characters long: keep it to {DESCRIPTION_MAX}."
        )
    when = when or at
    if when.tzinfo is None:
        raise InvalidInput("the event time must be timezone-aware")
    if abs(when - at) > PLAN_HORIZON:
        raise InvalidInput("An event can be planned at most a year away from today.")
    if not await Guild.exists(id=guild_id):
        raise NotFound("This server is not known to the bot yet.")
    return await MiningEvent.create(
        guild_id=guild_id,
        event_name=name,
        description=description,
        event_time=when,
        event_date=when.astimezone(UTC).date(),
        created_by_id=created_by,
    )


async def get_event(guild_id: int, event_id: int, *, lock: bool = False) -> MiningEvent:
    """The guild's event; another guild's id is simply not found.

    `lock` takes the event's row lock (in a transaction): what must see the event unchanged
    until it commits (payroll, yields, expenses, times set by hand) serialises on it.
    """
    event = await sql.first_model(
        MiningEvent, "id = $1 AND guild_id = $2", [event_id, guild_id], lock=lock
    )
    if event is None:
        raise NotFound(f"There is no mining event #{event_id} in this server.")
    return event


async def _refuse(guild_id: int, event_id: int, action: str) -> None:
    """Explain why a conditional transition changed nothing."""
    event = await get_event(guild_id, event_id)
    allowed = " or ".join(str(s) for s in ALLOWED_FROM[action])
    raise InvalidState(
        f"Event #{event.id} ({event.event_name}) is {event.status}: only a {allowed} event "
        f"can be {'stopped' if action == 'stop' else action + 'ed'}."
    )


async def start_event(
    guild_id: int,
    event_id: int,
    *,
    at: datetime,
    voice: GuildSnapshot | None = None,
    allow_concurrent: bool = False,
) -> tuple[MiningEvent, int]:
    """Make a planned event active; members already in approved channels start now.

    Returns the event and how many sessions were opened for members already present.
    """
    async with in_transaction():
        if not allow_concurrent:
            # serialize starts within the guild so two events cannot both become active
            await Guild.filter(id=guild_id).select_for_update().first()
            other = (
                await MiningEvent.filter(guild_id=guild_id, status=EventStatus.ACTIVE)
                .exclude(id=event_id)
                .first()
            )
            if other is not None:
                await get_event(guild_id, event_id)
                raise InvalidState(
                    f"Event #{other.id} ({other.event_name}) is already active: stop it first "
                    "(only one active event per server is allowed)."
                )
        changed = await MiningEvent.filter(
            id=event_id, guild_id=guild_id, status=EventStatus.PLANNED
        ).update(status=EventStatus.ACTIVE, started_at=at, last_seen_at=at)
        if not changed:
            await _refuse(guild_id, event_id, "start")
        await publish(topics.EVENTS, guild_id)
        opened = await _open_for_present(guild_id, event_id, voice, at) if voice else 0
    return await get_event(guild_id, event_id), opened


async def _open_for_present(
    guild_id: int, event_id: int, voice: GuildSnapshot, at: datetime
) -> int:
    approved = await approved_channel_ids(guild_id)
    present = {
        m.user_id: m.channel_id
        for m in voice.in_voice
        if not m.is_bot and m.channel_id in approved and m.channel_id != voice.afk_channel_id
    }
    if not present:
        return 0
    return await open_many(guild_id, event_id, present, at)


async def open_many(guild_id: int, event_id: int, present: dict[int, int], at: datetime) -> int:
    """Open sessions at `at` for {user: channel}, org membership from the guild's records."""
    org = dict(
        await GuildMembership.filter(guild_id=guild_id, user_id__in=list(present)).values_list(
            "user_id", "is_org_member"
        )
    )
    if missing := [uid for uid in present if uid not in org]:
        log.warning("no membership rows for %s in guild %s: not tracked", missing, guild_id)
    rows = [
        MiningParticipation(
            event_id=event_id,
            user_id=uid,
            channel_id=channel,
            session_start=at,
            is_org_member=bool(org[uid]),
            created_at=at,
        )
        for uid, channel in present.items()
        if uid in org
    ]
    if rows:
        await MiningParticipation.bulk_create(rows)
    return len(rows)


async def stop_event(
    guild_id: int, event_id: int, *, at: datetime, min_session_seconds: int = 30
) -> tuple[MiningEvent, int]:
    """Complete an active event: every open session closes at `at`. (event, sessions closed)."""
    async with in_transaction():
        changed = await MiningEvent.filter(
            id=event_id, guild_id=guild_id, status=EventStatus.ACTIVE
        ).update(status=EventStatus.COMPLETED, ended_at=at, last_seen_at=at)
        if not changed:
            await _refuse(guild_id, event_id, "stop")
        await publish(topics.EVENTS, guild_id)
        closed = await sessions.close_sessions([event_id], at)
        event = await get_event(guild_id, event_id)
        await freeze_times(event, min_session_seconds=min_session_seconds)
    return event, closed


async def cancel_event(
    guild_id: int, event_id: int, *, at: datetime, min_session_seconds: int = 30
) -> MiningEvent:
    """Cancel a planned or active event; an active one's open sessions close at `at`."""
    async with in_transaction():
        changed = await MiningEvent.filter(
            id=event_id,
            guild_id=guild_id,
            status__in=[EventStatus.PLANNED, EventStatus.ACTIVE],
        ).update(status=EventStatus.CANCELLED, ended_at=at)
        if not changed:
            await _refuse(guild_id, event_id, "cancel")
        await publish(topics.EVENTS, guild_id)
        await sessions.close_sessions([event_id], at)
        event = await get_event(guild_id, event_id)
        await freeze_times(event, min_session_seconds=min_session_seconds)
    return event


async def active_event_ids(guild_id: int) -> list[int]:
    return list(
        await MiningEvent.filter(guild_id=guild_id, status=EventStatus.ACTIVE)
        .order_by("id")
        .values_list("id", flat=True)
    )


async def list_events(
    guild_id: int,
    *,
    status: EventStatus | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 15,
) -> list[MiningEvent]:
    """Newest first; `since` and `until` bound the event's date (both days included)."""
    if since is not None and until is not None and since > until:
        raise InvalidInput(f"The period starts ({since}) after it ends ({until}).")
    query = MiningEvent.filter(guild_id=guild_id)
    if status is not None:
        query = query.filter(status=status)
    if since is not None:
        query = query.filter(event_date__gte=since)
    if until is not None:
        query = query.filter(event_date__lte=until)
    return await query.order_by("-event_time", "-id").limit(limit)


async def search_events(
    guild_id: int,
    text: str = "",
    *,
    statuses: tuple[EventStatus, ...] | None = None,
    limit: int = 25,
) -> list[MiningEvent]:
    """For autocomplete: by id (`12`, `#12`) or name, active first, then newest."""
    query = MiningEvent.filter(guild_id=guild_id)
    if statuses:
        query = query.filter(status__in=list(statuses))
    text = text.strip().lstrip("#")
    if text:
        condition = Q(event_name__icontains=text)
        if text.isdigit() and len(text) < 10:
            condition |= Q(id=int(text))
        query = query.filter(condition)
    found = await query.order_by("-event_time", "-id").limit(limit)
    found.sort(key=lambda e: e.status != EventStatus.ACTIVE)
    return found


def label(event: MiningEvent) -> str:
    """`#12 Sunday Mining · 2026-01-04 18:00 · active`, for pickers and headings."""
    when = event.event_time.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return f"#{event.id} {event.event_name} · {when} · {event.status}"


@dataclass(frozen=True)
class EventView:
    event: MiningEvent
    participants: list[Participant]


async def show_event(
    guild_id: int, event_id: int, *, now: datetime, min_session_seconds: int = 30
) -> EventView:
    """The event and its participants' time so far (live while active)."""
    event = await get_event(guild_id, event_id)
    people = await participants(event, now=now, min_session_seconds=min_session_seconds)
    return EventView(event, people)
