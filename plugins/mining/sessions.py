"""Voice sessions in SQL: opening and closing are one statement each.

This is the voice hot path, so the two statements are written by hand (once per dialect and
shape, then cached) and sent through Tortoise's connection, which keeps them inside any
transaction the caller opened:

- open: one INSERT … SELECT that takes `is_org_member` from the member's guild membership and
  inserts nothing for an event that is not active (or not this guild's), so a stale cache
  can never open a session, nor where the member already has an open session (a join that
  a restart's reconciliation already counted from the voice snapshot);
- close: one conditional UPDATE that sets `session_end` and computes `duration_seconds` in
  the database, touching only sessions still open.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from tortoise import connections

from plugins.mining.models import EventStatus

TABLE = "mining_participation"


def dialect() -> str:
    return connections.get("default").capabilities.dialect


def _param(dialect_name: str, n: int) -> str:
    # SQLite accepts numbered parameters (?1) as PostgreSQL does ($1): one numbering for both
    return f"${n}" if dialect_name == "postgres" else f"?{n}"


@cache
def _open_sql(dialect_name: str, events: int) -> str:
    p = lambda n: _param(dialect_name, n)  # noqa: E731
    ts = f"{p(4)}::timestamptz" if dialect_name == "postgres" else p(4)
    false = "FALSE" if dialect_name == "postgres" else "0"
    ids = ", ".join(p(5 + i) for i in range(events))
    return (
        f"INSERT INTO {TABLE} "
        "(event_id, user_id, channel_id, session_start, is_org_member, created_at) "
        f"SELECT e.id, {p(2)}, {p(3)}, {ts}, COALESCE(("
        "SELECT m.is_org_member FROM guild_memberships m "
        f"WHERE m.guild_id = e.guild_id AND m.user_id = {p(2)}), {false}), {ts} "
        f"FROM mining_events e WHERE e.guild_id = {p(1)} AND e.id IN ({ids}) "
        f"AND e.status = '{EventStatus.ACTIVE.value}' "
        f"AND NOT EXISTS (SELECT 1 FROM {TABLE} o "
        f"WHERE o.event_id = e.id AND o.user_id = {p(2)} AND o.session_end IS NULL)"
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
