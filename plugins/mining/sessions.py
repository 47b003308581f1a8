"""Voice sessions in SQL: opening and closing are one statement each.

This is the voice hot path, so the statements are written by hand (once per shape, then
cached) and sent through `storage.sql`, which keeps them inside any transaction the caller
opened and spells them for the database in use:

- open: one INSERT … SELECT that takes `is_org_member` from the member's guild membership and
  inserts nothing for an event that is not active (or not this guild's), so a stale cache
  can never open a session, nor where the member already has an open session (a join that
  a restart's reconciliation already counted from the voice snapshot);
- close: one conditional UPDATE that sets `session_end` and computes `duration_seconds` in
  the database, touching only sessions still open;
- move (close one, open the next): the two run in order, atomically
  (`storage.sql.execute_in_order`: one statement on PostgreSQL, one transaction on SQLite).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from plugins.mining.models import EventStatus
from storage import sql

TABLE = "mining_participation"

# a member's name as `core.members` shows it: display name, else username, else the id
NAME = "COALESCE(NULLIF(u.display_name, ''), NULLIF(u.username, ''), CAST(u.id AS TEXT))"


@cache
def _insert(events: int, *, guard: bool) -> str:
    """Parameters: guild, user, channel, at, event ids. `guard`: not if one is open already."""
    ids = ", ".join(f"${5 + i}" for i in range(events))
    text = (
        f"INSERT INTO {TABLE} "
        "(event_id, user_id, channel_id, session_start, is_org_member, created_at) "
        "SELECT e.id, $2, $3, $4::timestamptz, COALESCE(("
        "SELECT m.is_org_member FROM guild_memberships m "
        "WHERE m.guild_id = e.guild_id AND m.user_id = $2), FALSE), $4::timestamptz "
        f"FROM mining_events e WHERE e.guild_id = $1 AND e.id IN ({ids}) "
        f"AND e.status = '{EventStatus.ACTIVE.value}'"
    )
    if guard:
        text += (
            f" AND NOT EXISTS (SELECT 1 FROM {TABLE} o "
            "WHERE o.event_id = e.id AND o.user_id = $2 AND o.session_end IS NULL)"
        )
    return text


@cache
def _close_sql(d: sql.Dialect, events: int, by_user: bool, by_channel: bool) -> str:
    """Parameters in order: at, [user_id], [channel_id], event ids."""
    seconds = d.seconds_between("$1::timestamptz", "session_start")
    n = 1
    where = []
    if by_user:
        n += 1
        where.append(f"user_id = ${n}")
    if by_channel:
        n += 1
        where.append(f"channel_id = ${n}")
    where.insert(0, f"event_id IN ({', '.join(f'${n + 1 + i}' for i in range(events))})")
    where.append("session_end IS NULL")
    return (
        f"UPDATE {TABLE} SET session_end = $1::timestamptz, "
        f"duration_seconds = GREATEST(0, {seconds}) WHERE {' AND '.join(where)}"
    )


def _close(
    event_ids: Sequence[int], at: datetime, user_id: int | None, channel_id: int | None
) -> tuple[str, list[object]]:
    text = _close_sql(sql.dialect(), len(event_ids), user_id is not None, channel_id is not None)
    params: list[object] = [at]
    params += [v for v in (user_id, channel_id) if v is not None]
    return text, [*params, *event_ids]


async def open_session(
    guild_id: int, event_ids: Sequence[int], user_id: int, channel_id: int, at: datetime
) -> None:
    """Open a session for the member in each of the guild's active events given (unless one is
    open already)."""
    if event_ids:
        params = [guild_id, user_id, channel_id, at, *event_ids]
        await sql.execute(_insert(len(event_ids), guard=True), params)


async def close_sessions(
    event_ids: Sequence[int],
    at: datetime,
    *,
    user_id: int | None = None,
    channel_id: int | None = None,
) -> int:
    """Close open sessions of these events (of one member, in one channel) at `at`; how many.

    Callers pass event ids already known to be the guild's.
    """
    if not event_ids:
        return 0
    return await sql.execute(*_close(event_ids, at, user_id, channel_id))


async def move_session(
    guild_id: int, event_ids: Sequence[int], user_id: int, channel_id: int, at: datetime
) -> None:
    """Close the member's open sessions and open one in `channel_id`.

    The open needs no guard against an open session: the close before it leaves none (and on
    PostgreSQL, where both are one statement, the INSERT could not see the close anyway).
    """
    if event_ids:
        await sql.execute_in_order(
            [
                _close(event_ids, at, user_id, None),
                (
                    _insert(len(event_ids), guard=False),
                    [guild_id, user_id, channel_id, at, *event_ids],
                ),
            ]
        )


async def event_sessions(
    event_id: int,
) -> list[tuple[int, int, datetime, datetime | None, bool, str, bool]]:
    """(user, channel, start, end, is_org_member, name, donated) of every session of the event.

    One query, no model objects: the input of `timeline.member_times`, the one rule for
    member time.
    """
    rows = await sql.fetch(
        "SELECT p.user_id, p.channel_id, p.session_start, p.session_end, p.is_org_member, "
        f"{NAME}, d.id IS NOT NULL FROM {TABLE} p "
        "JOIN users u ON u.id = p.user_id "
        "LEFT JOIN mining_donations d ON d.event_id = p.event_id AND d.user_id = p.user_id "
        "WHERE p.event_id = $1",
        [event_id],
    )
    return [
        (
            row[0],
            row[1],
            sql.timestamp(row[2]),
            sql.timestamp(row[3]),
            bool(row[4]),
            row[5],
            bool(row[6]),
        )  # type: ignore[misc]
        for row in rows
    ]
