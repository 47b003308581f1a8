"""Who took part in an event and for how long, computed by the database in one query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from plugins.mining import sessions, time_sql
from plugins.mining.models import MiningEvent, MiningMemberTime
from plugins.mining.timeline import MemberTime, Session, member_times


class Participant(NamedTuple):
    """A member's counted time (a tuple: payroll builds a thousand of these at once)."""

    user_id: int
    name: str
    seconds: int
    sessions: int
    is_org_member: bool
    in_channel: bool  # has an open session now
    donated: bool = False  # gives their payroll share to the others
    adjusted: bool = False  # an officer set this time by hand (`adjustments`)


def _order(people: list[Participant]) -> list[Participant]:
    """Longest first, ties by user id: the order payroll's tie-breaks follow.

    Not by name: a member renamed between a payroll's preview and its commit must not move a
    cent. The SQL reads return this order themselves.
    """
    people.sort(key=lambda p: (-p.seconds, p.user_id))
    return people


def _from_rows(rows: Sequence[Sequence[object]], dialect: str) -> list[Participant]:
    """Participants from `time_sql` rows (already in Participant's order and sorted)."""
    if dialect == "postgres":  # real booleans: the row is the tuple
        return list(map(Participant._make, rows))
    return [
        Participant(u, n, s, c, o == 1, i == 1, d == 1, a == 1) for u, n, s, c, o, i, d, a in rows
    ]


async def participants(
    event: MiningEvent, *, now: datetime, min_session_seconds: int
) -> list[Participant]:
    """Participants with counted time (`timeline`'s rule, computed in SQL), longest first.

    An ended event's times were frozen with the rule in force when it ended
    (`freeze_times`): `now` and `min_session_seconds` only apply to a running one.
    """
    if event.times_min_session_seconds is not None:
        people = _from_rows(await time_sql.frozen_times(event.id), sessions.dialect())
        while people and people[-1].seconds == 0:  # set to zero by an officer: nobody's time
            people.pop()
        return people
    rows = await time_sql.member_times(
        event.id,
        window_start=event.started_at,
        window_end=event.ended_at,
        now=now,
        min_session_seconds=min_session_seconds,
    )
    return _from_rows(rows, sessions.dialect())


async def count_participants(event_id: int) -> int:
    """Members with time in an ended event (a row an officer set to zero is nobody's time)."""
    return await MiningMemberTime.filter(event_id=event_id, seconds__gt=0).count()


async def freeze_times(event: MiningEvent, *, min_session_seconds: int) -> int:
    """Count an event's member times once, as it ends (its sessions are all closed).

    Returns how many members took part. Call it in the transaction that ends the event.
    """
    if event.ended_at is None:
        raise ValueError(f"event #{event.id} has not ended")
    await time_sql.freeze(
        event.id,
        window_start=event.started_at,
        window_end=event.ended_at,
        min_session_seconds=min_session_seconds,
    )
    # counted, not taken from the INSERT: Tortoise's asyncpg client reports an INSERT's OID
    # field ("INSERT 0 n") as its row count
    event.total_participants = await count_participants(event.id)
    event.times_min_session_seconds = min_session_seconds
    await event.save(
        update_fields=["times_min_session_seconds", "total_participants", "updated_at"]
    )
    return event.total_participants


# -- the reference: every session read, the rule applied in Python --------------------------


async def load_sessions(event_id: int) -> tuple[list[Session], dict[int, str]]:
    """Every session of the event, and each member's display name (one query)."""
    rows = await sessions.event_sessions(event_id)
    found = [Session(user, start, end, channel, org) for user, channel, start, end, org, _ in rows]
    return found, {row[0]: row[5] for row in rows}


def participants_of(
    event: MiningEvent,
    found: list[Session],
    names: dict[int, str],
    *,
    now: datetime,
    min_session_seconds: int,
) -> list[Participant]:
    """`participants` from sessions already read, by `timeline.member_times` (no donations)."""
    times: dict[int, MemberTime] = member_times(
        found,
        window_start=event.started_at,
        window_end=event.ended_at,
        now=now,
        min_session_seconds=min_session_seconds,
    )
    open_now = {s.user_id for s in found if s.end is None}
    return _order(
        [
            Participant(
                t.user_id,
                names.get(t.user_id) or str(t.user_id),
                t.seconds,
                t.sessions,
                t.is_org_member,
                t.user_id in open_now,
            )
            for t in times.values()
        ]
    )
