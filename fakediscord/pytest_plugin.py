"""pytest fixtures for the Discord stand-in.

Register once in the top-level conftest: `pytest_plugins = ["fakediscord.pytest_plugin"]`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from core.clock import VirtualClock
from fakediscord.world import FakeDiscord


@pytest.fixture
def fake_discord() -> FakeDiscord:
    """An empty world on its own virtual clock, not yet serving: build guilds on it first."""
    return FakeDiscord(clock=VirtualClock())


@pytest_asyncio.fixture
async def fake_discord_server(fake_discord: FakeDiscord) -> AsyncIterator[FakeDiscord]:
    """The same world, serving on 127.0.0.1 with this process's discord.py pointed at it."""
    async with fake_discord.serve():
        yield fake_discord
