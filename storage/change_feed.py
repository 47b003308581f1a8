"""The change feed: what a process caches is dropped when any process changes it.

A service that changes something a bot caches (approved channels, active events, a guild's
plugin choices) calls `publish(topic, guild_id)` inside the transaction of the change. Each
running bot has one `ChangeFeed`; the caches subscribe to it and drop what a `Change` names.

- In this process: delivered once, after the transaction commits (never on a rollback), to
  every feed running here (`storage.engines.after_commit`).
- PostgreSQL: `pg_notify` on the transaction's own connection, so the server sends it at
  commit and never for a rolled-back change. Each feed LISTENs on a connection of its own
  beside the pool and skips what its own process sent (already delivered above). When that
  connection drops it reconnects with backoff and, listening again, delivers `Change.ALL`:
  whatever was missed meanwhile is re-read.
- SQLite: there is one bot process per file, but the CLI or a portal process may write. The
  feed polls `PRAGMA data_version` on the bot's own connection every `poll_seconds`: it
  changes only when another connection (another process) committed, and then everything
  cached is re-read (`Change.ALL`). Those writes are rare (an officer at the shell), so
  dropping every cache on one is cheaper than keeping a change-log table.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import asyncpg
from tortoise import connections

from storage.engines import after_commit
from storage.errors import DatabaseOutage
from storage.querycount import BACKGROUND

log = logging.getLogger(__name__)

CHANNEL = "redlegion_changes"
# this process, so that its own notifications (delivered at commit) are not delivered twice
ORIGIN = uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class Change:
    """Something cached changed: `topic` in `guild_id`; `guild_id` None with topic `*`:
    anything may have changed (the feed was away), re-read everything."""

    topic: str
    guild_id: int | None
    local: bool = False  # made by this process (its caller has the new state already)

    ALL_TOPICS: ClassVar[str] = "*"

    def about(self, topic: str) -> bool:
        return self.topic in (topic, self.ALL_TOPICS)


ALL = Change(Change.ALL_TOPICS, None)
Listener = Callable[[Change], None]

_running: set[ChangeFeed] = set()


def _is_postgres(client: Any) -> bool:
    return bool(client.capabilities.dialect == "postgres")


async def publish(topic: str, guild_id: int) -> None:
    """Say that `topic` changed in `guild_id`, in the transaction of the change (if any)."""
    client = connections.get("default")
    if _is_postgres(client):
        payload = json.dumps({"t": topic, "g": guild_id, "o": ORIGIN})
        await client.execute_query("SELECT pg_notify($1, $2)", [CHANNEL, payload])
    change = Change(topic, guild_id, local=True)
    after_commit(lambda: _deliver_here(change))


def _deliver_here(change: Change) -> None:
    for feed in list(_running):
        feed.deliver(change)


class ChangeFeed:
    """One process's (one bot's) view of the feed: start it before anything is cached."""

    POLL_SECONDS = 0.5
    RECONNECT_FIRST_SECONDS = 0.05
    RECONNECT_LONGEST_SECONDS = 5.0

    def __init__(self, *, poll_seconds: float | None = None) -> None:
        self.poll_seconds = poll_seconds or self.POLL_SECONDS
        self._listeners: list[Listener] = []
        self._task: asyncio.Task[None] | None = None
        self._conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._stopped = False

    def subscribe(self, listener: Listener) -> None:
        """`listener` is called with each Change, on the loop; it must not block (drop a
        cache, or start a task)."""
        self._listeners.append(listener)

    def deliver(self, change: Change) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:
                log.exception("a change-feed listener failed on %s", change)

    async def start(self) -> None:
        client = connections.get("default")
        _running.add(self)
        if _is_postgres(client):
            await self._listen(client)  # the first time, a failure stops the start
            self._task = asyncio.get_running_loop().create_task(
                self._keep_listening(client), name="change-feed-listen"
            )
        else:
            first = await self._data_version()
            self._task = asyncio.get_running_loop().create_task(
                self._poll(first), name="change-feed-poll"
            )

    async def stop(self) -> None:
        self._stopped = True
        _running.discard(self)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()

    # -- PostgreSQL ----------------------------------------------------------------------------

    async def _listen(self, client: Any) -> None:
        conn = await asyncpg.connect(
            host=client.host,
            port=client.port,
            user=client.user,
            password=client.password,
            database=client.database,
        )
        self._lost.clear()
        conn.add_termination_listener(lambda _: self._lost.set())
        await conn.add_listener(CHANNEL, self._notified)
        self._conn = conn

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        try:
            data = json.loads(str(payload))
            change = Change(str(data["t"]), int(data["g"]))
            origin = data.get("o")
        except (ValueError, KeyError, TypeError):
            log.warning("change feed: ignored a notification it cannot read: %r", payload)
            return
        if origin != ORIGIN:
            self.deliver(change)

    async def _keep_listening(self, client: Any) -> None:
        """Reconnect whenever the LISTEN connection drops; then everything is re-read."""
        while not self._stopped:
            await self._lost.wait()
            log.warning("change feed: connection lost; reconnecting")
            delay = self.RECONNECT_FIRST_SECONDS
            while not self._stopped:
                await asyncio.sleep(delay)
                try:
                    await self._listen(client)
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                    delay = min(delay * 2, self.RECONNECT_LONGEST_SECONDS)
                    continue
                log.warning("change feed: listening again; cached state is re-read")
                self.deliver(ALL)
                break

    # -- SQLite --------------------------------------------------------------------------------

    @staticmethod
    async def _data_version() -> int | None:
        try:
            client = connections.get("default")
            rows = await client.execute_query_dict(BACKGROUND + "PRAGMA data_version")
        except DatabaseOutage:
            return None
        return int(next(iter(rows[0].values()))) if rows else None

    async def _poll(self, seen: int | None) -> None:
        """Every `poll_seconds`: another process committed (or the connection was reopened,
        which starts a new count) → everything cached is re-read."""
        while not self._stopped:
            await asyncio.sleep(self.poll_seconds)
            try:
                now = await self._data_version()
            except Exception:
                log.exception("change feed: reading data_version failed")
                continue
            if now is not None and now != seen:
                if seen is not None:
                    self.deliver(ALL)
                seen = now
