"""A member's time in an event: the union of their sessions, clipped to the event's window.

Pure functions over plain session records, so the rule is tested without a database: a session
shorter than the minimum does not count at all, the rest are clipped to [start, stop] of the
event, and overlapping sessions (e.g. after a restart) never count the same second twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Session:
    user_id: int
    start: datetime
    end: datetime | None  # None while the member is still in the channel
    channel_id: int = 0
    is_org_member: bool = False


@dataclass(frozen=True, slots=True)
class MemberTime:
    user_id: int
    seconds: int
    sessions: int  # sessions that counted
    is_org_member: bool


def union_seconds(intervals: Iterable[tuple[datetime, datetime]]) -> int:
    """Whole seconds covered by the intervals, overlaps counted once."""
    total = timedelta(0)
    current_start: datetime | None = None
    current_end: datetime | None = None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end:
            if current_end is not None and current_start is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        elif end > current_end:
            current_end = end
    if current_end is not None and current_start is not None:
        total += current_end - current_start
    return int(total.total_seconds())


def member_times(
    sessions: Iterable[Session],
    *,
    window_start: datetime | None,
    window_end: datetime | None,
    now: datetime,
    min_session_seconds: int,
) -> dict[int, MemberTime]:
    """Each member's counted time, keyed by user id (members with no counted time left out).

    An open session runs until `now` (a live view); the window's open end is `now` as well.
    """
    minimum = timedelta(seconds=min_session_seconds)
    upper = window_end or now
    intervals: defaultdict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    org: dict[int, bool] = {}
    for s in sessions:
        end = s.end or now
        if end - s.start < minimum:
            continue
        start = max(s.start, window_start) if window_start else s.start
        end = min(end, upper)
        if end <= start:
            continue
        intervals[s.user_id].append((start, end))
        org[s.user_id] = org.get(s.user_id, False) or s.is_org_member
    result = {}
    for user_id, spans in intervals.items():
        seconds = union_seconds(spans)
        if seconds > 0:
            result[user_id] = MemberTime(user_id, seconds, len(spans), org[user_id])
    return result


def hms(seconds: int) -> str:
    """`5025` → `1h 23m 45s`; `300` → `5m 00s`."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    return f"{minutes}m {secs:02d}s"
