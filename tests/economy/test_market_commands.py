"""`/price check` with UEX's places to sell, and the bot's own background sync, through the
Discord stand-in and the UEX stand-in against the real bot."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal

import pytest

from core.clock import SystemClock
from core.context import PluginContext
from core.enablement import Enablement
from core.jobs import Jobs
from core.plugins import PluginManager
from core.standin import running_bot
from fakediscord import FakeDiscord
from fakeuex import FakeUex
from plugins.economy.market import sync_now, sync_state
from plugins.economy.market_watch import start_sync
from plugins.economy.materials import find_material, price_of
from plugins.economy.models import Material
from plugins.economy.settings import EconomySettings
from storage import Database
from tests.support import make_settings

ECONOMY = ("plugins.economy.plugin",)


@pytest.fixture
def uex(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeUex]:
    monkeypatch.delenv("UEX_API_TOKEN", raising=False)
    with FakeUex().running() as server:
        yield server


async def test_price_check_shows_the_best_three_places_with_system_and_age(
    db: Database, uex: FakeUex
):
    world = FakeDiscord()
    guild = world.guild("Red Legion")
    treasurer = guild.role("Treasurer")
    tess, mia = guild.member("Tess", roles=[treasurer]), guild.member("Mia")
    settings = make_settings({"guilds": {str(guild.id): {"roles": {"treasurer": [treasurer.id]}}}})
    plugins = PluginManager(builtins=ECONOMY, entry_point_group=None)
    async with world.serve(), running_bot(world, settings, plugins):
        before = await mia.slash("price check", material="Laranite")
        assert "Best places to sell" not in before.text
        assert "UEX prices read" in before.text and "never" in before.text
        assert "not read from UEX yet" in (await mia.slash("price check")).text

        synced = world.clock.now()
        await sync_now(EconomySettings(uex_base_url=uex.base_url), at=synced)
        detail = await mia.slash("price check", material="laranite")
        text = detail.text
        assert "2,569.00 aUEC" in text and "reference market price" in text
        # best three, highest first; the two "Refinery Deck"s told apart by their system
        first = text.index("1. Refinery Deck (Pyro): 2,710.00 aUEC/SCU, stock 12 SCU")
        second = text.index("2. Refinery Deck (Stanton): 2,600.00 aUEC/SCU, stock 40 SCU")
        third = text.index("3. TDD Area 18 (Stanton): 2,569.00 aUEC/SCU")
        assert first < second < third and "MIC-L5" not in text  # the fourth best
        assert "UEX figure from <t:1764700000:R>" in text  # how old UEX's own figure is
        assert f"UEX prices read\n<t:{int(synced.timestamp())}:R>" in text
        assert "1,173.00" not in text  # the raw ore's price is not the metal's
        table = await mia.slash("price check")
        assert f"last read from UEX <t:{int(synced.timestamp())}:R>" in table.text
        assert "Laranite: 2,569.00" in table.text

        # a guild's own price is shown, with the reference beside it; valuation keeps its order
        await tess.slash("price set", material="Laranite", price="3000")
        own = await mia.slash("price check", material="Laranite")
        assert "3,000.00 aUEC" in own.text and "this server's own price" in own.text
        assert "Reference price\n2,569.00 aUEC" in own.text
        lara = await find_material("Laranite")
        assert await price_of(guild.id, lara) == Decimal("3000.00")


async def test_the_bot_syncs_in_the_background_when_turned_on(db: Database, uex: FakeUex):
    world = FakeDiscord()
    world.guild("Red Legion")
    settings = make_settings({"economy": {"uex_sync_minutes": 60, "uex_base_url": uex.base_url}})
    plugins = PluginManager(builtins=ECONOMY, entry_point_group=None)
    async with world.serve(), running_bot(world, settings, plugins):
        for _ in range(400):
            state = await sync_state()
            if state is not None and state.last_success_at is not None:
                break
            await asyncio.sleep(0.025)
        else:
            raise AssertionError("the bot did not sync UEX prices within 10 s")
    assert (await Material.get(name="Laranite")).current_market_value == Decimal("2569.00")
    assert state.last_success_at == world.clock.now()


async def test_test_bots_never_reach_uex(db: Database):
    """The default test settings have the sync off: no task, no request to the real UEX."""
    world = FakeDiscord()
    world.guild("Red Legion")
    settings = make_settings()
    assert settings.plugin_settings("economy").uex_sync_minutes == 0
    async with world.serve(), running_bot(world, settings, PluginManager(entry_point_group=None)):
        assert not [t for t in asyncio.all_tasks() if t.get_name() == "economy-uex-sync"]


async def test_the_demo_never_reaches_uex():
    """`redlegion demo` promises no network: its bot starts no sync, whatever the config."""
    plugins = PluginManager(entry_point_group=None)
    settings = make_settings({"economy": {"uex_sync_minutes": 60}}, plugins)
    never = asyncio.Event()
    jobs = Jobs(never.wait)
    ctx: PluginContext[EconomySettings] = PluginContext(
        "economy",
        config=settings,
        clock=SystemClock(),
        jobs=jobs,
        enablement=Enablement(settings, plugins),
        services={},
        ready=never.wait,
    )
    settings.source = "demo"
    assert start_sync(ctx) is None and jobs.running() == []
    settings.source = "config.toml"
    task = start_sync(ctx)
    assert task is not None and jobs.running() == ["economy-uex-sync"]
    await jobs.close()
    assert task.cancelled(), "the bot's close cancels the sync"
