"""Tortoise's SQLite and asyncpg clients, with a database outage raised as one error.

Every error a driver gives when the database is not answering (a refused or dropped
connection, a PostgreSQL server shutting down or out of connection slots, a SQLite file that
cannot be opened or stays locked past the busy timeout) leaves a client as
`storage.errors.DatabaseOutage`. This is the one place that knows those errors: a command turns
it into "the database is unavailable" and the voice tracker into "reconcile when it is back",
neither by catching driver exceptions of its own.

`storage.database.connection_config` names these modules as Tortoise engines
(`storage.engines.sqlite`, `storage.engines.postgres`). They also fix two Tortoise 1.1.9 defects
that an outage hits: see each module.
"""

from __future__ import annotations

import logging
import socket
import sqlite3
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
from tortoise import connections
from tortoise.backends.base.client import NestedTransactionContext, TransactionalDBClient
from tortoise.exceptions import DBConnectionError

from storage.errors import DatabaseOutage

# SQLite's words for "the file is not there for us", not for a bad statement
SQLITE_OUTAGE = ("unable to open database file", "database is locked", "disk i/o error")
OUTAGE_TYPES: tuple[type[BaseException], ...] = (
    DatabaseOutage,
    DBConnectionError,
    asyncpg.PostgresConnectionError,  # class 08: refused, dropped, connection does not exist
    asyncpg.OperatorInterventionError,  # class 57: admin shutdown, crash, cannot connect now
    asyncpg.TooManyConnectionsError,
    ConnectionError,  # refused, reset, aborted, broken pipe on the socket itself
    socket.gaierror,
    TimeoutError,  # connecting took longer than the driver's timeout
)


def is_outage(exc: BaseException) -> bool:
    """Whether a database call failed because the database did not answer (not because of
    what was asked). Tortoise wraps driver errors, so the chain of causes is read too."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OUTAGE_TYPES):
            return True
        if isinstance(current, asyncpg.InterfaceError) and "closed" in str(current):
            return True  # "connection is closed": the server went away under a pooled one
        if isinstance(current, sqlite3.OperationalError) and str(current).lower().startswith(
            SQLITE_OUTAGE
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


@contextmanager
def translated() -> Iterator[None]:
    """Re-raise an outage as `DatabaseOutage` (its driver error as the cause); others as is."""
    try:
        yield
    except DatabaseOutage:
        raise
    except Exception as exc:
        if is_outage(exc):
            raise DatabaseOutage() from exc
        raise


log = logging.getLogger(__name__)

# what to run once each open (outermost) transaction has committed
_after_commit: weakref.WeakKeyDictionary[Any, list[Callable[[], None]]] = (
    weakref.WeakKeyDictionary()
)


def _outermost(client: Any) -> Any:
    while isinstance(getattr(client, "_parent", None), TransactionalDBClient):
        client = client._parent
    return client


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the transaction this task is in commits, never if it rolls back;
    at once outside a transaction (the statement before it has been committed already).

    Tortoise has no such hook; our transaction contexts (`storage.engines.sqlite` and
    `.postgres`) call `committed` and `rolled_back`. A savepoint rolled back inside a committed
    transaction still runs its callbacks: they are for what may have changed, never for money.
    """
    client = connections.get("default")
    if isinstance(client, TransactionalDBClient) and not client._finalized:
        _after_commit.setdefault(_outermost(client), []).append(callback)
    else:
        callback()


def committed(client: Any) -> None:
    """The outermost transaction of `client` committed: run what waited for it, once."""
    for callback in _after_commit.pop(client, []):
        try:
            callback()
        except Exception:
            log.exception("a callback after commit failed")


def rolled_back(client: Any) -> None:
    _after_commit.pop(client, None)


class TranslatingClient:
    """The statement methods of a Tortoise client (plain or in a transaction), translated.

    Mixed in before the Tortoise class, so `super()` is the driver's own method.
    """

    async def execute_insert(self, query: str, values: list[Any]) -> Any:
        with translated():
            return await super().execute_insert(query, values)  # type: ignore[misc]

    async def execute_many(self, query: str, values: list[Any]) -> None:
        with translated():
            await super().execute_many(query, values)  # type: ignore[misc]

    async def execute_query(self, query: str, values: list[Any] | None = None) -> Any:
        with translated():
            return await super().execute_query(query, values)  # type: ignore[misc]

    async def execute_query_dict(self, query: str, values: list[Any] | None = None) -> Any:
        with translated():
            return await super().execute_query_dict(query, values)  # type: ignore[misc]

    async def execute_script(self, query: str) -> None:
        with translated():
            await super().execute_script(query)  # type: ignore[misc]


class TranslatedSavepoint(NestedTransactionContext):
    """A nested transaction (a savepoint) whose outage errors are translated."""

    async def __aenter__(self) -> TransactionalDBClient:
        with translated():
            return await super().__aenter__()

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        with translated():
            await super().__aexit__(exc_type, exc_val, exc_tb)
