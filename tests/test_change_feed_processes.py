"""Real `redlegion run` processes (two shards on PostgreSQL, one on SQLite) and changes made by
another process (what the CLI or a portal of its own does): each takes effect in the running
bot within a second."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from core.models import Guild as GuildRow
from core.models import GuildMembership
from fakediscord import FakeDiscord
from plugins.mining import channels, events
from plugins.mining.models import MiningParticipation
from storage import Database
from tests.conftest import builtin_plugins
from tests.test_single_instance import BotProcesses, _until

WITHIN = 1.0  # seconds: how soon a change made elsewhere must be acted on


async def _open_sessions(event_id: int) -> set[tuple[int, int]]:
    rows = await MiningParticipation.filter(
        event_id=event_id, session_end__isnull=True
    ).values_list("user_id", "channel_id")
    return set(rows)


def _counted(event_id: int, user_id: int, channel_id: int) -> Callable[[], Awaitable[bool]]:
    async def counted() -> bool:
        return (user_id, channel_id) in await _open_sessions(event_id)

    return counted


async def test_channels_and_events_changed_elsewhere_reach_the_running_bots(
    fake_discord: FakeDiscord, empty_db_url: str, tmp_path: Path, backend
):
    guilds = [fake_discord.guild("Red Legion"), fake_discord.guild("Blue Fleet")]
    assert {(g.id >> 22) % 2 for g in guilds} == {0, 1}, "one guild on each shard"
    for guild in guilds:
        guild.voice("Rocks"), guild.voice("Lounge")
        guild.member("Alice"), guild.member("Bob")
    bots = BotProcesses(fake_discord, empty_db_url, tmp_path)
    names = ("shard0", "shard1") if backend.kind == "postgres" else ("bot",)
    async with fake_discord.serve(patch_discord=False):
        try:
            if backend.kind == "postgres":
                await bots.start("shard0", "--shard-count", "2", "--shard-ids", "0")
                await _until(lambda: bots.connected(1, *names[:1]), "shard 0 never connected", 60)
                await bots.start("shard1", "--shard-count", "2", "--shard-ids", "1")
            else:
                await bots.start("bot")
            await _until(lambda: bots.connected(len(names), *names), "bots never connected", 60)
            async with Database(empty_db_url, builtin_plugins().specs()):

                async def everyone_known() -> bool:
                    ids = [g.id for g in guilds]
                    return (
                        await GuildRow.filter(id__in=ids).count() == 2
                        and await GuildMembership.filter(guild_id__in=ids).count() >= 4
                    )

                await _until(everyone_known, "each bot records its shard's guilds", 60)
                await asyncio.sleep(0.5)  # the bots have reconciled the guilds they announced
                for guild in guilds:
                    rocks, lounge = guild.voice("Rocks"), guild.voice("Lounge")
                    alice, bob = guild.get_member("Alice"), guild.get_member("Bob")
                    await bob.join(lounge)  # not a mining channel yet: nothing counts
                    voice_ids = {rocks.id, lounge.id}
                    for channel in (rocks, lounge):
                        await channels.add_channel(
                            guild.id, channel.id, channel.name, voice_channel_ids=voice_ids
                        )
                    event = await events.create_event(guild.id, at=datetime.now(UTC), name="Op")
                    await events.start_event(guild.id, event.id, at=datetime.now(UTC))

                    # the bot serving the guild reconciles: Bob, already in Lounge, counts
                    await _until(
                        _counted(event.id, bob.id, lounge.id),
                        f"{guild.name}: Bob not counted",
                        WITHIN,
                    )
                    await asyncio.sleep(WITHIN)  # the approval has reached the bot by now
                    await alice.join(rocks)

                    await _until(
                        _counted(event.id, alice.id, rocks.id),
                        f"{guild.name}: Alice's join not counted",
                        5,
                    )

                    # stopped elsewhere: every session closed there, and nothing opens again
                    await events.stop_event(guild.id, event.id, at=datetime.now(UTC))
                    await asyncio.sleep(WITHIN)
                    await alice.move(lounge)
                    await bob.leave()
                    await bob.join(rocks)
                    await asyncio.sleep(0.5)
                    assert await _open_sessions(event.id) == set()
                    assert await MiningParticipation.filter(event_id=event.id).count() == 2, (
                        "one session each, none opened after the stop"
                    )
            for name in names:
                assert bots.started[name].returncode is None, bots.log(name)[-3000:]
                assert "Traceback" not in bots.log(name), bots.log(name)[-3000:]
        finally:
            await bots.kill()
