"""The storage layer in a real database outage: one error, nothing half-written, and back.

The database is really taken away (tests/outage.py): PostgreSQL behind a proxy that stops,
SQLite's file made unopenable. Every way the bot talks to it gives `DatabaseOutage`; once it
is back, the next query works without a restart (Tortoise 1.1.9 on SQLite would wait forever).
"""

from __future__ import annotations

import asyncio

import pytest
from tortoise import connections
from tortoise.backends.asyncpg.client import TransactionWrapper
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.errors import DatabaseOutage
from core.models import Guild
from storage.database import reachable
from storage.engines import is_outage
from tests.outage import Outage

# a guard against the hang this fixes, not a synchronisation: each call is instant when right
PATIENCE = 10


async def within(awaitable):
    return await asyncio.wait_for(awaitable, PATIENCE)


async def write_in_transaction(name: str) -> None:
    async with in_transaction():
        await Guild.create(id=2, name=name)


async def test_every_kind_of_call_in_an_outage_is_a_database_outage(outage_db: Outage):
    await Guild.create(id=1, name="Red Legion")
    await outage_db.begin()
    calls = {
        "raw query": lambda: connections.get("default").execute_query("SELECT 1"),
        "read": lambda: Guild.all().count(),
        "write": lambda: Guild.create(id=2, name="Lost"),
        "update": lambda: Guild.filter(id=1).update(name="Renamed"),
        "transaction": lambda: write_in_transaction("Lost too"),
    }
    for what, call in calls.items():
        with pytest.raises(DatabaseOutage) as raised:
            await within(call())
        assert raised.value.message == (
            "The database is unavailable right now; try again in a moment."
        ), what
        assert is_outage(raised.value.__cause__), what  # the driver's error is kept as the cause
    assert not await within(reachable())

    await outage_db.end()
    assert await within(reachable())
    # nothing of what was refused was written, what was there is intact
    assert await within(Guild.all().values_list("id", "name")) == [(1, "Red Legion")]
    await within(write_in_transaction("After"))
    assert await within(Guild.all().order_by("id").values_list("name", flat=True)) == [
        "Red Legion",
        "After",
    ]


async def test_a_second_outage_is_met_the_same_way(outage_db: Outage):
    for attempt in range(2):
        await outage_db.begin()
        with pytest.raises(DatabaseOutage):
            await within(write_in_transaction(f"Lost {attempt}"))
        await outage_db.end()
        await within(Guild.create(id=10 + attempt, name=f"Kept {attempt}"))
    assert await Guild.all().order_by("id").values_list("name", flat=True) == [
        "Kept 0",
        "Kept 1",
    ]


async def test_an_error_in_the_query_is_not_an_outage(outage_db: Outage):
    await Guild.create(id=1, name="Red Legion")
    with pytest.raises(IntegrityError) as raised:
        await Guild.create(id=1, name="Again")
    assert not isinstance(raised.value, DatabaseOutage)
    assert not is_outage(raised.value)


@pytest.mark.postgres_only
async def test_a_transaction_whose_begin_fails_gives_its_connection_back(
    outage_db: Outage, monkeypatch
):
    """More failed BEGINs than the pool has connections, then a transaction still runs."""
    real_begin = TransactionWrapper.begin
    failing = True

    async def begin(self):
        if failing:
            raise ConnectionResetError("connection reset by peer")
        await real_begin(self)

    monkeypatch.setattr(TransactionWrapper, "begin", begin)
    for _ in range(8):  # the pool holds 5
        with pytest.raises(DatabaseOutage):
            await within(write_in_transaction("Lost"))
    failing = False
    await within(write_in_transaction("Kept"))
    assert await Guild.all().values_list("name", flat=True) == ["Kept"]
