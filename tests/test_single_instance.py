"""One bot process per database: a second `redlegion run` is refused before it connects, a
crashed one never blocks its restart, and a PostgreSQL outage does not leave two running."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import asyncpg
import pytest

from core.models import Guild as GuildRow
from fakediscord import FakeDiscord
from storage import Database
from storage.instance_lock import BOT, NAMESPACE, AlreadyRunning, InstanceLock, _pg_params
from tests.support import NO_UEX_SYNC

REPO = Path(__file__).resolve().parents[1]


async def test_a_second_holder_is_refused_until_the_first_lets_go(empty_db_url: str):
    async with InstanceLock(empty_db_url):
        with pytest.raises(AlreadyRunning, match="another bot process is already running"):
            await InstanceLock(empty_db_url).acquire()
    async with InstanceLock(empty_db_url):  # released on exit: free again
        pass


async def _lock_holders(url: str) -> list[int]:
    conn = await asyncpg.connect(**_pg_params(url))
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 "
            "AND objid = $2 AND granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())",
            NAMESPACE,
            BOT,
        )
        return [r["pid"] for r in rows]
    finally:
        await conn.close()


async def _drop_connection(url: str, pid: int) -> None:
    conn = await asyncpg.connect(**_pg_params(url))
    try:
        await conn.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()


async def _until(condition, what: str, seconds: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(what)
        await asyncio.sleep(0.05)


@pytest.mark.postgres_only
async def test_the_lock_is_taken_back_after_its_connection_drops(empty_db_url: str):
    lost: list[bool] = []
    async with InstanceLock(empty_db_url, on_lost=lambda: lost.append(True), retry_seconds=0.05):
        (pid,) = await _lock_holders(empty_db_url)
        await _drop_connection(empty_db_url, pid)

        async def retaken() -> bool:
            holders = await _lock_holders(empty_db_url)
            return bool(holders) and holders != [pid]

        await _until(retaken, "the lock was not taken back")
        with pytest.raises(AlreadyRunning):
            await InstanceLock(empty_db_url).acquire()
    assert lost == []


@pytest.mark.postgres_only
async def test_a_process_that_lost_the_lock_to_another_is_told_to_stop(empty_db_url: str):
    lost = asyncio.Event()
    first = InstanceLock(empty_db_url, on_lost=lost.set, retry_seconds=0.05)
    await first.acquire()
    # the first stays cut off from the database until the other process has started
    taken_over = asyncio.Event()
    reconnect = first._lock_pg

    async def cut_off() -> AlreadyRunning | None:
        await taken_over.wait()
        return await reconnect()

    first._lock_pg = cut_off  # type: ignore[method-assign]
    try:
        (pid,) = await _lock_holders(empty_db_url)
        second = InstanceLock(empty_db_url)
        await _drop_connection(empty_db_url, pid)

        async def second_acquired() -> bool:
            try:
                await second.acquire()
            except AlreadyRunning:  # until the server has ended the first one's session
                return False
            return True

        await _until(second_acquired, "the lock was never free after its connection dropped")
        taken_over.set()
        try:
            await asyncio.wait_for(lost.wait(), 15)
        finally:
            await second.release()
    finally:
        await first.release()


class BotProcesses:
    """`redlegion run` processes against the stand-in on one database, each with its log."""

    def __init__(self, world: FakeDiscord, url: str, tmp_path: Path) -> None:
        self.world = world
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "PYTHONPATH": str(REPO),
            "REDLEGION_DISCORD_GUILD_READY_TIMEOUT": "0.05",
            "REDLEGION_CONFIG": str(tmp_path / "config.toml"),
        }
        (tmp_path / "config.toml").write_text(NO_UEX_SYNC)
        self.started: dict[str, asyncio.subprocess.Process] = {}

    async def start(self, name: str, *args: str) -> asyncio.subprocess.Process:
        self.env.update(self.world.environ())  # the stand-in is serving by now
        with (self.tmp_path / f"{name}.log").open("ab") as out:
            self.started[name] = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "core.cli", "run", *args, env=self.env,
                cwd=self.tmp_path, stdout=out, stderr=out,
            )  # fmt: skip
        return self.started[name]

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text()

    async def connected(self, count: int, *names: str) -> bool:
        """Whether `count` IDENTIFYs arrived, failing at once if one of `names` ended."""
        for name in names:
            assert self.started[name].returncode is None, self.log(name)[-3000:]
        return self.world.gateway.identified == count

    async def kill(self, *names: str) -> None:
        """SIGKILL: no clean shutdown, as in a crash."""
        for name in names or tuple(self.started):
            process = self.started[name]
            if process.returncode is None:
                process.send_signal(signal.SIGKILL)
            await process.wait()


async def test_a_second_redlegion_run_is_refused_and_the_first_goes_on(
    fake_discord: FakeDiscord, empty_db_url: str, tmp_path: Path
):
    fake_discord.guild("Red Legion")
    bots = BotProcesses(fake_discord, empty_db_url, tmp_path)
    async with fake_discord.serve(patch_discord=False):
        first = await bots.start("first")
        try:
            await _until(lambda: bots.connected(1, "first"), "the first bot never connected", 60)
            second = await bots.start("second")
            code = await asyncio.wait_for(second.wait(), 60)
            log = bots.log("second")
            assert code == 2, log[-3000:]
            assert "another bot process is already running on this database" in log
            assert "Traceback" not in log
            assert first.returncode is None, "the first bot goes on"
            assert fake_discord.gateway.identified == 1, "the second never reached Discord"
        finally:
            await bots.kill("first")
        # killed without a clean shutdown: its lock died with it, so a restart is not blocked
        await bots.start("third")
        try:
            await _until(
                lambda: bots.connected(2, "third"), "the restarted bot never connected", 60
            )
        finally:
            await bots.kill()


@pytest.mark.postgres_only
async def test_processes_may_share_a_database_by_shards_of_one_count(empty_db_url: str):
    async with (
        InstanceLock(empty_db_url, shards=(2, [0])),
        InstanceLock(empty_db_url, shards=(2, [1])),
    ):
        with pytest.raises(AlreadyRunning, match="shard 1 of 2 is already run by another"):
            await InstanceLock(empty_db_url, shards=(2, [1])).acquire()
        with pytest.raises(AlreadyRunning, match="another bot process is already running"):
            await InstanceLock(empty_db_url).acquire()  # unsharded: all guilds, shard 0 of 1
        with pytest.raises(AlreadyRunning, match="shard count other than 3"):
            await InstanceLock(empty_db_url, shards=(3, [2])).acquire()
    async with InstanceLock(empty_db_url, shards=(3, [2])):  # all gone: a new count is fine
        pass


async def test_shards_in_separate_processes_need_postgresql(empty_db_url: str, backend):
    async with InstanceLock(empty_db_url, shards=(2, [0])):
        other_shard = InstanceLock(empty_db_url, shards=(2, [1]))
        if backend.kind == "sqlite":
            with pytest.raises(AlreadyRunning, match="SQLite serves one bot process"):
                await other_shard.acquire()
        else:
            async with other_shard:
                pass


def test_shard_options_are_checked_before_anything_starts(tmp_path: Path):
    from tests.test_cli import redlegion

    for args, problem in (
        (["--shard-count", "2", "--shard-ids", "2"], "distinct numbers from 0 to 1"),
        (["--shard-ids", "0"], "shard_ids needs a shard_count"),
        (["--shard-count", "zero"], "'zero' is not a number or auto"),
    ):
        result = redlegion("run", *args, cwd=tmp_path, DISCORD_TOKEN="x")
        assert result.returncode == 2, result.stderr
        assert problem in result.stderr
        assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.sqlite3"))


async def test_two_shard_processes_serve_one_database_and_a_third_is_refused(
    fake_discord: FakeDiscord, empty_db_url: str, tmp_path: Path, backend
):
    """On PostgreSQL, `--shard-ids 0` and `--shard-ids 1` of 2 each serve their guilds from one
    database; a second process for shard 1 is refused. SQLite refuses the second process."""
    red, blue = fake_discord.guild("Red Legion"), fake_discord.guild("Blue Fleet")
    assert {(red.id >> 22) % 2, (blue.id >> 22) % 2} == {0, 1}
    bots = BotProcesses(fake_discord, empty_db_url, tmp_path)
    async with fake_discord.serve(patch_discord=False):
        try:
            await bots.start("shard0", "--shard-count", "2", "--shard-ids", "0")
            await _until(lambda: bots.connected(1, "shard0"), "shard 0 never connected", 60)
            second = await bots.start("shard1", "--shard-count", "2", "--shard-ids", "1")
            if backend.kind == "sqlite":
                assert await asyncio.wait_for(second.wait(), 60) == 2
                assert "SQLite serves one bot process" in bots.log("shard1")
                return
            await _until(
                lambda: bots.connected(2, "shard0", "shard1"), "shard 1 never connected", 60
            )

            async def both_guilds_known() -> bool:
                async with Database(empty_db_url):
                    return await GuildRow.filter(id__in=[red.id, blue.id]).count() == 2

            await _until(both_guilds_known, "each process records the guilds of its shard", 60)
            again = await bots.start("again", "--shard-count", "2", "--shard-ids", "1")
            assert await asyncio.wait_for(again.wait(), 60) == 2
            assert "shard 1 of 2 is already run by another" in bots.log("again")
            assert fake_discord.gateway.identified == 2
        finally:
            await bots.kill()
