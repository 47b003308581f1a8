"""Tortoise's SQLite client with outages translated (see `storage.engines`).

Also fixes a Tortoise 1.1.9 defect: the client has one connection guarded by one lock, and
when that connection cannot be (re)opened (the file is gone or unreadable) the lock taken for
the statement or transaction is never released, so every later query waits forever, long after
the file is back. Here the lock is released whenever opening or BEGIN fails, and a statement
uses the connection there is once it holds the lock, not the one it saw before waiting. And
a transaction begins in one round trip to the driver's thread, not two.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tortoise.backends.base.client import ConnectionWrapper, TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError

from storage.engines import (
    TranslatedSavepoint,
    TranslatingClient,
    committed,
    rolled_back,
    translated,
)


class _Connection(ConnectionWrapper[Any]):
    async def __aenter__(self) -> Any:
        await self._lock.acquire()
        # the connection as it is now, not as it was before waiting (it may have been closed)
        self.connection = self.client._connection
        try:
            await self.ensure_connection()
        except BaseException:
            self._lock.release()
            raise
        return self.connection


class _Transaction(SqliteTransactionContext):
    async def __aenter__(self) -> Any:
        await self._trxlock.acquire()
        self.connection._connection = self.connection._parent._connection  # as for _Connection
        try:
            with translated():
                await self.ensure_connection()
                token = get_connections().set(self.connection_name, self.connection)
                try:
                    await self.connection.begin()
                except BaseException:
                    get_connections().reset(token)
                    raise
                self.token = token
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        try:
            with translated():
                await super().__aexit__(exc_type, exc_val, exc_tb)
        except BaseException:
            rolled_back(self.connection)
            raise
        if exc_type is None:
            committed(self.connection)
        else:
            rolled_back(self.connection)


class TransactionClient(TranslatingClient, SqliteTransactionWrapper):
    async def begin(self) -> None:
        """BEGIN, committing first only when a transaction is in fact open.

        Tortoise's own `begin` always commits first, a round trip to the driver's thread that
        does nothing when none is open (the transaction lock is held, so none is): a quarter
        of the hops of a voice move.
        """
        try:
            if self._connection.in_transaction:
                await self._connection.commit()
            await self._connection.execute("BEGIN")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc

    def _in_transaction(self) -> TransactionContext:
        return TranslatedSavepoint(TransactionClient(self))


class Client(TranslatingClient, SqliteClient):
    def acquire_connection(self) -> ConnectionWrapper[Any]:
        return _Connection(self._lock, self)

    def _in_transaction(self) -> TransactionContext:
        return _Transaction(TransactionClient(self), self._lock)


client_class = Client
