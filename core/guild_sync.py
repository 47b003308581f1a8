"""Guilds made ready in batches: what start-up writes for many guilds at once.

At start Discord announces every guild within moments of each other. Synced one by one, each
guild cost about ten statements (its row, its role mappings, its users and memberships, the
plugins' choices, each plugin's reconciliation), most of the start-up time at a thousand
guilds spent building that SQL one guild at a time. Here guilds are gathered while the batch
before them is written (group commit): a bot that joins one guild syncs it at once, alone; a
start with a thousand syncs them up to `BATCH` at a time, each batch in a fixed number of
statements whatever its size.

One batch runs at a time, and each of its statements takes one connection and gives it back,
so start-up holds at most one of the pool's connections: commands and voice events are served
between its statements, never behind the whole start-up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

G = TypeVar("G")


class Batcher(Generic[G]):
    """Runs `handle` on batches of the guilds given to `available`, one batch at a time.

    `key` names a guild (its id): a guild given again before its batch starts is synced once,
    as it is then. `closed` says when the bot is stopping: a batch failing then is the stop,
    not a fault to log.
    """

    BATCH = 100

    def __init__(
        self,
        handle: Callable[[Sequence[G]], Awaitable[None]],
        *,
        key: Callable[[G], int],
        closed: Callable[[], bool] = lambda: False,
    ) -> None:
        self._handle = handle
        self._key = key
        self._closed = closed
        self._pending: dict[int, tuple[G, list[asyncio.Future[bool]]]] = {}
        self._runner: asyncio.Task[None] | None = None

    async def available(self, guild: G) -> bool:
        """Sync this guild with the next batch; True once it was synced, False if that
        batch failed (logged once for the batch)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        _, waiting = self._pending.get(self._key(guild), (guild, []))
        self._pending[self._key(guild)] = (guild, [*waiting, done])
        if self._runner is None:
            self._runner = loop.create_task(self._run(), name="guild-sync")
        return await asyncio.shield(done)

    async def _run(self) -> None:
        try:
            while self._pending:
                # the guilds announced in the same breath as this one join its batch
                await asyncio.sleep(0)
                keys = list(self._pending)[: self.BATCH]
                taken = [self._pending.pop(k) for k in keys]
                ok = await self._sync([guild for guild, _ in taken])
                for _, futures in taken:
                    for future in futures:
                        if not future.done():
                            future.set_result(ok)
        finally:
            self._runner = None

    async def _sync(self, guilds: Sequence[G]) -> bool:
        try:
            await self._handle(guilds)
        except Exception:
            if not self._closed():
                log.exception("start-up sync of %d guild(s) failed", len(guilds))
            return False
        return True
