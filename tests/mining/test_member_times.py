"""Member times read from the database equal the rule (`timeline.member_times`) applied to
the sessions as they were written: live, and frozen when the event ends.

Random session sets on both backends: overlaps, open sessions, short ones, sessions crossing
the window's edges or outside it, sub-second times and timestamps written with other UTC
offsets (SQLite keeps the offset in its text), so what the database gives back must be the
same instants.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugins.mining.models import EventStatus, MiningDonation, MiningEvent
from plugins.mining.participants import freeze_times, participants, participants_of
from plugins.mining.timeline import Session, member_times
from storage import sql
from tests.mining.conftest import ALICE, BOB, CARA, DAN, EVE, GUILD, NAMES, T0, at

USERS = [ALICE, BOB, CARA, DAN]
OFFSETS = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    """Around T0 (±3 h): whole seconds, or with microseconds, in one of a few UTC offsets."""
    seconds = draw(st.integers(-3 * 3600, 3 * 3600))
    micro = draw(st.sampled_from([0, 1, 499_999, 500_000, 999_999]) | st.integers(0, 999_999))
    when = T0 + timedelta(seconds=seconds, microseconds=micro)
    return when.astimezone(draw(st.sampled_from(OFFSETS)))


@st.composite
def sessions(draw: st.DrawFn, minimum: int) -> Session:
    start = draw(instants())
    kind = draw(st.sampled_from(["minimum", "long", "open", "any"]))
    if kind == "open":
        end = None
    elif kind == "minimum":  # just under, at or just over the minimum
        end = start + timedelta(seconds=minimum, microseconds=draw(st.sampled_from([-1, 0, 1])))
    elif kind == "long":
        end = start + timedelta(seconds=draw(st.integers(60, 4 * 3600)))
    else:
        end = draw(instants())  # may even end before it starts
    return Session(draw(st.sampled_from(USERS)), start, end, 11, draw(st.booleans()))


@st.composite
def cases(draw: st.DrawFn) -> dict:
    minimum = draw(st.sampled_from([0, 1, 30, 600]))
    return {
        "sessions": draw(st.lists(sessions(minimum), max_size=14)),
        "window_start": draw(st.none() | instants()),
        "window_end": draw(st.none() | instants()),
        "now": draw(instants()),
        "minimum": minimum,
        "donors": draw(st.sets(st.sampled_from(USERS), max_size=2)),
    }


async def insert(event_id: int, found: list[Session]) -> None:
    """As the voice path writes them: the datetimes as given, offsets included."""
    await sql.insert_rows(
        "mining_participation",
        (
            "event_id",
            "user_id",
            "channel_id",
            "session_start",
            "session_end",
            "is_org_member",
            "created_at",
        ),
        [(event_id, s.user_id, s.channel_id, s.start, s.end, s.is_org_member, T0) for s in found],
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
async def test_times_read_back_equal_the_rule_on_the_sessions_written(world, case):
    event = await MiningEvent.create(
        guild_id=GUILD,
        event_date=T0.date(),
        event_time=T0,
        status=EventStatus.ACTIVE if case["window_end"] is None else EventStatus.COMPLETED,
        started_at=case["window_start"],
        ended_at=case["window_end"],
    )
    await insert(event.id, case["sessions"])
    for user in case["donors"]:
        await MiningDonation.create(event_id=event.id, user_id=user)
    rules = {"now": case["now"], "min_session_seconds": case["minimum"]}

    found = await participants(event, **rules)

    expected = member_times(
        case["sessions"],
        window_start=case["window_start"],
        window_end=case["window_end"],
        now=case["now"],
        min_session_seconds=case["minimum"],
    )
    assert {p.user_id: (p.seconds, p.sessions, p.is_org_member) for p in found} == {
        uid: (t.seconds, t.sessions, t.is_org_member) for uid, t in expected.items()
    }
    # the whole participant list (names, who is in a channel, order) from the sessions as written
    stored, names = case["sessions"], NAMES
    reference = participants_of(event, stored, names, **rules)
    assert [p._replace(donated=False) for p in found] == reference
    assert {p.user_id for p in found if p.donated} == case["donors"] & set(expected)
    assert {p.name for p in found} <= {NAMES[u] for u in USERS}

    if event.ended_at is None:
        return
    # ended: the times frozen once (sessions still open count until the end) read back the same
    count = await freeze_times(event, min_session_seconds=case["minimum"])
    frozen = await participants(event, now=case["now"], min_session_seconds=case["minimum"] + 1)
    ended = {"now": event.ended_at, "min_session_seconds": case["minimum"]}
    reference = [
        p._replace(in_channel=False) for p in participants_of(event, stored, names, **ended)
    ]
    assert [p._replace(donated=False) for p in frozen] == reference
    assert {p.user_id for p in frozen if p.donated} == case["donors"] & {
        p.user_id for p in reference
    }
    assert count == len(reference) == (await MiningEvent.get(id=event.id)).total_participants


async def test_overlaps_clipping_and_open_sessions_read_from_the_database(world):
    event = await MiningEvent.create(
        guild_id=GUILD, event_date=T0.date(), event_time=T0, started_at=at(0), ended_at=None
    )
    plus_two = timezone(timedelta(hours=2))
    await insert(
        event.id,
        [
            Session(ALICE, at(-10), at(30)),  # 30 min counted from the window start
            Session(ALICE, at(20).astimezone(plus_two), at(40, 0.5)),  # overlaps by 10 min
            Session(ALICE, at(35), at(38), is_org_member=True),  # inside the previous one
            Session(BOB, at(50, 0.25), None),  # open: runs until now
            Session(BOB, at(1), at(1, 29.999999)),  # too short to count
            Session(CARA, at(1), at(1, 29.999999)),  # too short
            Session(CARA, at(2), at(2, 30)),  # just long enough
            Session(DAN, at(1), at(1, 29.999999)),  # only a short one
            Session(EVE, at(3), at(3, 0.5)),  # half a second: no whole second at all
        ],
    )
    found = await participants(event, now=at(60), min_session_seconds=30)
    assert [(p.name, p.seconds, p.sessions, p.is_org_member, p.in_channel) for p in found] == [
        ("Alice", 40 * 60, 3, True, False),
        ("Bob", 9 * 60 + 59, 1, False, True),  # 9 min 59.75 s: whole seconds, truncated
        ("Cara", 30, 1, False, False),
    ]
    everything = await participants(event, now=at(60), min_session_seconds=0)
    assert [(p.name, p.seconds) for p in everything] == [
        ("Alice", 40 * 60),
        ("Bob", 629),  # 599.75 s + 29.999999 s
        ("Cara", 59),  # 29.999999 s + 30 s
        ("Dan", 29),
    ]
