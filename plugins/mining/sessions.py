"""Voice sessions in SQL: opening and closing are one statement each.

This is the voice hot path, so the two statements are written by hand (once per dialect and
shape, then cached) and sent through Tortoise's connection, which keeps them inside any
transaction the caller opened:

- open: one INSERT … SELECT that takes `is_org_member` from the member's guild membership and
  inserts nothing for an event that is not active (or not this guild's), so a stale cache
  can never open a session, nor where the member already has an open session (a join that
  a restart's reconciliation already counted from the voice snapshot);
- close: one conditional UPDATE that sets `session_end` and computes `duration_seconds` in
  the database, touching only sessions still open;
- move (close one, open the next): both in one statement on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache

from tortoise import connections

from plugins.mining import time_sql
from plugins.mining.models import EventStatus

TABLE = "mining_participation"


def dialect() -> str:
    return connections.get("default").capabilities.dialect


def _param(dialect_name: str, n: int) -> str:
    # SQLite accepts numbered parameters (?1) as PostgreSQL does ($1): one numbering for both
    return f"${n}" if dialect_name == "postgres" else f"?{n}"


def _insert(dialect_name: str, events: int, *, guard: bool) -> str:
    """Parameters: guild, user, channel, at, event ids. `guard`: not if one is open already."""
    p = lambda n: _param(dialect_name, n)  # noqa: E731
    ts = f"{p(4)}::timestamptz" if dialect_name == "postgres" else p(4)
    false = "FALSE" if dialect_name == "postgres" else "0"
    ids = ", ".join(p(5 + i) for i in range(events))
    sql = (
        f"INSERT INTO {TABLE} "
        "(event_id, user_id, channel_id, session_start, is_org_member, created_at) "
        f"SELECT e.id, {p(2)}, {p(3)}, {ts}, COALESCE(("
        "SELECT m.is_org_member FROM guild_memberships m "
        f"WHERE m.guild_id = e.guild_id AND m.user_id = {p(2)}), {false}), {ts} "
        f"FROM mining_events e WHERE e.guild_id = {p(1)} AND e.id IN ({ids}) "
        f"AND e.status = '{EventStatus.ACTIVE.value}'"
    )
    if guard:
        sql += (
            f" AND NOT EXISTS (SELECT 1 FROM {TABLE} o "
            f"WHERE o.event_id = e.id AND o.user_id = {p(2)} AND o.session_end IS NULL)"
        )
    return sql


@cache
def _open_sql(dialect_name: str, events: int) -> str:
    return _insert(dialect_name, events, guard=True)


@cache
def _move_sql(events: int) -> str:
    """PostgreSQL: close the member's open sessions and open the next in one statement.

    A data-modifying CTE runs once and to completion, so no open session remains for the
    INSERT to guard against. Parameters as `_insert`'s.
    """
    ids = ", ".join(f"${5 + i}" for i in range(events))
    return (
        f"WITH closed AS (UPDATE {TABLE} SET session_end = $4::timestamptz, duration_seconds = "
        "GREATEST(0, ROUND(EXTRACT(EPOCH FROM ($4::timestamptz - session_start))))::integer "
        f"WHERE event_id IN ({ids}) AND user_id = $2 AND session_end IS NULL) "
        + _insert("postgres", events, guard=False)
        + " RETURNING id"
    )


@cache
def _close_sql(dialect_name: str, events: int, by_user: bool, by_channel: bool) -> str:
    """Parameters in order: at, [user_id], [channel_id], event ids."""
    p = lambda n: _param(dialect_name, n)  # noqa: E731
    if dialect_name == "postgres":
        end = f"{p(1)}::timestamptz"
        seconds = f"GREATEST(0, ROUND(EXTRACT(EPOCH FROM ({end} - session_start))))::integer"
    else:
        end = p(1)
        seconds = (
            f"MAX(0, CAST(ROUND((julianday({end}) - julianday(session_start)) * 86400) AS INTEGER))"
        )
    n = 1
    where = []
    if by_user:
        n += 1
        where.append(f"user_id = {p(n)}")
    if by_channel:
        n += 1
        where.append(f"channel_id = {p(n)}")
    where.insert(0, f"event_id IN ({', '.join(p(n + 1 + i) for i in range(events))})")
    where.append("session_end IS NULL")
    return (
        f"UPDATE {TABLE} SET session_end = {end}, duration_seconds = {seconds} "
        f"WHERE {' AND '.join(where)}"
    )


async def open_session(
    guild_id: int, event_ids: Sequence[int], user_id: int, channel_id: int, at: datetime
) -> int:
    """Open a session for the member in each of the guild's active events given (unless one is
    open already); how many were opened."""
    if not event_ids:
        return 0
    conn = connections.get("default")
    sql = _open_sql(conn.capabilities.dialect, len(event_ids))
    count, _ = await conn.execute_query(sql, [guild_id, user_id, channel_id, at, *event_ids])
    return count


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
    conn = connections.get("default")
    sql = _close_sql(
        conn.capabilities.dialect, len(event_ids), user_id is not None, channel_id is not None
    )
    params: list[object] = [at]
    params += [v for v in (user_id, channel_id) if v is not None]
    count, _ = await conn.execute_query(sql, [*params, *event_ids])
    return count


async def move_session(
    guild_id: int, event_ids: Sequence[int], user_id: int, channel_id: int, at: datetime
) -> int:
    """Close the member's open sessions and open one in `channel_id`: one statement on
    PostgreSQL, two on SQLite (no data-modifying CTEs there). Returns how many were opened."""
    if not event_ids:
        return 0
    conn = connections.get("default")
    if conn.capabilities.dialect != "postgres":
        await close_sessions(event_ids, at, user_id=user_id)
        return await open_session(guild_id, event_ids, user_id, channel_id, at)
    count, _ = await conn.execute_query(
        _move_sql(len(event_ids)), [guild_id, user_id, channel_id, at, *event_ids]
    )
    return count


def _when(value: object) -> datetime | None:
    """A timestamp as the driver returns it: asyncpg gives datetimes, SQLite ISO text."""
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


async def event_sessions(
    event_id: int,
) -> list[tuple[int, int, datetime, datetime | None, bool, str]]:
    """(user, channel, start, end, is_org_member, name) of every session of the event.

    Read without building model objects. Payroll and `participants` now get the times from
    `time_sql`; this is the input of the Python reference (`participants.participants_of`).
    """
    conn = connections.get("default")
    p = "$1" if conn.capabilities.dialect == "postgres" else "?"
    _, rows = await conn.execute_query(
        "SELECT p.user_id, p.channel_id, p.session_start, p.session_end, p.is_org_member, "
        f"{time_sql.NAME} FROM {TABLE} p "
        f"JOIN users u ON u.id = p.user_id WHERE p.event_id = {p}",
        [event_id],
    )
    return [
        (row[0], row[1], _when(row[2]), _when(row[3]), bool(row[4]), row[5])  # type: ignore[misc]
        for row in rows
    ]
