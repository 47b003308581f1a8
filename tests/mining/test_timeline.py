"""A member's time: union of sessions, clipped to the event window, short ones dropped."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from plugins.mining.timeline import Session, hms, member_times, union_seconds
from tests.mining.conftest import ALICE, BOB, at


def times(sessions, *, start=None, end=None, now=None, minimum=30):
    found = member_times(
        sessions,
        window_start=start,
        window_end=end,
        now=now or at(600),
        min_session_seconds=minimum,
    )
    return {uid: t.seconds for uid, t in found.items()}


def test_overlapping_sessions_count_once():
    sessions = [
        Session(ALICE, at(0), at(30)),
        Session(ALICE, at(20), at(40)),  # overlaps the first by 10 minutes
        Session(ALICE, at(35), at(38)),  # inside the second
        Session(ALICE, at(50), at(60)),
    ]
    assert times(sessions) == {ALICE: 50 * 60}


def test_sessions_are_clipped_to_the_event_window():
    sessions = [Session(ALICE, at(-10), at(20)), Session(BOB, at(50), at(90))]
    assert times(sessions, start=at(0), end=at(60)) == {ALICE: 1200, BOB: 600}


def test_session_entirely_outside_the_window_counts_nothing():
    assert times([Session(ALICE, at(70), at(90))], start=at(0), end=at(60)) == {}


def test_short_session_is_dropped_before_clipping():
    # 29 s session: dropped even though it lies inside the window
    assert times([Session(ALICE, at(1), at(1, 29))], start=at(0), end=at(60)) == {}
    assert times([Session(ALICE, at(1), at(1, 30))], start=at(0), end=at(60)) == {ALICE: 30}


def test_open_session_runs_until_now():
    assert times([Session(ALICE, at(0), None)], start=at(0), now=at(25)) == {ALICE: 1500}


def test_org_membership_is_kept():
    found = member_times(
        [Session(ALICE, at(0), at(5), is_org_member=True)],
        window_start=None,
        window_end=None,
        now=at(10),
        min_session_seconds=0,
    )
    assert found[ALICE].is_org_member


def test_hms():
    assert (hms(5025), hms(300), hms(0)) == ("1h 23m 45s", "5m 00s", "0m 00s")


spans = st.lists(
    st.tuples(st.integers(0, 500), st.integers(1, 120)).map(lambda t: (t[0], t[0] + t[1])),
    max_size=12,
)


@given(spans)
def test_union_equals_the_seconds_covered(intervals):
    covered = set()
    for start, end in intervals:
        covered.update(range(start, end))
    assert union_seconds([(at(seconds=s), at(seconds=e)) for s, e in intervals]) == len(covered)
