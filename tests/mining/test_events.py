"""Event lifecycle: planned → active → completed or cancelled, refused otherwise, once only."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from core import members
from core.errors import InvalidInput, InvalidState, NotFound
from core.events import GuildSnapshot, VoiceMember
from plugins.mining import events
from plugins.mining.models import EventStatus, MiningEvent, MiningParticipation
from storage.querycount import count_queries
from tests.mining.conftest import (
    AFK,
    ALICE,
    BOB,
    CARA,
    DAN,
    GUILD,
    LOUNGE,
    OTHER_GUILD,
    REFINERY,
    ROCKS,
    at,
)


async def rows() -> list[tuple]:
    return (
        await MiningEvent.all()
        .order_by("id")
        .values_list("id", "guild_id", "status", "started_at", "ended_at", "total_participants")
    )


async def test_create_defaults_to_sunday_mining_planned_now(world):
    event = await events.create_event(GUILD, at=at())
    assert (event.event_name, event.status, event.event_time) == ("Sunday Mining", "planned", at())
    assert event.event_date == at().date()


async def test_create_with_name_time_and_description(world):
    when = events.parse_when("2026-01-11 19:30", now=at())
    event = await events.create_event(
        GUILD, at=at(), name="Aaron Halo run", when=when, description="Bring a Prospector"
    )
    fresh = await events.get_event(GUILD, event.id)
    assert fresh.event_time == datetime(2026, 1, 11, 19, 30, tzinfo=UTC)
    assert (fresh.event_name, fresh.description) == ("Aaron Halo run", "Bring a Prospector")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-01 20:15", datetime(2026, 2, 1, 20, 15, tzinfo=UTC)),
        ("2026-02-01T20:15Z", datetime(2026, 2, 1, 20, 15, tzinfo=UTC)),
        ("2026-02-01 21:15+01:00", datetime(2026, 2, 1, 20, 15, tzinfo=UTC)),
        ("2026-02-01", datetime(2026, 2, 1, tzinfo=UTC)),
        ("20:15 UTC", datetime(2026, 1, 4, 20, 15, tzinfo=UTC)),
        ("", datetime(2026, 1, 4, 18, 0, tzinfo=UTC)),
    ],
)
def test_parse_when(text, expected):
    assert events.parse_when(text, now=at()) == expected


@pytest.mark.parametrize("text", ["next sunday", "2026-13-01 10:00", "25:00", "12"])
def test_parse_when_refuses_what_it_cannot_read(text):
    with pytest.raises(InvalidInput, match="not a date and time"):
        events.parse_when(text, now=at())


async def test_create_refuses_bad_input_and_writes_nothing(world):
    for kwargs, message in (
        ({"name": "x" * 101}, "keep it to 100"),
        ({"description": "y" * 1001}, "keep it to 1000"),
        ({"when": datetime(2030, 1, 1, tzinfo=UTC)}, "at most a year"),
    ):
        with pytest.raises(InvalidInput, match=message):
            await events.create_event(GUILD, at=at(), **kwargs)
    assert await MiningEvent.all().count() == 0


async def test_full_lifecycle(world):
    event = await events.create_event(GUILD, at=at())
    started, opened = await events.start_event(GUILD, event.id, at=at(5))
    assert (started.status, started.started_at, opened) == ("active", at(5), 0)
    stopped, closed = await events.stop_event(GUILD, event.id, at=at(95))
    assert (stopped.status, stopped.ended_at, closed) == ("completed", at(95), 0)


ILLEGAL = [
    ([], "stop", "is planned: only a active event can be stopped"),
    (["start"], "start", "is active: only a planned event can be started"),
    (["start", "stop"], "start", "is completed: only a planned event can be started"),
    (["start", "stop"], "cancel", "is completed: only a planned or active event can be cancel"),
    (["cancel"], "stop", "is cancelled: only a active event can be stopped"),
]


async def test_illegal_transitions_name_the_current_state(world):
    for setup, action, message in ILLEGAL:
        event = await events.create_event(GUILD, at=at())
        do = {
            "start": lambda e=event: events.start_event(GUILD, e.id, at=at(1)),
            "stop": lambda e=event: events.stop_event(GUILD, e.id, at=at(2)),
            "cancel": lambda e=event: events.cancel_event(GUILD, e.id, at=at(2)),
        }
        for step in setup:
            await do[step]()
        before = await rows()
        with pytest.raises(InvalidState, match=message):
            await do[action]()
        assert await rows() == before, (setup, action)
        if event.id in await events.active_event_ids(GUILD):
            await events.cancel_event(GUILD, event.id, at=at(3))  # make way for the next case


async def test_another_guilds_event_is_not_found_and_untouched(world):
    theirs = await events.create_event(OTHER_GUILD, at=at())
    before = await rows()
    for call in (
        events.get_event(GUILD, theirs.id),
        events.start_event(GUILD, theirs.id, at=at(1)),
        events.stop_event(GUILD, theirs.id, at=at(1)),
        events.cancel_event(GUILD, theirs.id, at=at(1)),
        events.show_event(GUILD, theirs.id, now=at(1)),
    ):
        with pytest.raises(NotFound, match=f"no mining event #{theirs.id} in this server"):
            await call
    assert await rows() == before


async def test_unknown_event_is_not_found(world):
    with pytest.raises(NotFound, match="#999"):
        await events.start_event(GUILD, 999, at=at())


async def test_only_one_active_event_per_guild(world):
    first = await events.create_event(GUILD, at=at())
    second = await events.create_event(GUILD, at=at(), name="Second op")
    await events.start_event(GUILD, first.id, at=at(1))
    before = await rows()
    with pytest.raises(InvalidState, match=f"Event #{first.id} .* is already active"):
        await events.start_event(GUILD, second.id, at=at(2))
    assert await rows() == before
    # another guild is not affected by this guild's active event
    theirs = await events.create_event(OTHER_GUILD, at=at())
    await events.start_event(OTHER_GUILD, theirs.id, at=at(2))


async def test_concurrent_events_when_config_allows(world):
    first = await events.create_event(GUILD, at=at())
    second = await events.create_event(GUILD, at=at())
    await events.start_event(GUILD, first.id, at=at(1), allow_concurrent=True)
    await events.start_event(GUILD, second.id, at=at(2), allow_concurrent=True)
    assert await events.active_event_ids(GUILD) == [first.id, second.id]


async def test_members_already_in_mining_channels_start_with_the_event(world):
    event = await events.create_event(GUILD, at=at())
    snapshot = GuildSnapshot(
        guild_id=GUILD,
        name="Red Legion",
        afk_channel_id=AFK,
        voice_channel_ids=frozenset({ROCKS, REFINERY, LOUNGE, AFK}),
        in_voice=(
            VoiceMember(ALICE, ROCKS, False),
            VoiceMember(BOB, REFINERY, False),
            VoiceMember(CARA, LOUNGE, False),  # not a mining channel
            VoiceMember(DAN, AFK, False),
            VoiceMember(9999, ROCKS, True),  # a music bot
        ),
        at=at(3),
    )
    _, opened = await events.start_event(GUILD, event.id, at=at(3), voice=snapshot)
    assert opened == 2
    found = (
        await MiningParticipation.filter(event_id=event.id)
        .order_by("user_id")
        .values_list("user_id", "channel_id", "session_start", "is_org_member")
    )
    assert found == [(ALICE, ROCKS, at(3), True), (BOB, REFINERY, at(3), False)]


async def test_stop_counts_participants(world, voice):
    event = await events.create_event(GUILD, at=at())
    await events.start_event(GUILD, event.id, at=at())
    await voice(ALICE, None, ROCKS, 1)
    await voice(BOB, None, ROCKS, 2)
    await voice(CARA, None, ROCKS, 3)
    stopped, closed = await events.stop_event(GUILD, event.id, at=at(60))
    assert closed == 3
    assert stopped.total_participants == 3
    ends = await MiningParticipation.filter(event_id=event.id).values_list(
        "session_end", "duration_seconds"
    )
    assert sorted(ends) == [(at(60), 57 * 60), (at(60), 58 * 60), (at(60), 59 * 60)]


async def test_an_ended_event_keeps_the_times_counted_when_it_ended(world, voice):
    """Stop counts with the rule then in force; a later rule or stray session changes nothing."""
    event = await events.create_event(GUILD, at=at())
    await events.start_event(GUILD, event.id, at=at())
    await voice(ALICE, None, ROCKS, 1)
    await voice(BOB, None, ROCKS, 2)
    await voice(BOB, ROCKS, None, 2.75)  # 45 s: counts under a 30 s minimum
    stopped, _ = await events.stop_event(GUILD, event.id, at=at(60), min_session_seconds=30)
    assert stopped.times_min_session_seconds == 30
    counted = [(ALICE, 59 * 60, 1, False), (BOB, 45, 1, False)]

    async def shown(minimum: int) -> list[tuple]:
        view = await events.show_event(GUILD, event.id, now=at(90), min_session_seconds=minimum)
        return [(p.user_id, p.seconds, p.sessions, p.in_channel) for p in view.participants]

    assert await shown(30) == counted
    assert await shown(600) == counted  # a stricter rule afterwards: Bob still counted
    await MiningParticipation.create(  # a row written after the end is not counted
        event_id=event.id, user_id=CARA, channel_id=ROCKS, session_start=at(10), session_end=at(50)
    )
    assert await shown(30) == counted
    assert (await MiningEvent.get(id=event.id)).total_participants == 2


async def test_stopping_costs_the_same_queries_for_few_or_many_participants(world, backend):
    """Closing the sessions, reading them and writing everyone's time are one statement each
    (and, on PostgreSQL, the change feed's `pg_notify` one more)."""
    counts = []
    for crowd in (2, 40):
        users = list(range(9000 + 100 * crowd, 9000 + 100 * crowd + crowd))
        await members.upsert_members(GUILD, [members.MemberInfo(u, f"u{u}", None) for u in users])
        event = await events.create_event(GUILD, at=at())
        await events.start_event(GUILD, event.id, at=at())
        await events.open_many(GUILD, event.id, dict.fromkeys(users, ROCKS), at(1))
        with count_queries() as queries:
            stopped, closed = await events.stop_event(GUILD, event.id, at=at(30))
        assert (closed, stopped.total_participants) == (crowd, crowd)
        counts.append(len(queries))
    # update, close, read event, read sessions, freeze, save (+ notify)
    assert counts[0] == counts[1] == (7 if backend.kind == "postgres" else 6), counts


async def test_cancelling_an_active_event_keeps_who_took_part(world, voice):
    event = await events.create_event(GUILD, at=at())
    await events.start_event(GUILD, event.id, at=at())
    await voice(ALICE, None, ROCKS, 1)
    await voice(CARA, None, REFINERY, 0.25)
    await voice(CARA, REFINERY, None, 0.5)  # 15 s: too short
    cancelled = await events.cancel_event(GUILD, event.id, at=at(31), min_session_seconds=30)
    assert (cancelled.status, cancelled.total_participants) == (EventStatus.CANCELLED, 1)
    view = await events.show_event(GUILD, event.id, now=at(90))
    assert [(p.user_id, p.seconds, p.in_channel) for p in view.participants] == [
        (ALICE, 30 * 60, False)
    ]


async def test_cancelling_a_planned_event_counts_nobody(world):
    event = await events.create_event(GUILD, at=at())
    cancelled = await events.cancel_event(GUILD, event.id, at=at(1))
    assert (cancelled.total_participants, cancelled.times_min_session_seconds) == (0, 30)
    assert (await events.show_event(GUILD, event.id, now=at(2))).participants == []


async def test_search_and_label(world):
    a = await events.create_event(GUILD, at=at(), name="Sunday Mining")
    b = await events.create_event(GUILD, at=at(), name="Aaron Halo run")
    await events.create_event(OTHER_GUILD, at=at(), name="Aaron Halo run")
    await events.start_event(GUILD, a.id, at=at(1))
    assert [e.id for e in await events.search_events(GUILD, "halo")] == [b.id]
    assert [e.id for e in await events.search_events(GUILD, f"#{a.id}")] == [a.id]
    assert next(e.id for e in await events.search_events(GUILD)) == a.id
    assert events.label(a) == f"#{a.id} Sunday Mining · 2026-01-04 18:00 · planned"


@pytest.mark.postgres_only
async def test_two_officers_stopping_at_once_stop_once(world):
    event = await events.create_event(GUILD, at=at())
    await events.start_event(GUILD, event.id, at=at())
    results = await asyncio.gather(
        events.stop_event(GUILD, event.id, at=at(30)),
        events.stop_event(GUILD, event.id, at=at(31)),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1 and isinstance(failures[0], InvalidState)
    assert "is completed" in str(failures[0])
    assert (await events.get_event(GUILD, event.id)).status == EventStatus.COMPLETED


@pytest.mark.postgres_only
async def test_two_events_started_at_once_leave_one_active(world):
    for _ in range(5):  # a race: try it a few times
        first = await events.create_event(GUILD, at=at())
        second = await events.create_event(GUILD, at=at())
        results = await asyncio.gather(
            events.start_event(GUILD, first.id, at=at(1)),
            events.start_event(GUILD, second.id, at=at(1)),
            return_exceptions=True,
        )
        assert sum(isinstance(r, InvalidState) for r in results) == 1
        active = await events.active_event_ids(GUILD)
        assert len(active) == 1
        await events.cancel_event(GUILD, active[0], at=at(2))
