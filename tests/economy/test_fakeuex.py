"""The UEX stand-in itself: stopping it leaves nothing behind for a later test to trip on."""

from __future__ import annotations

import gc
import logging

import pytest

from fakeuex import FakeUex
from plugins.economy.uex import UexClient, UexError


async def test_stopping_mid_request_leaves_no_pending_task(caplog: pytest.LogCaptureFixture):
    """A request still held by the timeout switch when the stand-in stops is cancelled then,
    not left for the garbage collector to report as "Task was destroyed but it is pending"
    in whatever test runs next."""
    with FakeUex().running() as uex:
        uex.fault("timeout", delay=30)
        with pytest.raises(UexError, match="did not answer"):
            await UexClient(uex.base_url, timeout_seconds=0.2).market()
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        gc.collect()
    assert not [r for r in caplog.records if "destroyed but it is pending" in r.getMessage()]
