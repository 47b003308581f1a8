"""Mining hot paths against the raw database drivers, on SQLite and PostgreSQL in one run.

    .venv/bin/python bench/mining_bench.py [--events 3000] [--rounds 5] [--pg postgres://…]

1. Voice: the same stream of joins, moves and leaves handled by the plugin's service layer
   (`VoiceTracker.handle`) and by hand-written driver calls (aiosqlite / asyncpg: find the
   open session, close it, open the next). Target: service ≤ 1.5× the raw time.
2. Payroll for 10, 100 and 1,000 participants (two sessions each, a yield, an expense, a
   donation): `payroll.preview` and `payroll.commit` time and query count, against one
   hand-written SQL aggregate (seconds per member) over the same rows.
   Target: ≤ 10 queries whatever the size, ≤ 2× the aggregate at 1,000.
   Also against the preview written by hand with the raw driver: its reads (the event, each
   member's frozen time, name and donation, the expenses), then the same pure
   `payroll.compute`: the floor for any exact preview, and so how much of the gap to the
   aggregate is this code's.

Each backend gets a database of its own (a temp file; `CREATE DATABASE` on the server), dropped
at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg

from core import members
from core.events import VoiceStateEvent
from core.plugins import PluginManager
from plugins.mining import channels, events, expenses, payroll, yields
from plugins.mining.participants import Participant
from plugins.mining.settings import MiningSettings
from plugins.mining.voice import VoiceTracker
from storage import Database, migrations
from storage.querycount import count_queries

GUILD = 777
A, B, LOBBY = 11, 12, 13
T0 = datetime(2026, 1, 4, 18, 0, tzinfo=UTC)
RULES = MiningSettings(org_cut_percent=Decimal("10"))


@dataclass
class Backend:
    kind: str
    url: str  # Tortoise URL
    raw: str  # what the raw driver connects to
    drop: Callable[[], Awaitable[None]]


async def make_backend(kind: str, pg: str, tmp: Path) -> Backend:
    if kind == "sqlite":
        path = tmp / "bench.sqlite3"

        async def nothing() -> None:
            return None

        return Backend(kind, f"sqlite://{path}", str(path), nothing)
    name = f"rl_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(f"{pg}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()

    async def drop() -> None:
        conn = await asyncpg.connect(f"{pg}/postgres")
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()

    return Backend(kind, f"{pg}/{name}", f"{pg}/{name}", drop)


# -- voice -------------------------------------------------------------------------------------


def voice_stream(count: int, users: list[int]) -> list[tuple[int, int | None, int | None]]:
    """(user, before, after): everyone joins, then moves between A and B, then leaves."""
    where: dict[int, int | None] = dict.fromkeys(users)
    stream = []
    i = 0
    while len(stream) < count - len(users):
        user = users[i % len(users)]
        before = where[user]
        after = A if before is None else (B if before == A else A)
        stream.append((user, before, after))
        where[user] = after
        i += 1
    stream += [(u, where[u], None) for u in users if where[u] is not None]
    return stream


class RawVoice:
    """The same logical work with the driver alone: find the open session, close it, open."""

    def __init__(self, kind: str, conn: Any, event_id: int) -> None:
        self.kind, self.conn, self.event_id = kind, conn, event_id

    async def handle(self, user: int, before: int | None, after: int | None, at: datetime) -> None:
        if self.kind == "sqlite":
            await self._sqlite(user, before, after, at)
        else:
            await self._pg(user, before, after, at)

    async def _sqlite(self, user: int, before: int | None, after: int | None, at: datetime) -> None:
        db = self.conn
        if before is not None:
            async with db.execute(
                "SELECT id, session_start FROM mining_participation "
                "WHERE event_id = ? AND user_id = ? AND session_end IS NULL",
                (self.event_id, user),
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None:
                start = datetime.fromisoformat(row[1])
                await db.execute(
                    "UPDATE mining_participation SET session_end = ?, duration_seconds = ? "
                    "WHERE id = ?",
                    (at, round((at - start).total_seconds()), row[0]),
                )
        if after is not None:
            await db.execute(
                "INSERT INTO mining_participation (event_id, user_id, channel_id, "
                "session_start, is_org_member, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (self.event_id, user, after, at, 1, at),
            )

    async def _pg(self, user: int, before: int | None, after: int | None, at: datetime) -> None:
        db = self.conn
        if before is not None:
            row = await db.fetchrow(
                "SELECT id, session_start FROM mining_participation "
                "WHERE event_id = $1 AND user_id = $2 AND session_end IS NULL",
                self.event_id,
                user,
            )
            if row is not None:
                await db.execute(
                    "UPDATE mining_participation SET session_end = $1, duration_seconds = $2 "
                    "WHERE id = $3",
                    at,
                    round((at - row["session_start"]).total_seconds()),
                    row["id"],
                )
        if after is not None:
            await db.execute(
                "INSERT INTO mining_participation (event_id, user_id, channel_id, "
                "session_start, is_org_member, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                self.event_id,
                user,
                after,
                at,
                True,
                at,
            )


async def raw_connect(backend: Backend) -> Any:
    if backend.kind == "sqlite":
        conn = await aiosqlite.connect(backend.raw, isolation_level=None)
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        return conn
    return await asyncpg.connect(backend.raw)


async def new_active_event(tracker: VoiceTracker | None = None) -> int:
    event = await events.create_event(GUILD, at=T0)
    await events.start_event(GUILD, event.id, at=T0, allow_concurrent=True)
    if tracker is not None:
        tracker.forget(GUILD)
    return event.id


async def bench_voice(backend: Backend, count: int, rounds: int) -> tuple[float, float, int]:
    users = list(range(10_000, 10_040))
    stream = voice_stream(count, users)
    service_times, raw_times = [], []
    raw = await raw_connect(backend)
    try:
        for _ in range(rounds):
            # service layer
            tracker = VoiceTracker()
            event_id = await new_active_event(tracker)
            await tracker.state(GUILD)  # the cache is warm in a running bot
            started = time.perf_counter()
            for n, (user, before, after) in enumerate(stream):
                await tracker.handle(
                    VoiceStateEvent(
                        GUILD, user, before, after, False, None, T0 + timedelta(seconds=n)
                    )
                )
            service_times.append(time.perf_counter() - started)
            await events.stop_event(GUILD, event_id, at=T0 + timedelta(days=1))
            # raw driver
            event_id = await new_active_event()
            handler = RawVoice(backend.kind, raw, event_id)
            started = time.perf_counter()
            for n, (user, before, after) in enumerate(stream):
                await handler.handle(user, before, after, T0 + timedelta(seconds=n))
            raw_times.append(time.perf_counter() - started)
            await events.stop_event(GUILD, event_id, at=T0 + timedelta(days=1))
    finally:
        await raw.close()
    return statistics.median(service_times), statistics.median(raw_times), len(stream)


# -- payroll -----------------------------------------------------------------------------------


async def completed_event(size: int, first_user: int) -> int:
    """An event with `size` participants, two sessions each (a move), priced and with costs."""
    from plugins.mining.models import MiningParticipation

    ids = list(range(first_user, first_user + size))
    await members.upsert_members(GUILD, [members.MemberInfo(u, f"m{u}", f"M{u}") for u in ids])
    event_id = await new_active_event()
    rows = []
    for n, user in enumerate(ids):
        join = T0 + timedelta(seconds=n % 600)
        move = join + timedelta(minutes=30 + n % 45)
        leave = move + timedelta(minutes=20 + n % 50)
        for start, end, channel in ((join, move, A), (move, leave, B)):
            seconds = round((end - start).total_seconds())
            rows.append(
                MiningParticipation(
                    event_id=event_id,
                    user_id=user,
                    channel_id=channel,
                    session_start=start,
                    session_end=end,
                    duration_seconds=seconds,
                    is_org_member=True,
                )
            )
    await MiningParticipation.bulk_create(rows, batch_size=500)
    await events.stop_event(GUILD, event_id, at=T0 + timedelta(hours=3))
    await yields.add_yields(GUILD, event_id, [yields.YieldInput("Gold", "10", value="987654.32")])
    await expenses.add_expense(GUILD, event_id, amount="1234.56", paid_by=ids[0])
    await payroll.set_donation(GUILD, event_id, ids[-1])
    return event_id


async def aggregate(backend: Backend, raw: Any, event_id: int) -> list[Any]:
    """The hand-written baseline: seconds per member in one SQL aggregate."""
    if backend.kind == "sqlite":
        async with raw.execute(
            "SELECT user_id, SUM(duration_seconds) FROM mining_participation "
            "WHERE event_id = ? AND duration_seconds >= 30 GROUP BY user_id",
            (event_id,),
        ) as cursor:
            return list(await cursor.fetchall())
    return await raw.fetch(
        "SELECT user_id, SUM(duration_seconds) FROM mining_participation "
        "WHERE event_id = $1 AND duration_seconds >= 30 GROUP BY user_id",
        event_id,
    )


async def raw_reads(backend: Backend, raw: Any, event_id: int) -> tuple[Any, Any, Any]:
    """What a preview reads, written by hand: the event, member times, the expenses."""
    event = (
        "SELECT event_name, total_value_auec, status, payroll_processed, "
        "times_min_session_seconds FROM mining_events WHERE id = {0}1 AND guild_id = {0}2"
    )
    members = (
        "SELECT m.user_id, COALESCE(u.display_name, u.username), m.seconds, d.id IS NOT NULL "
        "FROM mining_member_times m JOIN users u ON u.id = m.user_id "
        "LEFT JOIN mining_donations d ON d.event_id = m.event_id AND d.user_id = m.user_id "
        "WHERE m.event_id = {0}1 ORDER BY m.seconds DESC, m.user_id"
    )
    costs = "SELECT paid_by_id, amount_auec FROM mining_expenses WHERE event_id = {0}1"
    if backend.kind == "sqlite":
        found = []
        for sql, params in (
            (event, (event_id, GUILD)),
            (members, (event_id,)),
            (costs, (event_id,)),
        ):
            async with raw.execute(sql.format("?"), params) as cursor:
                found.append(await cursor.fetchall())
        return tuple(found)  # type: ignore[return-value]
    return (
        await raw.fetchrow(event.format("$"), event_id, GUILD),
        await raw.fetch(members.format("$"), event_id),
        await raw.fetch(costs.format("$"), event_id),
    )


async def raw_preview(backend: Backend, raw: Any, event_id: int) -> payroll.Payroll:
    """The preview by hand: `raw_reads`, then the same pure `payroll.compute`."""
    event, members, costs = await raw_reads(backend, raw, event_id)
    name, value, *_ = event[0] if backend.kind == "sqlite" else event
    people = [Participant(u, n, s, 1, True, False, d == 1) for u, n, s, d in members]
    return payroll.compute(
        event_id=event_id,
        event_name=name,
        gross=Decimal(str(value)),
        expenses=[(uid, Decimal(str(amount))) for uid, amount in costs],
        people=people,
        donors={p.user_id for p in people if p.donated},
        mode=RULES.payroll_mode,
        org_cut_percent=RULES.org_cut_percent,
        min_seconds=RULES.min_minutes_to_qualify * 60,
    )


async def timed(call: Callable[[], Awaitable[Any]], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


@dataclass
class PayrollFigures:
    size: int
    preview: float
    preview_queries: int
    commit: float
    commit_queries: int
    aggregate: float
    reads: float  # the preview's reads by hand
    by_hand: float  # the reads and the same compute


async def bench_payroll(backend: Backend, sizes: list[int], rounds: int) -> list[PayrollFigures]:
    raw = await raw_connect(backend)
    results = []
    first_user = 100_000
    try:
        for size in sizes:
            # members are paid once before, so their ledger accounts exist (the usual case)
            warm = await completed_event(size, first_user)
            await payroll.commit(GUILD, warm, settings=RULES, at=T0 + timedelta(hours=4))
            event_id = await completed_event(size, first_user)
            first_user += size
            with count_queries() as q:
                await payroll.preview(GUILD, event_id, settings=RULES, now=T0)
            preview_queries = len(q)
            preview = await timed(
                lambda e=event_id: payroll.preview(GUILD, e, settings=RULES, now=T0), rounds
            )
            baseline = await timed(lambda e=event_id: aggregate(backend, raw, e), rounds)
            reads = await timed(lambda e=event_id: raw_reads(backend, raw, e), rounds)
            by_hand = await timed(lambda e=event_id: raw_preview(backend, raw, e), rounds)
            mine = await payroll.preview(GUILD, event_id, settings=RULES, now=T0)
            theirs = await raw_preview(backend, raw, event_id)
            assert mine.shares == theirs.shares, "the preview by hand computes another payroll"
            started = time.perf_counter()
            with count_queries() as q:
                await payroll.commit(GUILD, event_id, settings=RULES, at=T0 + timedelta(hours=4))
            commit = time.perf_counter() - started
            results.append(
                PayrollFigures(
                    size, preview, preview_queries, commit, len(q), baseline, reads, by_hand
                )
            )
    finally:
        await raw.close()
    return results


# -- the run -----------------------------------------------------------------------------------


async def prepare() -> None:
    await members.ensure_guild(GUILD, "Bench")
    users = list(range(10_000, 10_040))
    await members.upsert_members(GUILD, [members.MemberInfo(u, f"u{u}", f"U{u}") for u in users])
    for channel, name in ((A, "Alpha"), (B, "Beta")):
        await channels.add_channel(GUILD, channel, name, voice_channel_ids={A, B, LOBBY})


async def run_backend(kind: str, args: argparse.Namespace, tmp: Path) -> list[str]:
    backend = await make_backend(kind, args.pg, tmp)
    out = []
    try:
        async with Database(backend.url, PluginManager(entry_point_group=None).specs()) as db:
            await migrations.upgrade(db)
            await prepare()
            service, raw, count = await bench_voice(backend, args.events, args.rounds)
            out.append(
                f"{kind:<8} voice    {count / service:>9,.0f} events/s service, "
                f"{count / raw:>9,.0f} events/s raw driver → {service / raw:.2f}× "
                f"(target ≤ 1.50×) {'OK' if service / raw <= 1.5 else 'MISSED'}"
            )
            for f in await bench_payroll(backend, args.sizes, args.rounds):
                ok = f.commit_queries <= 10 and (f.size < 1000 or f.preview / f.aggregate <= 2)
                out.append(
                    f"{kind:<8} payroll {f.size:>5} members: preview {f.preview * 1000:7.1f} ms "
                    f"({f.preview_queries} queries), commit {f.commit * 1000:7.1f} ms "
                    f"({f.commit_queries} queries); aggregate {f.aggregate * 1000:6.1f} ms → "
                    f"preview {f.preview / f.aggregate:.2f}×, commit {f.commit / f.aggregate:.2f}×"
                    + (f" {'OK' if ok else 'MISSED'}" if f.size >= 1000 else "")
                )
                out.append(
                    f"{'':<8}         by hand: the preview's reads {f.reads * 1000:6.1f} ms "
                    f"= {f.reads / f.aggregate:.2f}× the aggregate, with the same split "
                    f"{f.by_hand * 1000:6.1f} ms = {f.by_hand / f.aggregate:.2f}×; "
                    f"preview {f.preview / f.by_hand:.2f}× by hand"
                )
    finally:
        await backend.drop()
    return out


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=3000, help="voice events per round")
    parser.add_argument("--rounds", type=int, default=5, help="repetitions (median is shown)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument(
        "--pg",
        default=os.environ.get("REDLEGION_TEST_PG", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server (a database is created and dropped there)",
    )
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    lines = []
    with tempfile.TemporaryDirectory(prefix="rl-bench-") as tmp:
        for kind in args.backends.split(","):
            lines += await run_backend(kind.strip(), args, Path(tmp))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
