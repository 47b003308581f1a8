"""pytest fixtures for the Discord stand-in.

Register once in the top-level conftest: `pytest_plugins = ["fakediscord.pytest_plugin"]`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from clocks import VirtualClock
from fakediscord.world import WORLDS, FakeDiscord


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "pings_allowed: the bot in this test may ping by @everyone, role or parsing"
    )


@pytest.fixture(autouse=True)
def _no_stray_pings(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test, no world it made holds a message pinging anyone the bot did not name
    by id (`FakeDiscord.stray_pings`); mark a test `pings_allowed` to let it."""
    before = set(WORLDS)
    yield
    if request.node.get_closest_marker("pings_allowed"):
        return
    stray = [
        f"{m.channel.name or 'DM'}: {m.content[:120]!r} pings {m.stray_pings}"
        for world in set(WORLDS) - before
        for m in world.stray_pings()
    ]
    if stray:
        pytest.fail("the bot pinged people it did not mean to:\n" + "\n".join(stray))


@pytest.fixture
def fake_discord() -> FakeDiscord:
    """An empty world on its own virtual clock, not yet serving: build guilds on it first."""
    return FakeDiscord(clock=VirtualClock())


@pytest_asyncio.fixture
async def fake_discord_server(fake_discord: FakeDiscord) -> AsyncIterator[FakeDiscord]:
    """The same world, serving on 127.0.0.1 with this process's discord.py pointed at it."""
    async with fake_discord.serve():
        yield fake_discord
