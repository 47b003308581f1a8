"""Who took part in an event and for how long, computed by the database in one query."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from plugins.mining import sessions, time_sql
from plugins.mining.models import MiningEvent
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


def _order(people: list[Participant]) -> list[Participant]:
    """Longest first, ties by name, then id: the order payroll's tie-breaks follow."""
    people.sort(key=lambda p: (-p.seconds, p.name.casefold(), p.user_id))
    return people


async def participants(
    event: MiningEvent, *, now: datetime, min_session_seconds: int
) -> list[Participant]:
    """Participants with counted time (`timeline`'s rule, computed in SQL), longest first."""
    rows = await time_sql.member_times(
        event.id,
        window_start=event.started_at,
        window_end=event.ended_at,
        now=now,
        min_session_seconds=min_session_seconds,
    )
    return _order(
        [
            Participant(uid, name or str(uid), seconds, count, org, in_channel, donated)
            for uid, seconds, count, org, in_channel, donated, name in rows
        ]
    )


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
