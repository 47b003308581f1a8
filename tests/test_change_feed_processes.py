"""Real `redlegion run` processes (two shards on PostgreSQL, one on SQLite) and changes made by
another process (what the CLI or a portal of its own does): each takes effect in the running
bot within a second."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.models import Guild as GuildRow
from core.models import GuildMembership
from fakediscord import FakeDiscord
from plugins.loans.lending import issue_loan
from plugins.mining import channels, events
from plugins.mining.models import MiningEvent, MiningParticipation
from storage import Database
from tests.conftest import builtin_plugins
from tests.support import NO_UEX_SYNC, make_settings
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


@pytest.mark.postgres_only
async def test_a_shard_killed_mid_event_loses_nothing_and_the_other_goes_on(
    fake_discord: FakeDiscord, empty_db_url: str, tmp_path: Path
):
    red, blue = fake_discord.guild("Red Legion"), fake_discord.guild("Blue Fleet")
    assert (red.id >> 22) % 2 != (blue.id >> 22) % 2
    shard_of = {red.id: f"shard{(red.id >> 22) % 2}", blue.id: f"shard{(blue.id >> 22) % 2}"}
    for guild in (red, blue):
        guild.voice("Rocks")
        guild.member("Alice"), guild.member("Bob")
    bots = BotProcesses(fake_discord, empty_db_url, tmp_path)
    args = {name: ("--shard-count", "2", "--shard-ids", name[-1]) for name in shard_of.values()}
    async with fake_discord.serve(patch_discord=False):
        try:
            await bots.start("shard0", *args["shard0"])
            await _until(lambda: bots.connected(1, "shard0"), "shard 0 never connected", 60)
            await bots.start("shard1", *args["shard1"])
            await _until(lambda: bots.connected(2, "shard0", "shard1"), "no shard 1", 60)
            async with Database(empty_db_url, builtin_plugins().specs()):

                async def everyone_known() -> bool:
                    ids = [red.id, blue.id]
                    return await GuildMembership.filter(guild_id__in=ids).count() >= 4

                await _until(everyone_known, "each bot records its shard's guilds", 60)
                await asyncio.sleep(0.5)
                started: dict[int, int] = {}
                for guild in (red, blue):
                    rocks = guild.voice("Rocks")
                    await channels.add_channel(
                        guild.id, rocks.id, "Rocks", voice_channel_ids={rocks.id}
                    )
                    event = await events.create_event(guild.id, at=datetime.now(UTC), name="Op")
                    await events.start_event(guild.id, event.id, at=datetime.now(UTC))
                    started[guild.id] = event.id
                await asyncio.sleep(WITHIN)
                for guild in (red, blue):
                    alice = guild.get_member("Alice")
                    await alice.join(guild.voice("Rocks"))
                    await _until(
                        _counted(started[guild.id], alice.id, guild.voice("Rocks").id),
                        f"{guild.name}: Alice not counted", 5,
                    )  # fmt: skip

                victim = shard_of[red.id]
                await bots.kill(victim)  # kill -9 mid-event
                bob = blue.get_member("Bob")
                await bob.join(blue.voice("Rocks"))  # the other shard goes on meanwhile
                await _until(
                    _counted(started[blue.id], bob.id, blue.voice("Rocks").id),
                    "Blue Fleet: Bob not counted while the other shard was down", 5,
                )  # fmt: skip
                await bots.start(victim, *args[victim])
                await _until(lambda: bots.connected(3, "shard0", "shard1"), "no restart", 60)
                await asyncio.sleep(1.0)  # the restarted shard reconciles Red Legion
                for guild in (red, blue):
                    await events.stop_event(guild.id, started[guild.id], at=datetime.now(UTC))
                alice_red = await MiningParticipation.filter(
                    event_id=started[red.id], user_id=red.get_member("Alice").id
                ).values_list("session_start", "session_end")
                # still in Rocks across the crash: one unbroken session, not two
                assert len(alice_red) == 1, alice_red
                blue_rows = await MiningParticipation.filter(event_id=started[blue.id]).count()
                assert blue_rows == 2, "Alice and Bob once each in Blue Fleet"
            for name in ("shard0", "shard1"):
                assert bots.started[name].returncode is None, bots.log(name)[-3000:]
            other = shard_of[blue.id]
            assert "Traceback" not in bots.log(other), bots.log(other)[-3000:]
        finally:
            await bots.kill()


@pytest.mark.postgres_only
async def test_background_jobs_run_once_per_guild_across_two_shards(
    fake_discord: FakeDiscord, empty_db_url: str, tmp_path: Path
):
    """The overdue watch and the heartbeat run in each process for its shard's guilds only:
    each guild's default is announced once, by the process serving it, and each process
    checks and stamps its own guilds and never the other's."""
    red, blue = fake_discord.guild("Red Legion"), fake_discord.guild("Blue Fleet")
    shard_of = {red.id: (red.id >> 22) % 2, blue.id: (blue.id >> 22) % 2}
    assert set(shard_of.values()) == {0, 1}
    notices = {guild.id: guild.text("loans") for guild in (red, blue)}
    for guild in (red, blue):
        guild.voice("Rocks"), guild.member("Alice"), guild.member("Olga")
    bots = BotProcesses(fake_discord, empty_db_url, tmp_path)
    per_guild = "".join(
        f'[guilds."{gid}".loans]\nnotify_channel_id = {channel.id}\n'
        for gid, channel in notices.items()
    )
    data = {"loans": {"members_only": False}}
    (tmp_path / "config.toml").write_text(
        f'log_level = "DEBUG"\n{NO_UEX_SYNC}[mining]\nheartbeat_seconds = 0.1\n'
        f"[loans]\ncheck_interval_minutes = 0.005\nmembers_only = false\n{per_guild}"
    )
    async with fake_discord.serve(patch_discord=False):
        try:
            for shard in (0, 1):
                await bots.start(f"shard{shard}", "--shard-count", "2", "--shard-ids", str(shard))
                await _until(
                    lambda s=shard: bots.connected(s + 1, *(f"shard{i}" for i in range(s + 1))),
                    f"shard {shard} never connected",
                    60,
                )
            async with Database(empty_db_url, builtin_plugins().specs()):

                async def everyone_known() -> bool:
                    alices = [(g.id, g.get_member("Alice").id) for g in (red, blue)]
                    known = await GuildMembership.filter(guild_id__in=list(shard_of)).values_list(
                        "guild_id", "user_id"
                    )
                    return set(alices) <= set(known)

                await _until(everyone_known, "each bot records its shard's guilds", 60)
                settings = make_settings(data)
                long_ago = datetime.now(UTC) - timedelta(days=90)
                events_of: dict[int, int] = {}
                for guild in (red, blue):
                    loans = settings.plugin_settings("loans", guild.id)
                    alice = guild.get_member("Alice").id
                    olga = guild.get_member("Olga").id
                    await issue_loan(
                        guild.id, alice, "10", officer_id=olga, settings=loans, at=long_ago
                    )
                    event = await events.create_event(guild.id, at=datetime.now(UTC), name="Op")
                    await events.start_event(guild.id, event.id, at=datetime.now(UTC))
                    events_of[guild.id] = event.id

                async def announced() -> bool:
                    return all(channel.messages for channel in notices.values())

                await _until(announced, "a default not announced", 10)
                started = datetime.now(UTC)
                await asyncio.sleep(1.0)  # many rounds of both jobs in both processes
                for gid, channel in notices.items():
                    assert len(channel.messages) == 1, [m.text for m in channel.messages]
                    event = await MiningEvent.get(id=events_of[gid])
                    assert event.last_seen_at is not None and event.last_seen_at > started
            for gid, shard in shard_of.items():
                mine, other = bots.log(f"shard{shard}"), bots.log(f"shard{1 - shard}")
                assert mine.count(f"loans: overdue check in guild {gid}\n") >= 2, mine[-3000:]
                assert f"loans: overdue check in guild {gid}\n" not in other
                beats = [line for line in mine.splitlines() if "mining heartbeat in guilds" in line]
                assert any(f"[{gid}]" in line for line in beats), beats[-5:]
                others = [g for g in shard_of if g != gid]
                assert not [line for line in beats for g in others if str(g) in line], beats[-5:]
            for name in ("shard0", "shard1"):
                assert bots.started[name].returncode is None, bots.log(name)[-3000:]
                assert "Traceback" not in bots.log(name), bots.log(name)[-3000:]
        finally:
            await bots.kill()
