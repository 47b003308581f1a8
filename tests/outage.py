"""A real database outage for tests: the database stops answering, then comes back.

PostgreSQL: the test's database is reached through a TCP proxy on loopback. Stopping it
refuses new connections and drops the open ones, as a stopped server does, so the pool meets
asyncpg's own errors. SQLite: the client's one connection is closed and the file moved aside
with a folder in its place, so reopening it fails with SQLite's own "unable to open database
file" until the file is put back. Nothing in the bot is told: it finds out as it would in
production.

Fixture `outage_db`: an open, migrated database private to the test, with `.begin()` and
`.end()` for the outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest
from tortoise import connections

from core.plugins import PluginManager
from storage import Database

if TYPE_CHECKING:
    from tests.conftest import Backend

PG_PORT = 5432


class TcpProxy:
    """Forwards 127.0.0.1:`port` (chosen once, kept across restarts) to `target_port`."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Listen no more and drop every open connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._pipes):
            writer.transport.abort()
        self._pipes.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._pipes.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self._pipes.difference_update((writer, up_writer))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.transport.abort()


class Outage:
    """Takes the open test database away and gives it back."""

    def __init__(self, kind: str, url: str) -> None:
        self.kind = kind
        self.url = url  # what the bot connects to (through the proxy on PostgreSQL)
        self.down = False
        self._proxy: TcpProxy | None = None
        if kind == "postgres":
            parts = urlsplit(url)
            self._proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or PG_PORT)
        self.database: Database | None = None

    async def open(self) -> Database:
        if self._proxy is not None:
            await self._proxy.start()
            parts = urlsplit(self.url)
            user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
            netloc = f"{user}127.0.0.1:{self._proxy.port}"
            self.url = urlunsplit(parts._replace(netloc=netloc))
        self.database = Database(self.url, PluginManager(entry_point_group=None).specs())
        return await self.database.open()

    @property
    def _file(self) -> Path:
        return Path(self.url.split("://", 1)[1])

    async def begin(self) -> None:
        """From now on the database refuses the bot."""
        assert not self.down, "the database is down already"
        if self._proxy is not None:
            await self._proxy.stop()
        else:
            client = connections.get("default")
            async with client._lock:  # no statement in flight while the file goes
                await client.close()
                for suffix in ("", "-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        os.rename(f"{self._file}{suffix}", f"{self._file}{suffix}.away")
                self._file.mkdir()
        self.down = True

    async def end(self) -> None:
        """The database answers again (the bot is not told)."""
        assert self.down, "the database is up"
        if self._proxy is not None:
            await self._proxy.start()
        else:
            # under the client's lock: a reconnect between the rmdir and the rename would
            # create an empty file there and keep it open ("no such table" ever after)
            async with connections.get("default")._lock:
                self._file.rmdir()
                for suffix in ("", "-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        os.rename(f"{self._file}{suffix}.away", f"{self._file}{suffix}")
        self.down = False

    async def close(self) -> None:
        if self.down:
            await self.end()
        if self.database is not None:
            await self.database.close()
        if self._proxy is not None:
            await self._proxy.stop()


@pytest.fixture
async def outage_db(backend: Backend) -> AsyncIterator[Outage]:
    """An open, migrated database private to the test that `begin()` takes away for real."""
    url = await backend.new_database()
    outage = Outage(backend.kind, url)
    try:
        await outage.open()
        yield outage
    finally:
        await outage.close()
        await backend.drop(url)
