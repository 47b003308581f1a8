"""One UTC rule (`clocks.utc`): every time the bot keeps or shows is timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from clocks import SystemClock, utc

PARIS_WINTER = timezone(timedelta(hours=1))


def test_an_aware_time_is_the_same_instant_in_utc() -> None:
    at = utc(datetime(2026, 1, 4, 19, 0, tzinfo=PARIS_WINTER))
    assert at == datetime(2026, 1, 4, 18, 0, tzinfo=UTC)
    assert at.tzinfo is UTC


def test_a_naive_time_is_refused_unless_it_means_utc() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        utc(datetime(2026, 1, 4, 18, 0))
    at = utc(datetime(2026, 1, 4, 18, 0), naive_is_utc=True)
    assert at == datetime(2026, 1, 4, 18, 0, tzinfo=UTC)
    assert at.tzinfo is UTC


def test_no_time_is_now_in_utc() -> None:
    before = datetime.now(UTC)
    now, system = utc(), SystemClock().now()
    assert now.tzinfo is UTC and system.tzinfo is UTC
    assert before <= now <= system <= datetime.now(UTC)
