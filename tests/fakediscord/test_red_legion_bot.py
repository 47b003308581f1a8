"""The real bot, in process, against the stand-in: it starts, syncs, answers, hears voice."""

from __future__ import annotations

import discord

from core.config import Settings
from core.plugins import PluginManager
from core.standin import running_bot
from fakediscord import FakeDiscord
from storage import Database
from tests.fakediscord.conftest import build_scene


async def test_the_bot_starts_syncs_and_answers(
    fake_discord: FakeDiscord, db: Database, settings: Settings
) -> None:
    # Core alone: the plugins are tested through the stand-in in their own suites.
    plugins = PluginManager(builtins=(), entry_point_group=None)
    scene = build_scene(fake_discord)
    scene.officer.permissions = discord.Permissions(administrator=True).value
    async with fake_discord.serve(), running_bot(fake_discord, settings, plugins) as bot:
        assert bot.clock is fake_discord.clock
        synced = fake_discord.commands.syncs[-1]
        assert synced.guild_id is None and "plugins" in synced.names
        reply = await scene.ace.slash("plugins list")
        assert "no plugins loaded" in reply.text
        refused = await scene.rookie.slash("plugins enable", plugin="mining")
        assert refused.ephemeral and "needs the admin level" in refused.text
        await scene.ace.join(scene.alpha)  # returns once the bot and its plugins handled it
        await scene.ace.leave()
