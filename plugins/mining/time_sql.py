"""Each member's counted time in an event, computed by the database in one statement.

The rule is `timeline.member_times` (the reference, and the test oracle for this module on both
backends): a session shorter than the minimum does not count, an open one runs until `now`,
the rest are clipped to the event's window, and a member's time is the union of what is left,
truncated to whole seconds. In SQL the union needs no merging pass: with a member's intervals
ordered by start,

    union = Σ_i max(0, end_i − max(start_i, latest end among the intervals before i))

which is one window function (`MAX(end) OVER (… ROWS … 1 PRECEDING)`) and one aggregate. The
database returns one row per member, as few rows as a plain `SUM(duration_seconds)` would.

Exact to the microsecond on both backends: PostgreSQL subtracts timestamps into intervals;
SQLite holds Python's ISO text (`2026-01-04 18:00:00.123456+00:00`, offset as written), whose
whole seconds come from `julianday` (which keeps milliseconds only) and microseconds from the
text (six digits, as Python writes them), so the arithmetic is on integer microseconds. Needs
SQLite 3.35+ (window functions, MATERIALIZED).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

from tortoise import connections

# (user_id, seconds, counted sessions, is_org_member, in_channel, donated, name)
MemberRow = tuple[int, int, int, bool, bool, bool, str | None]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)

# One row per member with counted time: the union from the windowed intervals, the
# sessions and org flag of counted intervals only, "in channel" from any open session.
_OUTER = """
SELECT t.user_id, t.seconds, t.sessions, t.org, t.in_channel, d.id IS NOT NULL,
       COALESCE(u.display_name, u.username)
FROM t
JOIN users u ON u.id = t.user_id
LEFT JOIN mining_donations d ON d.event_id = {event} AND d.user_id = t.user_id
WHERE t.seconds > 0
"""

_POSTGRES = """
WITH c AS (
    SELECT id, user_id, is_org_member AS org, session_end IS NULL AS open,
           GREATEST(session_start, $2::timestamptz) AS st,
           LEAST(COALESCE(session_end, $4::timestamptz), $3::timestamptz) AS en,
           COALESCE(session_end, $4::timestamptz) - session_start >= $5::interval AS long_enough
    FROM mining_participation WHERE event_id = $1
), w AS (
    SELECT user_id, org, open, st, en, long_enough AND en > st AS counted,
           MAX(CASE WHEN long_enough AND en > st THEN en END) OVER (
               PARTITION BY user_id ORDER BY st, id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
    FROM c
), t AS (
    SELECT user_id,
           FLOOR(EXTRACT(EPOCH FROM SUM(GREATEST(en - GREATEST(st, before), INTERVAL '0'))
                 FILTER (WHERE counted)))::bigint AS seconds,
           COUNT(*) FILTER (WHERE counted) AS sessions,
           COALESCE(BOOL_OR(org) FILTER (WHERE counted), FALSE) AS org,
           BOOL_OR(open) AS in_channel
    FROM w GROUP BY user_id
)""" + _OUTER.format(event="$1")


def _sqlite_us(column: str) -> str:
    """Microseconds since the epoch of an ISO text timestamp (NULL stays NULL)."""
    micro = (
        f"(CASE WHEN substr({column}, 20, 1) = '.' "
        f"THEN CAST(substr({column}, 21, 6) AS INTEGER) ELSE 0 END)"
    )
    # julianday rounds to the millisecond: the whole seconds are those nearest to it minus the
    # fraction, whatever that rounding did
    whole = f"CAST(round((julianday({column}) - 2440587.5) * 86400.0 - {micro} / 1e6) AS INTEGER)"
    return f"({whole} * 1000000 + {micro})"


# ?1 event, ?2 window start (µs, may be NULL), ?3 window end or now (µs), ?4 now (µs),
# ?5 minimum session (µs)
_SQLITE = f"""
WITH r AS MATERIALIZED (
    SELECT id, user_id, is_org_member AS org, session_end IS NULL AS open,
           {_sqlite_us("session_start")} AS st0,
           COALESCE({_sqlite_us("session_end")}, ?4) AS en0
    FROM mining_participation WHERE event_id = ?1
), c AS (
    SELECT id, user_id, org, open, MAX(st0, COALESCE(?2, st0)) AS st, MIN(en0, ?3) AS en,
           en0 - st0 >= ?5 AS long_enough
    FROM r
), w AS (
    SELECT user_id, org, open, st, en, long_enough AND en > st AS counted,
           MAX(CASE WHEN long_enough AND en > st THEN en END) OVER (
               PARTITION BY user_id ORDER BY st, id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
    FROM c
), t AS (
    SELECT user_id,
           SUM(CASE WHEN counted THEN MAX(0, en - MAX(st, COALESCE(before, st))) END)
               / 1000000 AS seconds,
           SUM(counted) AS sessions,
           MAX(CASE WHEN counted THEN org ELSE 0 END) AS org,
           MAX(open) AS in_channel
    FROM w GROUP BY user_id
)""" + _OUTER.format(event="?1")


@cache
def _statement(dialect: str) -> str:
    return _POSTGRES if dialect == "postgres" else _SQLITE


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _us(at: datetime) -> int:
    return (_utc(at) - EPOCH) // MICROSECOND


async def member_times(
    event_id: int,
    *,
    window_start: datetime | None,
    window_end: datetime | None,
    now: datetime,
    min_session_seconds: int,
) -> list[MemberRow]:
    """One row per member with counted time in the event (in no particular order)."""
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    upper = window_end or now
    minimum = timedelta(seconds=min_session_seconds)
    if dialect == "postgres":
        params: list[object] = [event_id, window_start, upper, now, minimum]
    else:
        start = _us(window_start) if window_start is not None else None
        params = [event_id, start, _us(upper), _us(now), minimum // MICROSECOND]
    _, rows = await conn.execute_query(_statement(dialect), params)
    return [
        (row[0], row[1], row[2], bool(row[3]), bool(row[4]), bool(row[5]), row[6]) for row in rows
    ]
