"""An AutoShardedClient: guilds split over shards, each event and interaction on its shard."""

from __future__ import annotations

import discord

from fakediscord import FakeDiscord
from tests.fakediscord.conftest import RecordingBot, add_commands


async def test_two_shards_each_get_their_guilds(fake_discord: FakeDiscord) -> None:
    fake_discord.shard_count = 2  # what GET /gateway/bot recommends
    red = fake_discord.guild("Red Legion")
    blue = fake_discord.guild("Blue Fleet")
    assert (red.id >> 22) % 2 != (blue.id >> 22) % 2
    pilots = [g.member(f"Pilot of {g.name}") for g in (red, blue)]
    channels = [g.voice("Ops") for g in (red, blue)]

    intents = discord.Intents.default()
    client = discord.AutoShardedClient(intents=intents, guild_ready_timeout=0.05)
    bot = RecordingBot(client, discord.app_commands.CommandTree(client))
    add_commands(bot)
    heard: list[tuple[str, int | None]] = []

    async def identify_at_once(shard_id: int | None, *, initial: bool = False) -> None:
        pass  # discord.py spaces IDENTIFYs 5 s apart, as Discord's rate limit asks

    client.before_identify_hook = identify_at_once  # type: ignore[method-assign]

    @client.event
    async def on_voice_state_update(member: discord.Member, *_: object) -> None:
        heard.append((member.guild.name, member.guild.shard_id))

    async with fake_discord.serve(), fake_discord.run_client(client):
        assert client.shard_count == 2
        assert {g.name: g.shard_id for g in client.guilds} == {
            "Red Legion": (red.id >> 22) % 2,
            "Blue Fleet": (blue.id >> 22) % 2,
        }
        await bot.tree.sync()
        for pilot, channel in zip(pilots, channels, strict=True):
            await pilot.join(channel)
            reply = await pilot.slash("mining status")
            assert reply.content == "status"
    assert heard == [("Red Legion", (red.id >> 22) % 2), ("Blue Fleet", (blue.id >> 22) % 2)]
    assert fake_discord.gateway.identified == 2
