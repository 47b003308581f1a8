"""Officers set a member's time in an ended op by hand: payroll follows, the bot's count stays."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from core.errors import InvalidInput, InvalidState, NotFound
from plugins.mining import adjustments, events, payroll, report_pdf, yields
from plugins.mining.models import MiningEvent, MiningMemberTime
from plugins.mining.settings import MiningSettings
from plugins.mining.yields import YieldInput
from tests.mining.conftest import ALICE, BOB, CARA, DAN, GUILD, OTHER_GUILD, ROCKS, at
from tests.mining.test_report import text_of

D = Decimal
RULES = MiningSettings(org_cut_percent=D("10"))
OFFICER = CARA


async def ended_op(voice) -> int:
    """Alice 60 min, Bob 30 min; the op lasted 60 minutes and is worth 1,000.00."""
    event = await events.create_event(GUILD, at=at())
    async with voice.tracker.changing(GUILD):
        await events.start_event(GUILD, event.id, at=at())
    await voice(ALICE, None, ROCKS, 0)
    await voice(BOB, None, ROCKS, 30)
    async with voice.tracker.changing(GUILD):
        await events.stop_event(GUILD, event.id, at=at(60))
    await yields.add_yields(GUILD, event.id, [YieldInput("Gold", "1", value="1000.00")])
    return event.id


async def times(event_id: int) -> list[tuple]:
    return (
        await MiningMemberTime.filter(event_id=event_id)
        .order_by("user_id")
        .values_list("user_id", "seconds", "counted_seconds", "adjustment_reason")
    )


def set_time(event_id: int, user_id: int, minutes: object, reason: str = "was on the Mole"):
    return adjustments.set_time(
        GUILD, event_id, user_id, minutes=minutes, reason=reason, actor_id=OFFICER, at=at(70)
    )


async def test_an_officer_sets_time_and_payroll_follows(world, voice):
    event_id = await ended_op(voice)
    before = await payroll.preview(GUILD, event_id, settings=RULES, now=at(70))
    assert {s.user_id: s.amount for s in before.shares} == {ALICE: D("600.00"), BOB: D("300.00")}

    changed = await set_time(event_id, BOB, 60, "his client dropped: he was in the Prospector")

    assert (changed.user_id, changed.seconds, changed.counted_seconds) == (BOB, 3600, 1800)
    assert (changed.adjusted_by, changed.adjusted_at) == ("Cara", at(70))
    after = await payroll.preview(GUILD, event_id, settings=RULES, now=at(70))
    assert {s.user_id: s.amount for s in after.shares} == {ALICE: D("450.00"), BOB: D("450.00")}
    view = await events.show_event(GUILD, event_id, now=at(70))
    assert [(p.user_id, p.seconds, p.adjusted) for p in view.participants] == [
        (ALICE, 3600, False),
        (BOB, 3600, True),
    ]
    # set again: the bot's own count is what stays beside it
    again = await set_time(event_id, BOB, 45, "45 after all")
    assert (again.seconds, again.counted_seconds, again.reason) == (2700, 1800, "45 after all")


async def test_a_miner_the_bot_never_saw_can_be_added(world, voice):
    event_id = await ended_op(voice)
    added = await set_time(event_id, DAN, 30, "mined in a Prospector, never joined voice")
    assert (added.seconds, added.counted_seconds, added.name) == (1800, 0, "Dan")
    preview = await payroll.preview(GUILD, event_id, settings=RULES, now=at(70))
    assert {s.user_id: s.amount for s in preview.shares} == {
        ALICE: D("450.00"),
        BOB: D("225.00"),
        DAN: D("225.00"),
    }
    assert (await MiningEvent.get(id=event_id)).total_participants == 3


async def test_zero_takes_a_member_out_of_payroll_and_keeps_the_record(world, voice):
    event_id = await ended_op(voice)
    await set_time(event_id, BOB, 0, "was AFK in the channel")
    preview = await payroll.preview(GUILD, event_id, settings=RULES, mode="equal", now=at(70))
    assert {s.user_id: s.amount for s in preview.shares} == {ALICE: D("900.00")}
    assert (await MiningEvent.get(id=event_id)).total_participants == 1
    assert await times(event_id) == [
        (ALICE, 3600, None, None),
        (BOB, 0, 1800, "was AFK in the channel"),
    ]
    listed = await adjustments.adjustments(GUILD, event_id)
    assert [(a.name, a.counted_seconds, a.seconds) for a in listed] == [("Bob", 1800, 0)]


async def test_the_report_lists_every_time_set_by_hand(world, voice):
    event_id = await ended_op(voice)
    await set_time(event_id, BOB, 60, "client dropped & rejoined <late>")
    text = text_of(await report_pdf.event_pdf(GUILD, event_id, settings=RULES, now=at(80)))
    assert "Time set by officers" in text
    assert "client dropped & rejoined <late>" in text
    assert "set by hand" in text


@pytest.mark.parametrize(
    ("minutes", "reason", "error", "message"),
    [
        (-5, "x", InvalidInput, "must not be negative"),
        ("ninety", "x", InvalidInput, "is not a whole number of minutes"),
        ("1.5", "x", InvalidInput, "is not a whole number of minutes"),
        (61, "x", InvalidInput, "61 minutes is longer than event #"),
        (10**9, "x", InvalidInput, "longer than event #"),
        (30, "   ", InvalidInput, "Give a reason"),
        (30, "x" * 201, InvalidInput, "keep it to 200"),
    ],
)
async def test_bad_times_are_refused_and_nothing_changes(
    world, voice, minutes, reason, error, message
):
    event_id = await ended_op(voice)
    before = await times(event_id)
    with pytest.raises(error, match=message):
        await set_time(event_id, BOB, minutes, reason)
    assert await times(event_id) == before


async def test_unknown_member_other_guild_and_wrong_state_are_refused(world, voice):
    event_id = await ended_op(voice)
    before = await times(event_id)
    with pytest.raises(NotFound, match="is not a member of this server"):
        await set_time(event_id, 999_999, 10)
    with pytest.raises(NotFound, match=f"no mining event #{event_id} in this server"):
        await adjustments.set_time(
            OTHER_GUILD, event_id, ALICE, minutes=10, reason="x", actor_id=None, at=at(70)
        )
    with pytest.raises(NotFound):
        await set_time(event_id + 100, BOB, 10)
    assert await times(event_id) == before

    planned = await events.create_event(GUILD, at=at())
    with pytest.raises(InvalidState, match="is planned: times can be set on a completed event"):
        await set_time(planned.id, BOB, 10)
    async with voice.tracker.changing(GUILD):
        await events.start_event(GUILD, planned.id, at=at(100))
    with pytest.raises(InvalidState, match=r"is active: .* \(stop it first\)"):
        await set_time(planned.id, BOB, 10)
    await events.cancel_event(GUILD, planned.id, at=at(110))
    with pytest.raises(InvalidState, match="is cancelled"):
        await set_time(planned.id, BOB, 10)

    await payroll.commit(GUILD, event_id, settings=RULES, at=at(80))
    with pytest.raises(InvalidState, match="is committed: too late"):
        await set_time(event_id, BOB, 10)
    assert await times(event_id) == before
    assert await MiningMemberTime.filter(event_id=planned.id).count() == 0


async def test_an_event_ended_before_times_were_kept_is_counted_first(world, voice):
    event_id = await ended_op(voice)
    # as an event stopped before migration mining 0002: no frozen rows, no rule recorded
    await MiningMemberTime.filter(event_id=event_id).delete()
    await MiningEvent.filter(id=event_id).update(times_min_session_seconds=None)
    await set_time(event_id, DAN, 10)
    assert await times(event_id) == [
        (ALICE, 3600, None, None),
        (BOB, 1800, None, None),
        (DAN, 600, 0, "was on the Mole"),
    ]


@pytest.mark.postgres_only
async def test_a_time_set_during_the_commit_is_paid_or_refused_never_lost(world, voice):
    """The event row lock orders them: the payroll pays the change, or the change is refused."""
    for _ in range(5):
        event_id = await ended_op(voice)
        results = await asyncio.gather(
            set_time(event_id, BOB, 60),
            payroll.commit(GUILD, event_id, settings=RULES, at=at(80)),
            return_exceptions=True,
        )
        changed, committed = results
        assert not isinstance(committed, Exception)
        paid = {s.user_id: (s.seconds, s.amount) for s in committed.shares}
        if isinstance(changed, Exception):
            assert isinstance(changed, InvalidState) and "too late" in str(changed)
            assert paid[BOB] == (1800, D("300.00"))
            assert await adjustments.adjustments(GUILD, event_id) == []
        else:
            assert paid[BOB] == (3600, D("450.00"))
