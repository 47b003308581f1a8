"""A bot's background jobs: `discord.ext.tasks` loops started by plugins, stopped on close.

Plugins ran their periodic work (the mining heartbeat, the loans overdue watch) in sleep
loops of their own, each remembering to wait for ready, keep a task reference and end when
the bot closes. `discord.ext.tasks.Loop` does the timing, the waiting and the retry on
connection errors; `Jobs` only adds what every job shares: it waits for the bot's first
ready, and `close()` cancels every loop, so stopping the bot mid-round ends the round (its
database is going away with it) rather than logging one failure per guild left.

Each process runs the jobs of the guilds it serves (its shards'), so a job that walks
`bot.guilds` runs once per guild across all processes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from discord.ext import tasks

log = logging.getLogger(__name__)

Job = Callable[[], Coroutine[Any, Any, None]]


class Jobs:
    """The loops of one bot, by name."""

    def __init__(self, wait_until_ready: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        self._wait_until_ready = wait_until_ready
        self._loops: dict[str, tasks.Loop[Job]] = {}

    def every(
        self, seconds: float, job: Callable[[], Coroutine[Any, Any, None]], *, name: str
    ) -> tasks.Loop[Job]:
        """Run `job` now (once the bot is ready) and then every `seconds`, until close.

        `job` handles its own errors: an exception it lets through is logged and ends the
        loop, which is discord.py's rule for a task loop.
        """
        if name in self._loops:
            raise ValueError(f"a job named {name!r} is running already")

        async def run() -> None:
            await job()

        loop: tasks.Loop[Job] = tasks.loop(seconds=seconds, name=name)(run)
        loop.before_loop(self._wait_until_ready)
        loop.error(self._failed(name))
        self._loops[name] = loop
        loop.start()
        return loop

    def _failed(self, name: str) -> Callable[..., Coroutine[Any, Any, None]]:
        async def failed(*args: Any) -> None:  # (the cog, if any, and) the exception
            log.error("background job %s stopped", name, exc_info=args[-1])

        return failed

    def running(self) -> list[str]:
        return [name for name, loop in self._loops.items() if loop.is_running()]

    def close(self) -> None:
        for loop in self._loops.values():
            loop.cancel()
        self._loops.clear()
