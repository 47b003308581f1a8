"""Snowflake ids stamped with the world's clock: `created_at` of anything follows virtual time."""

from __future__ import annotations

from core.clock import Clock

DISCORD_EPOCH_MS = 1_420_070_400_000


class Snowflakes:
    """Hands out unique, increasing Discord snowflakes whose timestamp is the clock's `now()`."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._last = 0

    def next(self) -> int:
        ms = int(self._clock.now().timestamp() * 1000) - DISCORD_EPOCH_MS
        # Same millisecond (or a clock that stands still): bump the increment bits instead.
        self._last = max(ms << 22, self._last + 1)
        return self._last
