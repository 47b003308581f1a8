"""Tortoise's asyncpg client with outages translated (see `storage.engines`).

Also fixes a Tortoise 1.1.9 defect: a transaction takes a connection from the pool and then
sends BEGIN; when BEGIN fails (the server went away in between) the connection is never given
back, and after as many such failures as the pool has connections every query waits forever.
Here it goes back to the pool whenever BEGIN fails.
"""

from __future__ import annotations

from typing import Any

from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import TransactionContext, TransactionContextPooled
from tortoise.connection import get_connections

from storage.engines import (
    TranslatedSavepoint,
    TranslatingClient,
    committed,
    rolled_back,
    translated,
)


class _Transaction(TransactionContextPooled):
    async def __aenter__(self) -> Any:
        parent = self.client._parent
        with translated():
            await self.ensure_connection()
            self.client._connection = await parent._pool.acquire()
        try:
            with translated():
                token = get_connections().set(self.connection_name, self.client)
                try:
                    await self.client.begin()
                except BaseException:
                    get_connections().reset(token)
                    raise
                self.token = token
        except BaseException:
            if parent._pool:
                await parent._pool.release(self.client._connection)
            raise
        return self.client

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        try:
            with translated():
                await super().__aexit__(exc_type, exc_val, exc_tb)
        except BaseException:
            rolled_back(self.client)
            raise
        if exc_type is None:
            committed(self.client)
        else:
            rolled_back(self.client)


class TransactionClient(TranslatingClient, TransactionWrapper):
    def _in_transaction(self) -> TransactionContext:
        return TranslatedSavepoint(TransactionClient(self))


class Client(TranslatingClient, AsyncpgDBClient):
    def _in_transaction(self) -> TransactionContext:
        return _Transaction(TransactionClient(self), self._pool_init_lock)


client_class = Client
