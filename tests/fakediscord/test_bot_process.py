"""A bot in another process: killed (no clean shutdown) and started again, it sees who is in
voice now, including changes made while it was down."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from fakediscord import FakeDiscord
from tests.fakediscord.conftest import build_scene

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("voice_reporter.py")


async def start_bot(world: FakeDiscord) -> asyncio.subprocess.Process:
    env = {**os.environ, **world.environ(), "PYTHONPATH": str(REPO)}
    return await asyncio.create_subprocess_exec(
        sys.executable, str(SCRIPT), env=env, stdout=asyncio.subprocess.PIPE
    )


async def next_line(process: asyncio.subprocess.Process) -> dict[str, Any]:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 15)
    assert line, "the bot process ended"
    return json.loads(line)


async def test_killed_bot_process_sees_current_voice_states_on_restart(
    fake_discord: FakeDiscord,
) -> None:
    scene = build_scene(fake_discord)
    async with fake_discord.serve(patch_discord=False):
        await scene.ace.join(scene.alpha)
        first = await start_bot(fake_discord)
        try:
            assert await next_line(first) == {"ready": {"Ace": "Alpha"}}
            await scene.rookie.join(scene.beta)  # out of process: returns once sent
            assert await next_line(first) == {"voice": ["Rookie", "Beta"]}
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()

        # While the bot is down.
        await scene.ace.move(scene.beta)
        await scene.rookie.leave()

        second = await start_bot(fake_discord)
        try:
            assert await next_line(second) == {"ready": {"Ace": "Beta"}}
            await scene.ace.leave()
            assert await next_line(second) == {"voice": ["Ace", None]}
        finally:
            second.send_signal(signal.SIGKILL)
            await second.wait()
        assert fake_discord.gateway.identified == 2
