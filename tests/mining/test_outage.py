"""Voice time in a database outage: the real bot, the stand-in, a database really taken away.

While the database refuses connections the bot still sees voice but cannot write it down. It
must not drop what it saw: the guild is marked suspect from its first failed write, and once
the database answers again it is reconciled by the restart rule (plugins/mining/voice.py) with
the outage as the downtime: a leaver's time ends at the first failed write, a joiner counts
from the reconciliation, a mover is closed and reopened there. A command meanwhile says the
database is unavailable instead of showing an error id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from core.errors import DatabaseOutage
from core.events import GuildSnapshot, VoiceMember
from plugins.mining import events
from plugins.mining.models import MiningEvent, MiningParticipation
from plugins.mining.voice import VoiceTracker, heartbeat, tracker_for
from storage import Database
from tests.mining import test_commands
from tests.mining.conftest import (
    AFK,
    ALICE,
    BOB,
    CARA,
    DAN,
    EVE,
    GUILD,
    LOUNGE,
    REFINERY,
    ROCKS,
    at,
    voice_change,
)
from tests.mining.test_commands import Op, created, setup_channels
from tests.outage import Outage

UNAVAILABLE = DatabaseOutage.MESSAGE


@pytest.fixture
async def db(outage_db: Outage) -> Database:
    """The op's database is one the test can take away (see tests/outage.py)."""
    assert outage_db.database is not None
    return outage_db.database


op = test_commands.op  # the Sunday op of tests/mining/test_commands.py, on that database


async def until(check: Callable[[], bool], what: str, seconds: float = 15.0) -> None:
    """Wait until `check()` holds (polling a condition, not a pause standing in for one)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def sessions_of(event: int) -> list[tuple]:
    return sorted(
        await MiningParticipation.filter(event_id=event).values_list(
            "user_id", "channel_id", "session_start", "session_end"
        ),
        key=lambda row: (row[0], row[2]),
    )


async def test_a_leave_a_join_and_a_move_in_an_outage_follow_the_restart_rule(
    op: Op, outage_db: Outage
):
    ace, bishop, cricket, dagger = op.crew
    clock = op.world.clock
    await setup_channels(op)
    event = await created(op, name="Outage op")
    await op.officer.slash("mining event start", event=event)
    started = clock.now()
    for member in (ace, bishop, dagger):
        await member.join(op.rocks)
    op.minutes(10)

    await outage_db.begin()
    op.minutes(2)
    first_failed_write = clock.now()
    await bishop.leave()
    op.minutes(3)
    await cricket.join(op.rocks)
    op.minutes(5)
    await dagger.move(op.refinery)
    refused = await op.officer.slash("mining event show", event=event)
    assert refused.ephemeral and refused.text == UNAVAILABLE
    refused = await op.treasurer.slash("mining event stop", event=event)
    assert refused.ephemeral and refused.text == UNAVAILABLE
    tracker = tracker_for(op.bot)
    assert tracker.suspect == {op.guild.id: first_failed_write}
    op.minutes(5)
    back = clock.now()
    await outage_db.end()  # nobody tells the bot: its probe finds out

    await until(lambda: not tracker.suspect, "the guild reconciled after the outage")
    assert await sessions_of(event) == [
        (ace.id, op.rocks.id, started, None),  # there throughout: the outage counts
        (bishop.id, op.rocks.id, started, first_failed_write),  # gone: ends at the outage
        (cricket.id, op.rocks.id, back, None),  # arrived meanwhile: from the database's return
        (dagger.id, op.rocks.id, started, back),  # moved: closed and reopened at the return
        (dagger.id, op.refinery.id, back, None),
    ]
    assert (await MiningEvent.get(id=event)).last_seen_at == back
    shown = await op.officer.slash("mining event show", event=event)  # answers again
    times = {
        words[0]: " ".join(words[1:3])
        for words in map(str.split, shown.text.splitlines())
        if words and words[0] in ("Ace", "Bishop", "Cricket", "Dagger")
    }
    # Cricket's seconds since the return are below min_session_seconds yet
    assert times == {"Ace": "25m 00s", "Bishop": "12m 00s", "Dagger": "25m 00s"}, shown.text
    op.minutes(10)
    stopped = await op.officer.slash("mining event stop", event=event)
    assert "with 4 participant(s)" in stopped.text, stopped.text


async def test_the_event_stays_as_it_was_when_a_command_is_refused_in_an_outage(
    op: Op, outage_db: Outage
):
    await setup_channels(op)
    event = await created(op, name="Outage op")
    await outage_db.begin()
    refused = await op.officer.slash("mining event start", event=event)
    assert refused.ephemeral and refused.text == UNAVAILABLE
    await outage_db.end()
    assert (await MiningEvent.get(id=event)).status == "planned"
    started = await op.officer.slash("mining event start", event=event)
    assert "has started" in started.text, started.text


# -- the tracker alone, on the same real outage ------------------------------------------------


class Voice:
    """Who is in GUILD's voice (what the bot's cache would say) and the tracker hearing it."""

    def __init__(self) -> None:
        self.present: dict[int, int] = {}
        self.now = at(0)
        # no probe (no `closed`): only the guild's next voice change finds the database back
        self.tracker = VoiceTracker(self.snapshot)

    def snapshot(self, guild_id: int) -> GuildSnapshot | None:
        if guild_id != GUILD:
            return None
        members = tuple(VoiceMember(uid, channel, False) for uid, channel in self.present.items())
        return GuildSnapshot(
            guild_id=GUILD,
            name="Red Legion",
            afk_channel_id=AFK,
            voice_channel_ids=frozenset({ROCKS, REFINERY, LOUNGE, AFK}),
            in_voice=members,
            at=self.now,
        )

    async def change(self, user: int, after: int | None, minutes: float) -> None:
        self.now = at(minutes)
        before = self.present.pop(user, None)
        if after is not None:
            self.present[user] = after
        await self.tracker.handle(voice_change(user, before, after, minutes))


async def test_the_next_voice_change_after_an_outage_reconciles_by_the_restart_rule(
    world, outage_db: Outage
):
    voice = Voice()
    event = await events.create_event(GUILD, at=at())
    await events.start_event(GUILD, event.id, at=at())
    await voice.tracker.reconcile(voice.snapshot(GUILD))  # the bot is watching GUILD
    for user in (ALICE, BOB, CARA):
        await voice.change(user, ROCKS, 0)
    assert await heartbeat(voice.tracker.beating(), at(5)) == 1

    await outage_db.begin()
    await voice.change(BOB, None, 12)  # first failed write
    await voice.change(DAN, ROCKS, 15)
    await voice.change(CARA, REFINERY, 20)
    assert voice.tracker.suspect == {GUILD: at(12)}
    assert voice.tracker.beating() == set()  # no sign of life recorded for what went unwritten
    await outage_db.end()

    await voice.change(EVE, ROCKS, 25)  # written? no: the guild is reconciled with it instead
    assert voice.tracker.suspect == {}
    assert voice.tracker.beating() == {GUILD}
    assert await sessions_of(event.id) == [
        (ALICE, ROCKS, at(0), None),
        (BOB, ROCKS, at(0), at(12)),
        (CARA, ROCKS, at(0), at(25)),
        (CARA, REFINERY, at(25), None),
        (DAN, ROCKS, at(25), None),
        (EVE, ROCKS, at(25), None),
    ]
    assert (await events.get_event(GUILD, event.id)).last_seen_at == at(25)

    # a change the bot saw before that snapshot is part of it, not applied a second time
    await voice.tracker.handle(voice_change(EVE, None, ROCKS, 24))
    await voice.change(EVE, None, 30)
    assert [row for row in await sessions_of(event.id) if row[0] == EVE] == [
        (EVE, ROCKS, at(25), at(30))
    ]


async def test_an_outage_with_no_active_event_reconciles_to_nothing(world, outage_db: Outage):
    voice = Voice()
    await outage_db.begin()
    await voice.change(ALICE, ROCKS, 1)  # the tracker cannot even read whether an op is on
    assert voice.tracker.suspect == {GUILD: at(1)}
    await outage_db.end()
    await voice.change(BOB, ROCKS, 2)
    assert voice.tracker.suspect == {}
    assert await MiningParticipation.all().count() == 0
