"""Each member's counted time in an event, computed by the database in one statement.

The rule is `timeline.member_times` (the reference, and the test oracle for this module on both
backends): a session shorter than the minimum does not count, an open one runs until `now`,
the rest are clipped to the event's window, and a member's time is the union of what is left,
truncated to whole seconds. In SQL the union needs no merging pass: with a member's intervals
ordered by start,

    union = Σ_i max(0, end_i − max(start_i, latest end among the intervals before i))

which is one window function (`MAX(end) OVER (… ROWS … 1 PRECEDING)`) and one aggregate. The
database returns one row per member, as few rows as a plain `SUM(duration_seconds)` would.

While an event runs the statement is read live (`member_times`). When it ends, the same rows
are written once to `mining_member_times` (`freeze`): an ended event's sessions never change,
so its readers (`frozen_times`) get an indexed read instead of the window function over every
session.

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

# A row of the reads, in `participants.Participant`'s order: (user_id, name, seconds, counted
# sessions, is_org_member, in_channel, donated, set by an officer), longest first, ties by user
# id. PostgreSQL gives booleans, SQLite 0 or 1.
MemberRow = tuple[int, str, int, int, bool, bool, bool, bool]

# a member's name as `core.members` shows it: display name, else username, else the id
NAME = "COALESCE(NULLIF(u.display_name, ''), NULLIF(u.username, ''), CAST(u.id AS TEXT))"

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)

# The live read: one row per member with counted time, the union from the windowed
# intervals, the sessions and org flag of counted intervals only, "in channel" from any open
# session.
_OUTER = f"""
SELECT t.user_id, {NAME}, t.seconds, t.sessions, t.org, t.in_channel, d.id IS NOT NULL,
       {{false}}
FROM t
JOIN users u ON u.id = t.user_id
LEFT JOIN mining_donations d ON d.event_id = {{event}} AND d.user_id = t.user_id
WHERE t.seconds > 0
ORDER BY t.seconds DESC, t.user_id
"""

# When the event ends: the same rows, written once to mining_member_times.
_FREEZE = """
INSERT INTO mining_member_times (event_id, user_id, seconds, sessions, is_org_member)
{times}
SELECT {event}, t.user_id, t.seconds, t.sessions, t.org FROM t WHERE t.seconds > 0
"""

# An ended event's frozen rows, in the MemberRow shape. A row an officer set to zero (kept
# for the record) sorts last, and the reader drops it: a `seconds > 0` filter here makes
# PostgreSQL, before it has statistics on a fresh table, join by 1,000 index lookups (2.5 ms
# instead of 1.1 ms at 1,000 members).
_FROZEN = f"""
SELECT m.user_id, {NAME}, m.seconds, m.sessions, m.is_org_member, {{false}}, d.id IS NOT NULL,
       m.counted_seconds IS NOT NULL
FROM mining_member_times m
JOIN users u ON u.id = m.user_id
LEFT JOIN mining_donations d ON d.event_id = m.event_id AND d.user_id = m.user_id
WHERE m.event_id = {{event}}
ORDER BY m.seconds DESC, m.user_id
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
)"""


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
)"""


@cache
def _statement(dialect: str, kind: str) -> str:
    """The live read, the freeze or the frozen read, in the dialect's SQL."""
    postgres = dialect == "postgres"
    event = "$1" if postgres else "?1"
    if kind == "frozen":
        return _FROZEN.format(event=event, false="FALSE" if postgres else "0")
    times = _POSTGRES if postgres else _SQLITE
    if kind == "freeze":
        return _FREEZE.format(times=times, event=event)
    return times + _OUTER.format(event=event, false="FALSE" if postgres else "0")


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _us(at: datetime) -> int:
    return (_utc(at) - EPOCH) // MICROSECOND


def _params(
    dialect: str,
    event_id: int,
    window_start: datetime | None,
    window_end: datetime | None,
    now: datetime,
    min_session_seconds: int,
) -> list[object]:
    upper = window_end or now
    minimum = timedelta(seconds=min_session_seconds)
    if dialect == "postgres":
        return [event_id, window_start, upper, now, minimum]
    start = _us(window_start) if window_start is not None else None
    return [event_id, start, _us(upper), _us(now), minimum // MICROSECOND]


async def member_times(
    event_id: int,
    *,
    window_start: datetime | None,
    window_end: datetime | None,
    now: datetime,
    min_session_seconds: int,
) -> list[MemberRow]:
    """One row per member with counted time in the event."""
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    params = _params(dialect, event_id, window_start, window_end, now, min_session_seconds)
    _, rows = await conn.execute_query(_statement(dialect, "live"), params)
    return rows


async def freeze(
    event_id: int, *, window_start: datetime | None, window_end: datetime, min_session_seconds: int
) -> None:
    """Write the ended event's member times to mining_member_times (one statement)."""
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    params = _params(dialect, event_id, window_start, window_end, window_end, min_session_seconds)
    await conn.execute_query(_statement(dialect, "freeze"), params)


async def frozen_times(event_id: int) -> list[MemberRow]:
    """`member_times` of an ended event, as `freeze` wrote them (nobody is in channel)."""
    conn = connections.get("default")
    _, rows = await conn.execute_query(_statement(conn.capabilities.dialect, "frozen"), [event_id])
    return rows
