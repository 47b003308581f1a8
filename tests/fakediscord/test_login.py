"""Logging in, READY and GUILD_CREATE, command sync: what a bot sees when it connects."""

from __future__ import annotations

from datetime import timedelta

import discord
import pytest

from fakediscord import FakeDiscord
from tests.fakediscord.conftest import RecordingBot, Scene, build_bot


async def test_client_gets_ready_with_the_guild_as_built(scene: Scene, bot: RecordingBot) -> None:
    client = bot.client
    assert client.user is not None and client.user.id == scene.world.bot_user.id
    assert client.application_id == scene.world.application_id
    guild = client.get_guild(scene.guild.id)
    assert guild is not None and guild.name == "Red Legion"
    assert sorted(c.name for c in guild.voice_channels) == ["AFK", "Alpha", "Beta"]
    assert [c.name for c in guild.text_channels] == ["general"]
    assert guild.afk_channel is not None and guild.afk_channel.id == scene.afk.id
    # Members not in voice only arrive by REQUEST_GUILD_MEMBERS (as on Discord without presences).
    assert guild.chunked
    assert sorted(m.name for m in guild.members) == ["Ace", "Red Legion Bot", "Rookie"]
    ace = guild.get_member(scene.ace.id)
    assert ace is not None and [r.name for r in ace.roles[1:]] == ["Officer"]
    assert ace.guild_permissions.manage_guild and not ace.guild_permissions.administrator
    assert guild.me.guild_permissions.administrator


async def test_members_already_in_voice_arrive_with_guild_create(fake_discord: FakeDiscord) -> None:
    guild = fake_discord.guild("Red Legion")
    alpha = guild.voice("Alpha")
    ace = guild.member("Ace")
    async with fake_discord.serve():
        await ace.join(alpha)  # nobody connected yet: only the world changes
        intents = discord.Intents.default()  # no members intent: no chunking
        test_bot = build_bot(intents=intents)
        async with fake_discord.run_client(test_bot.client) as client:
            channel = client.get_channel(alpha.id)
            assert isinstance(channel, discord.VoiceChannel)
            assert [m.name for m in channel.members] == ["Ace"]


async def test_command_sync_is_recorded_globally_and_per_guild(
    scene: Scene, bot: RecordingBot
) -> None:
    world = scene.world
    assert world.commands.syncs[-1].guild_id is None
    assert set(world.commands.syncs[-1].names) >= {"mining", "report", "price"}
    mining = next(c for c in world.commands.list(None) if c["name"] == "mining")
    assert [o["name"] for o in mining["options"]] == ["event", "status"]

    bot.tree.copy_global_to(guild=discord.Object(scene.guild.id))
    bot.tree.clear_commands(guild=None)
    synced = await bot.tree.sync(guild=discord.Object(scene.guild.id))
    assert {c.name for c in synced} >= {"mining", "report"}
    assert world.commands.syncs[-1].guild_id == scene.guild.id
    fetched = await bot.tree.fetch_commands(guild=discord.Object(scene.guild.id))
    assert {c.id for c in fetched} == {c.id for c in synced}
    # A second overwrite keeps the ids of commands that stayed.
    again = await bot.tree.sync(guild=discord.Object(scene.guild.id))
    assert {c.id for c in again} == {c.id for c in synced}
    # Guild commands take the data's guild_id, which the tree needs to find them.
    await bot.tree.sync()  # global now empty
    assert (await scene.ace.slash("mining status")).content == "status"


async def test_ids_and_timestamps_follow_the_virtual_clock(scene: Scene, bot: RecordingBot) -> None:
    clock = scene.world.clock
    clock.advance(hours=3)  # type: ignore[attr-defined]
    reply = await scene.ace.slash("mining status")
    assert reply.message is not None
    assert reply.message.created_at == clock.now()
    channel = bot.client.get_channel(scene.guild.default_channel.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("hello")
    assert abs(sent.created_at - clock.now()) < timedelta(milliseconds=1)


async def test_wrong_token_is_refused(fake_discord: FakeDiscord) -> None:
    fake_discord.guild("Red Legion")
    client = discord.Client(intents=discord.Intents.default())
    async with fake_discord.serve():
        with pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")
        await client.close()
