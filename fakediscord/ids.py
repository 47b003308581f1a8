"""Snowflake ids stamped with the world's clock: `created_at` of anything follows virtual time."""

from __future__ import annotations

from clocks import Clock

DISCORD_EPOCH_MS = 1_420_070_400_000
SPREAD_BIT = 1 << 21  # `next` would need two million ids in one millisecond to reach it


class Snowflakes:
    """Hands out unique, increasing Discord snowflakes whose timestamp is the clock's `now()`."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._last = 0

    def spread(self, index: int) -> int:
        """An id `index` milliseconds later than now, outside the range `next` hands out.

        Guilds get these: a shard is chosen by `(guild_id >> 22) % shard_count`, so guilds
        made at the same (virtual) instant would otherwise all land on shard 0.
        """
        ms = int(self._clock.now().timestamp() * 1000) - DISCORD_EPOCH_MS + index
        return (ms << 22) | SPREAD_BIT | (index & 0xFFFFF)

    def next(self) -> int:
        ms = int(self._clock.now().timestamp() * 1000) - DISCORD_EPOCH_MS
        # Same millisecond (or a clock that stands still): bump the increment bits instead.
        self._last = max(ms << 22, self._last + 1)
        return self._last
