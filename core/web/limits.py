"""A bound on sign-in attempts per client address (a sliding minute on the injected clock)."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from core.clock import Clock

WINDOW = timedelta(minutes=1)
MAX_ADDRESSES = 10_000  # forget the oldest beyond this, so the table cannot grow unbounded


class SignInLimit:
    def __init__(self, clock: Clock, per_minute: int) -> None:
        self.clock = clock
        self.per_minute = per_minute
        self._seen: dict[str, deque[datetime]] = {}

    def allow(self, address: str) -> bool:
        """Count one attempt from `address`; False when it is over the bound."""
        now = self.clock.now()
        times = self._seen.pop(address, None) or deque()
        while times and now - times[0] >= WINDOW:
            times.popleft()
        self._seen[address] = times  # re-inserted: most recent last
        if len(self._seen) > MAX_ADDRESSES:
            self._seen.pop(next(iter(self._seen)))
        if len(times) >= self.per_minute:
            return False
        times.append(now)
        return True
