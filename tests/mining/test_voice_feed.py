"""The voice tracker's cache follows the change feed: a channel approved or an event stopped
by another process (the CLI, another shard, the portal) takes effect at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from core.events import VoiceStateEvent
from plugins.mining import channels, events
from plugins.mining.models import MiningParticipation
from plugins.mining.topics import CHANNELS, EVENTS
from plugins.mining.voice import VoiceTracker
from storage import Database
from storage.change_feed import ALL, Change, ChangeFeed
from tests.feed_support import Heard, elsewhere
from tests.mining.conftest import AFK, ALICE, BOB, GUILD, LOUNGE, ROCKS, at

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
