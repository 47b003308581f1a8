"""Restart reconciliation: open sessions against who is actually in voice now.

The rule (voice.py): present in the same channel → kept; gone → closed at the bot's last sign
of life; moved to another mining channel → closed and reopened at the restart; arrived during
the downtime → opened at the restart.
"""

from __future__ import annotations

from core.events import GuildSnapshot, VoiceMember
from plugins.mining import events
from plugins.mining.models import MiningEvent, MiningParticipation
from plugins.mining.voice import VoiceTracker, heartbeat
from tests.mining.conftest import (
    AFK,
    ALICE,
    BOB,
    CARA,
    DAN,
    EVE,
    GUILD,
    LOUNGE,
    OTHER_GUILD,
    REFINERY,
    ROCKS,
    at,
)


def snapshot(minutes: float, *present: tuple[int, int], guild: int = GUILD) -> GuildSnapshot:
    return GuildSnapshot(
        guild_id=guild,
        name="Red Legion",
        afk_channel_id=AFK,
        voice_channel_ids=frozenset({ROCKS, REFINERY, LOUNGE, AFK}),
        in_voice=tuple(VoiceMember(uid, channel, False) for uid, channel in present),
        at=at(minutes),
    )


async def sessions_of(event_id: int) -> list[tuple]:
    return (
        await MiningParticipation.filter(event_id=event_id)
        .order_by("id")
        .values_list("user_id", "channel_id", "session_start", "session_end", "duration_seconds")
    )


async def test_restart_applies_the_downtime_rule(world, voice):
    event = await events.create_event(GUILD, at=at())
    await events.start_event(GUILD, event.id, at=at())
    await voice(ALICE, None, ROCKS, 0)  # stays through the outage
    await voice(BOB, None, ROCKS, 0)  # leaves during the outage
    await voice(CARA, None, ROCKS, 0)  # moves to the refinery during the outage
    await voice(DAN, None, ROCKS, 5)
    await voice(DAN, ROCKS, None, 20)  # last voice change the bot saw
    assert await heartbeat([GUILD], at(30)) == 1  # last sign of life
    # the bot is down from minute 30 to 50; EVE joins meanwhile
    fresh = VoiceTracker()
    result = await fresh.reconcile(
        snapshot(50, (ALICE, ROCKS), (CARA, REFINERY), (EVE, ROCKS), (DAN, LOUNGE))
    )
    assert (result.kept, result.closed, result.opened) == (1, 2, 2)
    assert await sessions_of(event.id) == [
        (ALICE, ROCKS, at(0), None, None),
        (BOB, ROCKS, at(0), at(30), 1800),
        (CARA, ROCKS, at(0), at(50), 3000),
        (DAN, ROCKS, at(5), at(20), 900),
        (CARA, REFINERY, at(50), None, None),
        (EVE, ROCKS, at(50), None, None),
    ]
    assert (await events.get_event(GUILD, event.id)).last_seen_at == at(50)


async def test_without_heartbeat_the_last_voice_change_is_the_last_sign_of_life(world, voice):
    event = await events.create_event(GUILD, at=at())
    await events.start_event(GUILD, event.id, at=at())
    await voice(ALICE, None, ROCKS, 2)
    await voice(BOB, None, ROCKS, 12)
    await VoiceTracker().reconcile(snapshot(40))
    assert await sessions_of(event.id) == [
        (ALICE, ROCKS, at(2), at(12), 600),
        (BOB, ROCKS, at(12), at(12), 0),
    ]


async def test_reconcile_twice_changes_nothing_more(world, voice):
    event = await events.create_event(GUILD, at=at())
    await events.start_event(GUILD, event.id, at=at())
    await voice(ALICE, None, ROCKS, 0)
    tracker = VoiceTracker()
    await tracker.reconcile(snapshot(10, (ALICE, ROCKS), (BOB, ROCKS)))
    before = await sessions_of(event.id)
    result = await tracker.reconcile(snapshot(10, (ALICE, ROCKS), (BOB, ROCKS)))
    assert (result.kept, result.closed, result.opened) == (2, 0, 0)
    assert await sessions_of(event.id) == before


async def test_reconcile_without_active_event_does_nothing(world):
    await events.create_event(GUILD, at=at())
    result = await VoiceTracker().reconcile(snapshot(10, (ALICE, ROCKS)))
    assert (result.kept, result.closed, result.opened, result.events) == (0, 0, 0, [])
    assert await MiningParticipation.all().count() == 0


async def test_reconcile_leaves_another_guild_alone(world, voice):
    ours = await events.create_event(GUILD, at=at())
    await events.start_event(GUILD, ours.id, at=at())
    await voice(ALICE, None, ROCKS, 0)
    theirs = await events.create_event(OTHER_GUILD, at=at())
    await events.start_event(OTHER_GUILD, theirs.id, at=at())
    await VoiceTracker().reconcile(snapshot(10, guild=OTHER_GUILD))
    assert await sessions_of(ours.id) == [(ALICE, ROCKS, at(0), None, None)]
    assert await MiningEvent.get(id=ours.id).values_list("last_seen_at", flat=True) == at(0)


async def test_voice_after_reconcile_uses_the_fresh_state(world, voice, tracker):
    event = await events.create_event(GUILD, at=at())
    await events.start_event(GUILD, event.id, at=at())
    await tracker.reconcile(snapshot(1, (ALICE, ROCKS)))
    await voice(ALICE, ROCKS, None, 11)
    assert await sessions_of(event.id) == [(ALICE, ROCKS, at(1), at(11), 600)]
