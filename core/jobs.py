"""A bot's background jobs: `discord.ext.tasks` loops started by plugins, stopped on close.

Plugins ran their periodic work (the mining heartbeat, the loans overdue watch) in sleep
loops of their own, each remembering to wait for ready, keep a task reference and end when
the bot closes. `discord.ext.tasks.Loop` does the timing, the waiting and the retry on
connection errors; `Jobs` only adds what every job shares: it waits for the bot's first
ready, and `close()` ends every loop.

Closing does not cancel a round in the middle of its work unless it has to: a task
cancelled while the database pool opens a connection leaves asyncpg's half-made connection
behind ("Future exception was never retrieved", seen as a random CI failure). A sleeping
loop is cancelled at once; a loop mid-round is told to stop after it and given `grace`
seconds (a round over many guilds checks `bot.is_closed()` and ends early), then cancelled.

Work that is not periodic (a watcher with its own timing, such as the UEX price sync) is
`spawn`ed: a task kept referenced until it ends, its exception logged by name, cancelled on
close.

Each process runs the jobs of the guilds it serves (its shards'), so a job that walks
`bot.guilds` runs once per guild across all processes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from discord.ext import tasks

log = logging.getLogger(__name__)

Job = Callable[[], Coroutine[Any, Any, None]]


class Jobs:
    """The loops of one bot, by name."""

    GRACE_SECONDS = 5.0

    def __init__(self, wait_until_ready: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        self._wait_until_ready = wait_until_ready
        self._loops: dict[str, tasks.Loop[Job]] = {}
        self._busy: set[str] = set()  # names of the loops running a round right now
        self._spawned: set[asyncio.Task[Any]] = set()

    def every(self, seconds: float, job: Job, *, name: str) -> tasks.Loop[Job]:
        """Run `job` now (once the bot is ready) and then every `seconds`, until close.

        `job` handles its own errors: an exception it lets through is logged and ends the
        loop, which is discord.py's rule for a task loop.
        """
        if name in self._loops:
            raise ValueError(f"a job named {name!r} is running already")

        async def run() -> None:
            self._busy.add(name)
            try:
                await job()
            finally:
                self._busy.discard(name)

        loop: tasks.Loop[Job] = tasks.loop(seconds=seconds, name=name)(run)
        loop.before_loop(self._wait_until_ready)
        loop.error(self._failed(name))
        self._loops[name] = loop
        loop.start()
        return loop

    def spawn(self, work: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Run `work` in the background until it ends or the bot closes (it is cancelled then).

        The task is kept referenced (asyncio holds only a weak one) and an exception it ends
        with is logged with its name, not lost with the task.
        """
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._spawned.add(task)
        task.add_done_callback(self._ended)
        return task

    def _ended(self, task: asyncio.Task[Any]) -> None:
        self._spawned.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("background task %s failed", task.get_name(), exc_info=error)

    def _failed(self, name: str) -> Callable[..., Coroutine[Any, Any, None]]:
        async def failed(*args: Any) -> None:  # (the cog, if any, and) the exception
            log.error("background job %s stopped", name, exc_info=args[-1])

        return failed

    def running(self) -> list[str]:
        """Names of the loops and spawned tasks still running."""
        loops = [name for name, loop in self._loops.items() if loop.is_running()]
        return loops + sorted(t.get_name() for t in self._spawned if not t.done())

    async def close(self, grace: float | None = None) -> None:
        """End every loop: sleeping ones at once, one mid-round after it (or `grace`); and
        cancel every spawned task."""
        spawned, self._spawned = set(self._spawned), set()
        for spawned_task in spawned:
            spawned_task.cancel()
        loops, self._loops = self._loops, {}
        finishing: list[asyncio.Task[None]] = []
        for name, loop in loops.items():
            task = loop.get_task()
            if name in self._busy and task is not None and not task.done():
                loop.stop()
                finishing.append(task)
            else:
                loop.cancel()
        if finishing:
            _, late = await asyncio.wait(
                finishing, timeout=self.GRACE_SECONDS if grace is None else grace
            )
            for task in late:
                task.cancel()
        tasks_left = [t for loop in loops.values() if (t := loop.get_task()) is not None]
        await asyncio.gather(*tasks_left, *spawned, return_exceptions=True)
