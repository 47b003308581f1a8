"""The voice tracker's cache follows the change feed: a channel approved or an event stopped
by another process (the CLI, another shard, the portal) takes effect at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from core.events import GuildSnapshot, VoiceMember, VoiceStateEvent
from plugins.mining import channels, events
from plugins.mining.models import MiningParticipation
from plugins.mining.topics import CHANNELS, EVENTS
from plugins.mining.voice import VoiceTracker
from storage import Database
from storage.change_feed import ALL, Change, ChangeFeed
from tests.feed_support import Heard, elsewhere
from tests.mining.conftest import AFK, ALICE, BOB, GUILD, LOUNGE, REFINERY, ROCKS, at

# -- the voice tracker's cache ----------------------------------------------------------------


@pytest.fixture
async def followed(world: Database) -> AsyncIterator[VoiceTracker]:
    """A voice tracker fed by the change feed, as a bot's is."""
    tracker = VoiceTracker()
    feed = ChangeFeed(poll_seconds=0.1)
    heard = Heard()
    feed.subscribe(tracker.changed)
    feed.subscribe(heard)
    await feed.start()
    tracker.heard = heard  # type: ignore[attr-defined]
    try:
        yield tracker
    finally:
        await feed.stop()


async def _join(tracker: VoiceTracker, user: int, channel: int, minutes: float) -> None:
    await tracker.handle(
        VoiceStateEvent(
            guild_id=GUILD, user_id=user, before_channel_id=None, after_channel_id=channel,
            is_bot=False, afk_channel_id=AFK, at=at(minutes),
        )
    )  # fmt: skip


async def test_a_channel_approved_elsewhere_counts_at_once(followed: VoiceTracker, world: Database):
    event = await events.create_event(GUILD, at=at(0), name="Op", created_by=ALICE)
    await events.start_event(GUILD, event.id, at=at(0))
    await _join(followed, ALICE, ROCKS, 1)  # the tracker has cached ROCKS and REFINERY
    await elsewhere(world.url, "approve", GUILD, LOUNGE)
    await followed.heard.from_elsewhere(1.0)  # type: ignore[attr-defined]
    await _join(followed, BOB, LOUNGE, 2)
    counted = await MiningParticipation.filter(event_id=event.id).values_list(
        "user_id", "channel_id"
    )
    assert sorted(counted) == [(ALICE, ROCKS), (BOB, LOUNGE)]


async def test_an_event_stopped_elsewhere_counts_no_more(followed: VoiceTracker, world: Database):
    event = await events.create_event(GUILD, at=at(0), name="Op", created_by=ALICE)
    await events.start_event(GUILD, event.id, at=at(0))
    await _join(followed, ALICE, ROCKS, 1)
    assert (await followed.state(GUILD)).events == (event.id,)
    await elsewhere(world.url, "stop", GUILD, event.id)
    await followed.heard.from_elsewhere(1.0)  # type: ignore[attr-defined]
    assert (await followed.state(GUILD)).events == ()
    await _join(followed, BOB, ROCKS, 2)
    assert await MiningParticipation.filter(event_id=event.id, user_id=BOB).count() == 0


async def test_a_local_change_drops_the_cache_too(followed: VoiceTracker, world: Database):
    """A service called in this process (the portal inside `redlegion run`) without the
    tracker's lock still reaches the tracker, after its commit."""
    await _join(followed, ALICE, ROCKS, 1)
    assert LOUNGE not in (await followed.state(GUILD)).channels
    await channels.add_channel(GUILD, LOUNGE, "Lounge", voice_channel_ids={LOUNGE})
    assert LOUNGE in (await followed.state(GUILD)).channels
    event = await events.create_event(GUILD, at=at(0), name="Op", created_by=ALICE)
    await events.start_event(GUILD, event.id, at=at(0))
    assert (await followed.state(GUILD)).events == (event.id,)
    await channels.remove_channel(GUILD, LOUNGE, at=at(3))
    assert LOUNGE not in (await followed.state(GUILD)).channels


async def test_a_load_begun_before_a_change_is_not_kept(followed: VoiceTracker, world: Database):
    """A cache read in flight when the change arrives must not store the state it read."""
    loading = asyncio.create_task(followed.state(GUILD))
    await asyncio.sleep(0)  # the load has begun
    followed.changed(Change(CHANNELS, GUILD))
    await loading
    assert GUILD not in followed._state


async def test_other_topics_leave_the_tracker_alone(followed: VoiceTracker, world: Database):
    await followed.state(GUILD)
    followed.changed(Change("core.plugins", GUILD))
    assert GUILD in followed._state
    followed.changed(Change(EVENTS, GUILD + 1))
    assert GUILD in followed._state
    followed.changed(ALL)
    assert followed._state == {}


async def _counted_soon(event_id: int, user_id: int, seconds: float = 1.0) -> bool:
    for _ in range(int(seconds / 0.02)):
        if await MiningParticipation.filter(
            event_id=event_id, user_id=user_id, session_end__isnull=True
        ).exists():
            return True
        await asyncio.sleep(0.02)
    return False


async def test_an_event_started_here_without_the_lock_counts_who_is_in_voice(
    followed: VoiceTracker, world: Database
):
    """The portal inside `redlegion run` starts an op the way the slash command does, but it
    cannot hand the service who is in voice: the tracker reconciles the guild as for a start
    in another process, so members already in a mining channel count from the start."""
    present = {BOB: ROCKS}
    followed.follow(lambda guild_id: snapshot(present, guild_id), lambda: False)
    await followed.reconcile(snapshot(present, GUILD))  # the bot watches the guild
    event = await events.create_event(GUILD, at=at(0), name="Op", created_by=ALICE)
    await events.start_event(GUILD, event.id, at=at(1))  # no `voice=`: the portal's call
    assert await _counted_soon(event.id, BOB), "Bob was in Rocks when the op began"


async def test_a_start_under_the_lock_is_left_to_its_caller(
    followed: VoiceTracker, world: Database
):
    """The slash command holds the guild's lock and gives the service the voice snapshot:
    the tracker does not reconcile again behind it."""
    present = {BOB: ROCKS}
    followed.follow(lambda guild_id: snapshot(present, guild_id), lambda: False)
    await followed.reconcile(snapshot(present, GUILD))
    event = await events.create_event(GUILD, at=at(0), name="Op", created_by=ALICE)
    reconciled = []
    real = followed._reconcile

    async def counting(snapshots):  # type: ignore[no-untyped-def]
        reconciled.append([s.guild_id for s in snapshots])
        return await real(snapshots)

    followed._reconcile = counting  # type: ignore[method-assign]
    async with followed.changing(GUILD):
        _, opened = await events.start_event(
            GUILD, event.id, at=at(1), voice=snapshot(present, GUILD)
        )
    assert opened == 1
    await asyncio.sleep(0.2)
    assert reconciled == [], "no second reconciliation behind the command"
    assert await MiningParticipation.filter(event_id=event.id).count() == 1


def snapshot(present: dict[int, int], guild_id: int) -> GuildSnapshot | None:
    if guild_id != GUILD:
        return None
    return GuildSnapshot(
        guild_id=GUILD,
        name="Red Legion",
        afk_channel_id=AFK,
        voice_channel_ids=frozenset({ROCKS, REFINERY, LOUNGE, AFK}),
        in_voice=tuple(VoiceMember(uid, channel, False) for uid, channel in present.items()),
        at=at(1),
    )
