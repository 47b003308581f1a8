"""The change feed: a change reaches every process's caches once, after commit, and never
when it is rolled back; a feed that was away re-reads everything when it is back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from tortoise.transactions import in_transaction

from core import members
from plugins.mining.topics import CHANNELS
from storage import Database
from storage.change_feed import ALL, CHANNEL, Change, ChangeFeed, publish
from storage.instance_lock import _pg_params
from storage.querycount import count_queries
from tests.feed_support import Heard, elsewhere
from tests.mining.conftest import GUILD, LOUNGE
from tests.outage import Outage

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
async def heard(db: Database) -> AsyncIterator[Heard]:
    feed = ChangeFeed(poll_seconds=0.1)
    listener = Heard()
    feed.subscribe(listener)
    await feed.start()
    try:
        yield listener
    finally:
        await feed.stop()


async def test_a_change_is_delivered_here_once_after_commit(heard: Heard):
    async with in_transaction():
        await publish("core.plugins", GUILD)
        await asyncio.sleep(0.2)  # a listener on PostgreSQL would have heard it by now
        assert heard.changes == [], "nothing before the commit"
    assert heard.changes == [Change("core.plugins", GUILD, local=True)]
    await asyncio.sleep(0.3)  # the server's notification of our own change is not a second
    assert len(heard.changes) == 1


async def test_a_rolled_back_change_is_delivered_nowhere(heard: Heard, db: Database, backend):
    other: list[str] = []
    raw = None
    if backend.kind == "postgres":  # what another process listening would get
        raw = await asyncpg.connect(**_pg_params(db.url))
        await raw.add_listener(CHANNEL, lambda *args: other.append(args[-1]))
    try:
        with pytest.raises(RuntimeError):
            async with in_transaction():
                await publish("core.plugins", GUILD)
                raise RuntimeError("refused halfway")
        await publish("core.plugins", GUILD + 1)  # outside a transaction: at once
        await asyncio.sleep(0.5)
    finally:
        if raw is not None:
            await raw.close()
    assert heard.changes == [Change("core.plugins", GUILD + 1, local=True)]
    if raw is not None:
        assert len(other) == 1 and f'"g": {GUILD + 1}' in other[0]


async def test_a_change_made_by_another_process_arrives_within_a_second(
    heard: Heard, db: Database, backend
):
    await members.ensure_guild(GUILD, "Red Legion")
    await elsewhere(db.url, "approve", GUILD, LOUNGE)
    change = await heard.next(1.0)
    # PostgreSQL names what changed; SQLite knows only that another process wrote
    assert change == (Change(CHANNELS, GUILD) if backend.kind == "postgres" else ALL)


async def test_the_feed_is_not_counted_as_the_work_it_runs_beside(db: Database):
    """Start-up and page statement counts (bench/, tests/web) must not grow with how long the
    work took: SQLite's poll is sent on a timer, not by the work, so it is counted nowhere."""
    feed = ChangeFeed(poll_seconds=0.01)
    with count_queries() as statements:
        await feed.start()
        await asyncio.sleep(0.15)
        await members.ensure_guild(GUILD, "Red Legion")
        await feed.stop()
    assert statements and not [s for s in statements if "data_version" in s], statements


@pytest.mark.postgres_only
async def test_a_feed_cut_off_rereads_everything_when_it_is_back(outage_db: Outage):
    feed = ChangeFeed()
    feed.RECONNECT_FIRST_SECONDS = 0.02
    heard = Heard()
    feed.subscribe(heard)
    await feed.start()
    try:
        await outage_db.begin()  # the LISTEN connection drops with the rest
        await asyncio.sleep(0.3)
        assert heard.changes == []
        await outage_db.end()
        assert await heard.next(10) == ALL, "whatever changed meanwhile is re-read"
        # and it listens again: another process's change arrives
        raw = await asyncpg.connect(**_pg_params(outage_db.url))
        try:
            await raw.execute(
                "SELECT pg_notify($1, $2)", CHANNEL, '{"t": "core.plugins", "g": 7, "o": "x"}'
            )
        finally:
            await raw.close()
        assert await heard.next(1.0) == Change("core.plugins", 7)
    finally:
        await feed.stop()


async def test_a_plugin_choice_reaches_every_bot_that_cached_it(
    heard: Heard, db: Database, settings
):
    """The CLI's (or the portal's) Enablement turns loans off: the bot's cache follows."""
    from core.enablement import Enablement
    from tests.conftest import builtin_plugins

    await members.ensure_guild(GUILD, "Red Legion")
    bots = Enablement(settings, builtin_plugins())
    feed = ChangeFeed()
    feed.subscribe(bots.changed)
    await feed.start()
    try:
        assert await bots.is_enabled("loans", GUILD)  # cached now
        await Enablement(settings, builtin_plugins()).choose(GUILD, "loans", False)
        assert not await bots.is_enabled("loans", GUILD)
    finally:
        await feed.stop()
