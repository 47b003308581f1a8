"""Time sources, injectable so tests and the demo can run hours of mining in no time.

Below every other package (it imports only the standard library): the bot (`core.clock`) and the
Discord stand-in (`fakediscord`, whose world runs on the clock it hands the bot) share it
without either importing the other.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


def utc(at: datetime | None = None, *, naive_is_utc: bool = False) -> datetime:
    """`at` as a timezone-aware UTC datetime; now when None. The one place times are made UTC.

    A naive `at` is refused (ValueError): code passes aware times. With `naive_is_utc` it is
    read as UTC, for what says no zone because UTC is meant (a member's `18:00`, a driver's
    column).
    """
    if at is None:
        return datetime.now(UTC)
    if at.tzinfo is None or at.utcoffset() is None:
        if not naive_is_utc:
            raise ValueError("times must be timezone-aware")
        return at.replace(tzinfo=UTC)
    return at.astimezone(UTC)


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return utc()


class VirtualClock:
    """A clock that only moves when told to (`advance`), for tests and the demo."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 4, 18, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("VirtualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, /, **kwargs: float) -> datetime:
        """Move time forward, e.g. `clock.advance(minutes=45)`."""
        step = delta if delta is not None else timedelta(**kwargs)
        if step < timedelta(0):
            raise ValueError("time does not run backwards")
        self._now += step
        return self._now
