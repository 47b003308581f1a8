"""Helpers for change-feed tests: a change made in another process, a listener that records."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from storage.change_feed import Change

REPO = Path(__file__).resolve().parents[1]

# another process making a change: what the CLI or the portal in a process of its own does
ELSEWHERE = """
import asyncio, sys
from datetime import UTC, datetime
from core.plugins import PluginManager
from storage import Database
from plugins.mining import channels, events

async def main(url, action, guild):
    async with Database(url, PluginManager(entry_point_group=None).specs()):
        now = datetime.now(UTC)
        if action == "approve":
            await channels.add_channel(guild, int(sys.argv[4]), "Lounge",
                                       voice_channel_ids={int(sys.argv[4])})
        elif action == "stop":
            await events.stop_event(guild, int(sys.argv[4]), at=now)
        elif action == "plugin-off":
            from core.enablement import Enablement
            from tests.support import make_settings
            plugins = PluginManager(entry_point_group=None)
            await Enablement(make_settings(plugins=plugins), plugins).choose(
                guild, sys.argv[4], False)

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def elsewhere(url: str, *args: object) -> None:
    """Run a change in another Python process on the same database."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", ELSEWHERE, url, *map(str, args), cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await process.communicate()
    assert process.returncode == 0, out.decode()


class Heard:
    """A feed's listener that remembers what it was told."""

    def __init__(self) -> None:
        self.changes: list[Change] = []
        self.arrived = asyncio.Event()
        self._read = 0  # changes before this one were looked at by `from_elsewhere`

    def __call__(self, change: Change) -> None:
        self.changes.append(change)
        self.arrived.set()

    async def next(self, seconds: float = 1.0) -> Change:
        await asyncio.wait_for(self.arrived.wait(), seconds)
        self.arrived.clear()
        return self.changes[-1]

    async def from_elsewhere(self, seconds: float = 1.0) -> Change:
        """The first change from another process heard since the last call. A change this
        process made itself (delivered at its commit, e.g. the event the test just started)
        does not count: waiting on `arrived` alone let such a stale one through, and the test
        went on before the other process's change had arrived (a race seen under load)."""

        async def first_remote() -> Change:
            while True:
                for n in range(self._read, len(self.changes)):
                    if not self.changes[n].local:
                        self._read = n + 1
                        return self.changes[n]
                self._read = len(self.changes)
                self.arrived.clear()
                await self.arrived.wait()

        return await asyncio.wait_for(first_remote(), seconds)
