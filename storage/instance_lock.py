"""One bot process per database: a second `redlegion run` would book every voice change twice.

Two bot processes serving the same guilds from one database corrupt the bookkeeping (members
booked twice, overlapping sessions), so a bot process holds a lock for as long as it runs and a
second one is refused at start. The lock is one the database server (or the kernel) drops when
the process dies, however it dies, so a crashed bot never blocks its own restart:

- PostgreSQL: a session advisory lock on a connection of its own (the pool's connections are
  handed around and reset, so they cannot hold it). If that connection drops (a database
  outage), the lock is gone; it is taken again when the database answers, and if another
  process got it first, this one is told to stop (`on_lost`).
- SQLite: an exclusive `flock` on a file beside the database.

The CLI and other tools do not take it: they may write while the bot runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import zlib
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import asyncpg
from tortoise.backends.base.config_generator import expand_db_url

from storage.database import backend_of

log = logging.getLogger(__name__)

# pg_try_advisory_lock(int, int): this namespace, then the shard's number (an unsharded bot is
# shard 0 of 1); beside them a shared lock per shard count, so that processes started with
# different counts (which would split the guilds differently) cannot run side by side
NAMESPACE = zlib.crc32(b"redlegion-bot") & 0x7FFFFFFF
COUNT_NAMESPACE = zlib.crc32(b"redlegion-bot-shard-count") & 0x7FFFFFFF
BOT = 0

OTHER_COUNTS = """
SELECT count(*) FROM pg_locks
WHERE locktype = 'advisory' AND classid = $1 AND objid <> $2 AND granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


class AlreadyRunning(Exception):
    """Another live process holds the lock."""


def _pg_params(url: str) -> dict[str, Any]:
    creds = expand_db_url(url)["credentials"]
    return {
        "host": creds.get("host"),
        "port": creds.get("port"),
        "user": creds.get("user"),
        "password": creds.get("password"),
        "database": creds.get("database"),
    }


def _sqlite_path(url: str) -> Path | None:
    path = str(expand_db_url(url)["credentials"]["file_path"])
    return None if path in ("", ":memory:") else Path(path)


class InstanceLock:
    """`async with InstanceLock(url):` around a bot process's life; raises `AlreadyRunning`."""

    def __init__(
        self,
        url: str,
        *,
        shards: tuple[int, list[int]] | None = None,
        on_lost: Callable[[], object] | None = None,
        retry_seconds: float = 2.0,
        patience: int = 3,
    ) -> None:
        self.url = url
        self.sharded = shards is not None
        self.shard_count, self.shard_ids = shards or (1, [BOT])
        self.backend = backend_of(url)
        self.on_lost = on_lost
        self.retry_seconds = retry_seconds
        self.patience = patience
        self._conn: asyncpg.Connection | None = None
        self._file: IO[bytes] | None = None
        self._retake: asyncio.Task[None] | None = None
        self._closing = False

    def _refusal(self, shard: int | None = None) -> AlreadyRunning:
        if self.sharded and shard is not None:
            what = f"shard {shard} of {self.shard_count} is already run by another bot process"
        elif self.sharded:
            what = (
                f"other bot processes run this database with a shard count other than "
                f"{self.shard_count}; every process must be given the same shard_count"
            )
        else:
            what = "another bot process is already running on this database"
        return AlreadyRunning(
            f"{what}; two would count every voice change twice. Stop the other one first "
            "(or point this one at another database)."
        )

    async def acquire(self) -> None:
        if self.backend == "sqlite":
            self._lock_file()
        elif (refused := await self._lock_pg()) is not None:
            raise refused

    def _lock_file(self) -> None:
        path = _sqlite_path(self.url)
        if path is None:
            return  # an in-memory database belongs to this process alone
        handle = open(path.with_name(path.name + ".lock"), "ab")  # noqa: SIM115 - held open
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise AlreadyRunning(
                "another bot process is already running on this database; two would count "
                "every voice change twice. SQLite serves one bot process (run all its shards "
                "in that one, or use PostgreSQL): stop the other one first."
            ) from None
        self._file = handle

    async def _lock_pg(self) -> AlreadyRunning | None:
        """Take every lock on a connection of its own; None when held, else why not (the
        connection is closed then, which lets go of whatever it took)."""
        conn = await asyncpg.connect(**_pg_params(self.url))
        try:
            refused = await self._take(conn)
        except BaseException:
            await conn.close()
            raise
        if refused is not None:
            await conn.close()
            return refused
        self._conn = conn
        conn.add_termination_listener(self._connection_lost)
        return None

    async def _take(self, conn: asyncpg.Connection) -> AlreadyRunning | None:
        for shard in self.shard_ids:
            if not await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", NAMESPACE, shard):
                return self._refusal(shard)
        count = self.shard_count
        await conn.fetchval("SELECT pg_try_advisory_lock_shared($1, $2)", COUNT_NAMESPACE, count)
        if await conn.fetchval(OTHER_COUNTS, COUNT_NAMESPACE, count):
            return self._refusal()
        return None

    def _connection_lost(self, _conn: object) -> None:
        self._conn = None
        if not self._closing and self._retake is None:
            log.warning("the database connection holding the bot's lock dropped; retaking it")
            self._retake = asyncio.get_running_loop().create_task(self._take_back())

    async def _take_back(self) -> None:
        """Retake the lock once the database answers; stop the bot if another took it."""
        held_elsewhere = 0
        try:
            while not self._closing:
                try:
                    if await self._lock_pg() is None:
                        log.info("the bot's lock is held again")
                        return
                except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                    log.debug("lock not retaken yet: %s", exc)
                else:
                    # our own dead session may hold it until the server notices: ask again
                    held_elsewhere += 1
                    if held_elsewhere >= self.patience:
                        log.error("another bot process took over this database meanwhile")
                        if self.on_lost is not None:
                            self.on_lost()
                        return
                await asyncio.sleep(self.retry_seconds)
        finally:
            self._retake = None

    async def release(self) -> None:
        self._closing = True
        if self._retake is not None:
            self._retake.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retake
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.remove_termination_listener(self._connection_lost)
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                await conn.close()
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    async def __aenter__(self) -> Self:
        await self.acquire()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.release()
