"""`redlegion db backup|restore`: a consistent copy while the bot writes, restored exactly.

The load test writes a stream of voice changes, each in one transaction with a ledger posting
referenced by its number, and takes a backup in the middle of it. A consistent backup holds the
first k operations and nothing of the rest: replaying exactly those k into a fresh database
must give the same sessions and the same balances as the restored copy.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from tortoise.transactions import in_transaction

from core import members
from core.events import VoiceStateEvent
from plugins.economy import ledger
from plugins.economy.models import Account, Entry, Transaction
from plugins.mining import channels, events
from plugins.mining.models import MiningParticipation
from plugins.mining.voice import VoiceTracker
from storage import Database, backup, migrations
from tests.conftest import Backend, builtin_plugins
from tests.test_cli import redlegion

T0 = datetime(2026, 1, 4, 18, 0, tzinfo=UTC)
GUILD = 7001
ROCKS, REFINERY, LOUNGE = 11, 12, 13
CREW = tuple(range(601, 613))
OPS = 4000  # far more than can be written while one backup runs


@dataclass(frozen=True)
class Op:
    user: int
    before: int | None
    after: int | None
    amount: Decimal


def operations(n: int) -> list[Op]:
    """A fixed stream of joins, moves and leaves between two mining channels and a lounge."""
    rng = random.Random(20261203)
    where: dict[int, int | None] = dict.fromkeys(CREW)
    ops = []
    for _ in range(n):
        user = rng.choice(CREW)
        after = rng.choice([c for c in (None, ROCKS, REFINERY, LOUNGE) if c != where[user]])
        ops.append(Op(user, where[user], after, Decimal(rng.randint(1, 99999)) / 100))
        where[user] = after
    return ops


async def set_up() -> None:
    await members.ensure_guild(GUILD, "Red Legion")
    await members.upsert_members(
        GUILD, [members.MemberInfo(uid, f"m{uid}", f"Miner {uid}") for uid in CREW]
    )
    voice = {ROCKS, REFINERY, LOUNGE}
    await channels.add_channel(GUILD, ROCKS, "Rocks", voice_channel_ids=voice)
    await channels.add_channel(GUILD, REFINERY, "Refinery", voice_channel_ids=voice)
    event = await events.create_event(GUILD, at=T0)
    await events.start_event(GUILD, event.id, at=T0)


async def apply(tracker: VoiceTracker, i: int, op: Op) -> None:
    """One operation: a voice change and its ledger posting, all or nothing."""
    at = T0 + timedelta(seconds=i + 1)
    async with in_transaction():
        await tracker.handle(
            VoiceStateEvent(
                guild_id=GUILD,
                user_id=op.user,
                before_channel_id=op.before,
                after_channel_id=op.after,
                is_bot=False,
                afk_channel_id=None,
                at=at,
            )
        )
        await ledger.post(
            GUILD,
            kind=ledger.TxKind.ADJUSTMENT,
            memo=f"op {i}",
            reference=f"op-{i}",
            lines=[
                ledger.Line(ledger.TREASURY, op.amount),
                ledger.Line(ledger.member(op.user), -op.amount),
            ],
            at=at,
        )


async def state() -> tuple[list[tuple], dict[str, Decimal], int]:
    """Sessions, balance per account, and how many operations the database holds."""
    sessions = (
        await MiningParticipation.all()
        .order_by("id")
        .values_list("user_id", "channel_id", "session_start", "session_end", "duration_seconds")
    )
    balances = {}
    for account in await Account.filter(guild_id=GUILD):
        balances[account.key] = await ledger.sum_amounts(Entry.filter(account_id=account.id))
    done = await Transaction.filter(guild_id=GUILD, reference__startswith="op-").count()
    return list(sessions), balances, done


async def test_backup_while_voice_is_written_restores_to_one_consistent_moment(
    backend: Backend, tmp_path: Path
):
    ops = operations(OPS)
    source_url = await backend.new_database()
    copy_url = await backend.empty_database()
    replay_url = await backend.new_database()
    out = tmp_path / "backup.bin"
    try:
        async with Database(source_url, builtin_plugins().specs()):
            await set_up()
            tracker = VoiceTracker()
            written = 0
            under_way, taken = asyncio.Event(), asyncio.Event()

            async def writer() -> None:
                nonlocal written
                for i, op in enumerate(ops):
                    await apply(tracker, i, op)
                    written += 1
                    if written == 50:
                        under_way.set()  # the backup starts with writes under way
                    if taken.is_set() and written >= before_backup + 20:
                        return  # well past the backup: enough to show it did not see these
                raise AssertionError("the backup took longer than the whole stream")

            before_backup = 0
            task = asyncio.create_task(writer())
            await under_way.wait()
            before_backup = written
            await backup.backup(source_url, out)
            taken.set()
            await task
            source_done = (await state())[2]

        async with Database(copy_url, builtin_plugins().specs()) as copy_db:
            assert await migrations.is_empty(copy_db)
        await backup.restore(out, copy_url)
        async with Database(copy_url, builtin_plugins().specs()):
            restored = await state()
        k = restored[2]
        assert before_backup <= k < source_done, "the backup is of a moment during the writes"
        # the restored operations are exactly 0..k-1: no half of a transaction, no gap
        async with Database(copy_url, builtin_plugins().specs()):
            refs = set(await Transaction.filter(guild_id=GUILD).values_list("reference", flat=True))
        assert refs == {f"op-{i}" for i in range(k)}

        async with Database(replay_url, builtin_plugins().specs()):
            await set_up()
            tracker = VoiceTracker()
            for i, op in enumerate(ops[:k]):
                await apply(tracker, i, op)
            replayed = await state()
        assert restored == replayed
    finally:
        for url in (source_url, copy_url, replay_url):
            await backend.drop(url)


async def _migrated_copy(backend: Backend, tmp_path: Path) -> tuple[str, Path]:
    url = await backend.new_database()
    out = tmp_path / "backup.bin"
    await backup.backup(url, out)
    return url, out


async def test_restore_refuses_a_database_that_is_not_empty(backend: Backend, tmp_path: Path):
    url, out = await _migrated_copy(backend, tmp_path)
    try:
        result = redlegion("db", "restore", str(out), "--database-url", url, cwd=tmp_path)
        assert result.returncode == 2
        assert "the target database is not empty" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        await backend.drop(url)


async def test_restore_refuses_a_backup_from_a_newer_version(backend: Backend, tmp_path: Path):
    url = await backend.new_database()
    target = await backend.empty_database()
    out = tmp_path / "newer.bin"
    try:
        async with Database(url, builtin_plugins().specs()) as db:
            await db.connection().execute_query(
                "INSERT INTO tortoise_migrations (app, name, applied_at) "
                "VALUES ('mining', '0099_from_the_future', CURRENT_TIMESTAMP)"
            )
        await backup.backup(url, out)
        result = redlegion("db", "restore", str(out), "--database-url", target, cwd=tmp_path)
        assert result.returncode == 2, result.stdout
        assert "mining.0099_from_the_future" in result.stderr
        async with Database(target, builtin_plugins().specs()) as db:
            assert await migrations.is_empty(db), "nothing was restored"
    finally:
        await backend.drop(url)
        await backend.drop(target)


async def test_restore_refuses_files_that_are_not_backups(backend: Backend, tmp_path: Path):
    target = await backend.empty_database()
    try:
        for name, data in {
            "text.bin": b"ledger,amount\n1,2\n",
            "empty.bin": b"",
            "truncated.sqlite3": b"SQLite format 3\x00" + b"\x00" * 50,
            "truncated.pgdump": b"PGDMP\x01\x0e\x00",
        }.items():
            bad = tmp_path / name
            bad.write_bytes(data)
            result = redlegion("db", "restore", str(bad), "--database-url", target, cwd=tmp_path)
            assert result.returncode == 2, (name, result.stdout)
            assert result.stderr.startswith("error: "), (name, result.stderr)
            assert "Traceback" not in result.stderr, name
        async with Database(target, builtin_plugins().specs()) as db:
            assert await migrations.is_empty(db)
    finally:
        await backend.drop(target)


async def test_restore_refuses_the_other_backends_backup(backend: Backend, tmp_path: Path):
    url, out = await _migrated_copy(backend, tmp_path)
    other = (
        "postgres://postgres@127.0.0.1:5432/unused"
        if backend.kind == "sqlite"
        else f"sqlite://{tmp_path / 'other.sqlite3'}"
    )
    try:
        result = redlegion("db", "restore", str(out), "--database-url", other, cwd=tmp_path)
        assert result.returncode == 2
        assert f"is a {backend.kind} backup" in result.stderr
        assert not (tmp_path / "other.sqlite3").exists()
    finally:
        await backend.drop(url)


async def test_backup_through_the_cli_and_restore_then_upgrade(backend: Backend, tmp_path: Path):
    url = await backend.new_database()
    target = await backend.empty_database()
    out = tmp_path / "b.bin"
    try:
        made = redlegion("db", "backup", "--database-url", url, "--out", str(out), cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        assert f"wrote {out}" in made.stdout
        again = redlegion("db", "backup", "--database-url", url, "--out", str(out), cwd=tmp_path)
        assert again.returncode == 2
        assert "exists already" in again.stderr
        restored = redlegion("db", "restore", str(out), "--database-url", target, cwd=tmp_path)
        assert restored.returncode == 0, restored.stderr
        history = redlegion("db", "history", "--database-url", target, cwd=tmp_path)
        assert "[x] mining.0001_initial" in history.stdout
        assert "[ ]" not in history.stdout
    finally:
        await backend.drop(url)
        await backend.drop(target)


@pytest.mark.postgres_only
async def test_backup_without_pg_dump_says_what_to_install(backend: Backend, tmp_path: Path):
    url = await backend.new_database()
    bare = tmp_path / "bin"
    bare.mkdir()
    try:
        result = redlegion(
            "db",
            "backup",
            "--database-url",
            url,
            "--out",
            str(tmp_path / "x.pgdump"),
            cwd=tmp_path,
            PATH=str(bare),
        )
        assert result.returncode == 2
        assert "pg_dump is not installed" in result.stderr
    finally:
        await backend.drop(url)
