"""A real `redlegion run` process killed mid-op (SIGKILL) and started again, on the stand-in.

The downtime rule (plugins/mining/voice.py): whoever stayed keeps one unbroken session (the
downtime counts for them), whoever left is closed at the bot's last sign of life (its last
heartbeat, here every 0.1 s), whoever arrived starts at the restart. Real clock, real process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord

from core.plugins import PluginManager
from fakediscord import FakeDiscord
from plugins.mining.models import MiningParticipation
from storage import Database
from tests.support import NO_UEX_SYNC

REPO = Path(__file__).resolve().parents[2]
HEARTBEAT = 0.1


async def until(check: Callable[[], object], what: str, log: Path) -> None:
    for _ in range(400):
        if await check():  # type: ignore[misc]
            return
        await asyncio.sleep(0.025)
    tail = await asyncio.to_thread(log.read_text)
    raise AssertionError(f"timed out waiting for {what}; bot log:\n{tail[-3000:]}")


async def test_killed_bot_process_keeps_every_minute_by_the_rule(
    fake_discord: FakeDiscord, empty_db_url: str, tmp_path: Path
):
    world = fake_discord
    guild = world.guild("Red Legion")
    rocks, refinery = guild.voice("Rocks"), guild.voice("Refinery")
    boss = guild.member("Boss", roles=[guild.role("Lead", permissions=discord.Permissions(8))])
    ace, bishop, cricket = (guild.member(n) for n in ("Ace", "Bishop", "Cricket"))
    config = tmp_path / "config.toml"
    # real seconds here: every session counts, however short
    config.write_text(
        f"[mining]\nheartbeat_seconds = {HEARTBEAT}\nmin_session_seconds = 0\n{NO_UEX_SYNC}"
    )
    log = tmp_path / "bot.log"
    env = {
        **os.environ,
        "DATABASE_URL": empty_db_url,
        "PYTHONPATH": str(REPO),
        "REDLEGION_CONFIG": str(config),
        "REDLEGION_DISCORD_GUILD_READY_TIMEOUT": "0.05",
    }

    async def start() -> asyncio.subprocess.Process:
        with log.open("ab") as out:
            return await asyncio.create_subprocess_exec(
                sys.executable, "-m", "core.cli", "run", env=env, cwd=tmp_path,
                stdout=out, stderr=out,
            )  # fmt: skip

    def kill(process: asyncio.subprocess.Process) -> None:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)

    async def sessions() -> dict[int, list[tuple[datetime, datetime | None]]]:
        rows = (
            await MiningParticipation.all()
            .order_by("id")
            .values_list("user_id", "session_start", "session_end")
        )
        found: dict[int, list[tuple[datetime, datetime | None]]] = {}
        for uid, start, end in rows:
            found.setdefault(uid, []).append((start, end))
        return found

    async with world.serve(patch_discord=False):
        env.update(world.environ())
        first = await start()
        try:
            await world.wait_for_identify(1)
            for channel in (rocks, refinery):
                await boss.slash("mining channel add", channel=channel)
            await boss.slash("mining event create", name="Killed op")
            started = await boss.slash("mining event start", event=1)
            assert "has started" in started.text, started.text
            async with Database(empty_db_url, PluginManager(entry_point_group=None).specs()):
                await ace.join(rocks)
                await bishop.join(rocks)

                async def both_open() -> bool:
                    return len(await sessions()) == 2

                await until(both_open, "two sessions", log)
                await asyncio.sleep(1.2)  # whole seconds: participants need at least one
                killed_at = datetime.now(UTC)
                kill(first)
                await first.wait()

                await bishop.leave()  # while the bot is down
                await cricket.join(refinery)
                await asyncio.sleep(0.3)
                restarted_after = datetime.now(UTC)
                second = await start()
                try:

                    async def cricket_tracked() -> bool:
                        return cricket.id in await sessions()

                    await until(cricket_tracked, "reconciliation", log)
                    found = await sessions()
                    [(ace_start, ace_end)] = found[ace.id]
                    [(_, bishop_end)] = found[bishop.id]
                    [(cricket_start, cricket_end)] = found[cricket.id]
                    assert ace_end is None and ace_start < killed_at  # one unbroken session
                    assert bishop_end is not None
                    # closed at the last heartbeat before the kill: nothing after it counted
                    slack = timedelta(seconds=HEARTBEAT + 0.25)
                    assert killed_at - slack <= bishop_end <= killed_at
                    assert cricket_end is None and cricket_start >= restarted_after
                    await asyncio.sleep(1.1)
                    stopped = await boss.slash("mining event stop", event=1)
                    assert "with 3 participant(s)" in stopped.text, stopped.text
                finally:
                    kill(second)
                    await second.wait()
        finally:
            kill(first)
            await first.wait()
