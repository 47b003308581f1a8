"""Per-guild plugin switches: config default → guild override → an admin's choice, at once."""

from __future__ import annotations

import pytest

from core.enablement import Enablement
from core.errors import InvalidInput, NotFound
from core.models import Guild
from core.plugins import PluginManager
from storage import Database
from tests.support import make_settings

GUILD = 111


@pytest.fixture
def plugins() -> PluginManager:
    return PluginManager(entry_point_group=None)


async def test_precedence(db: Database, plugins: PluginManager):
    await Guild.create(id=GUILD, name="G")
    settings = make_settings(
        {"plugins": {"loans": False}, "guilds": {str(GUILD): {"plugins": {"mining": False}}}},
        plugins,
    )
    enablement = Enablement(settings, plugins)
    assert await enablement.enabled(GUILD) == ["economy"]
    assert await enablement.enabled(222) == ["economy", "mining"]
    await enablement.choose(GUILD, "loans", True)
    assert await enablement.enabled(GUILD) == ["economy", "loans"]
    status = {s.name: s for s in await enablement.statuses(GUILD)}
    assert status["loans"].reason == "set by an admin in this guild"
    assert status["mining"].reason == f"config [guilds.{GUILD}] plugins"


async def test_choice_is_stored_and_survives_a_new_process(db: Database, plugins: PluginManager):
    await Guild.create(id=GUILD, name="G", settings={"other": 1})
    await Enablement(make_settings({}, plugins), plugins).choose(GUILD, "mining", False)
    guild = await Guild.get(id=GUILD)
    assert guild.settings == {"other": 1, "plugins": {"mining": False}}
    fresh = Enablement(make_settings({}, plugins), plugins)
    assert not await fresh.is_enabled("mining", GUILD)


async def test_dependent_is_off_when_its_dependency_is_off(db: Database, plugins: PluginManager):
    await Guild.create(id=GUILD, name="G")
    enablement = Enablement(make_settings({}, plugins), plugins)
    await enablement.choose(GUILD, "economy", False)
    status = {s.name: s for s in await enablement.statuses(GUILD)}
    assert not status["mining"].enabled
    assert status["mining"].reason == "needs economy, which is off"
    assert await enablement.enabled(GUILD) == []


async def test_unknown_plugin_is_refused_and_nothing_changes(db: Database, plugins: PluginManager):
    await Guild.create(id=GUILD, name="G")
    enablement = Enablement(make_settings({}, plugins), plugins)
    with pytest.raises(InvalidInput, match="no plugin named 'lones'"):
        await enablement.choose(GUILD, "lones", False)
    assert (await Guild.get(id=GUILD)).settings == {}


async def test_unknown_guild_is_not_found(db: Database, plugins: PluginManager):
    enablement = Enablement(make_settings({}, plugins), plugins)
    with pytest.raises(NotFound):
        await enablement.choose(999, "loans", False)
    assert await Guild.all().count() == 0
