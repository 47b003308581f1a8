"""Mining hot paths against the best hand-written driver code, on SQLite and PostgreSQL.

    .venv/bin/python bench/mining_bench.py [--events 3000] [--rounds 5] [--pg postgres://…]

1. Voice: the same stream of joins, moves and leaves handled by the plugin's service layer
   (`VoiceTracker.handle`) and by the best hand-written driver code for the same job (aiosqlite
   / asyncpg: one statement per join or leave, one per move on PostgreSQL, two in one
   transaction on SQLite),
   checked to write the same rows. Target: service ≤ 1.5× the raw time.
2. Payroll for 50, 200 and 1,000 participants (two sessions each, a yield, an expense, a
   donation): `payroll.preview` against the same preview by hand (its three reads with the raw
   driver, then the same pure `payroll.compute`), and `payroll.commit` against the same commit
   by hand (the same reads and compute, then the payouts and the ledger posting as multi-row
   INSERTs in one transaction), checked to write the same payouts and ledger entries.
   Targets: a fixed number of queries (preview 3, commit ≤ 9) whatever the size, each ≤ 1.5×
   its hand-written twin.

Each backend gets a database of its own (a temp file; `CREATE DATABASE` on the server), dropped
at the end. bench/README.md says why each baseline is the best one can write.
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
from tortoise import connections

from core import members
from core.events import VoiceStateEvent
from core.plugins import PluginManager
from plugins.mining import channels, events, expenses, payroll, yields
from plugins.mining.participants import Participant
from plugins.mining.settings import MiningSettings
from plugins.mining.voice import VoiceTracker
from storage import Database, migrations, sql
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


# The plugin's job, written against the driver: a join opens a session only in an active event
# and takes `is_org_member` from the membership; a leave closes the open session and computes
# its duration in the database; a move does both, atomically. One statement each (the move's
# two halves in one data-modifying CTE on PostgreSQL; SQLite has none, so two statements in one
# transaction there).
RAW_OPEN = (
    "INSERT INTO mining_participation "
    "(event_id, user_id, channel_id, session_start, is_org_member, created_at) "
    "SELECT e.id, {p}2, {p}3, {ts}, COALESCE((SELECT m.is_org_member FROM guild_memberships m "
    "WHERE m.guild_id = e.guild_id AND m.user_id = {p}2), FALSE), {ts} "
    "FROM mining_events e WHERE e.guild_id = {p}1 AND e.id = {p}5 AND e.status = 'active'"
)
RAW_GUARD = (
    " AND NOT EXISTS (SELECT 1 FROM mining_participation o "
    "WHERE o.event_id = e.id AND o.user_id = {p}2 AND o.session_end IS NULL)"
)
RAW_CLOSE = {
    # asyncpg wants every numbered parameter used: its leave takes (user, at, event)
    "postgres": "UPDATE mining_participation SET session_end = $2::timestamptz, duration_seconds = "
    "GREATEST(0, ROUND(EXTRACT(EPOCH FROM ($2::timestamptz - session_start))))::integer "
    "WHERE event_id = $3 AND user_id = $1 AND session_end IS NULL",
    # SQLite binds (guild, user, channel, at, event) and uses what it needs
    "sqlite": "UPDATE mining_participation SET session_end = ?4, duration_seconds = "
    "MAX(0, CAST(ROUND((julianday(?4) - julianday(session_start)) * 86400) AS INTEGER)) "
    "WHERE event_id = ?5 AND user_id = ?2 AND session_end IS NULL",
}
RAW_MOVE_PG = (
    "WITH closed AS (UPDATE mining_participation SET session_end = $4::timestamptz, "
    "duration_seconds = GREATEST(0, ROUND(EXTRACT(EPOCH FROM ($4::timestamptz - session_start))))"
    "::integer WHERE event_id = $5 AND user_id = $2 AND session_end IS NULL) "
    + RAW_OPEN.format(p="$", ts="$4::timestamptz")
)


class RawVoice:
    """The voice job with the driver alone, in the fewest round trips it can be done in."""

    def __init__(self, kind: str, conn: Any, event_id: int) -> None:
        self.kind, self.conn, self.event_id = kind, conn, event_id
        p, ts = ("$", "$4::timestamptz") if kind == "postgres" else ("?", "?4")
        self.move_open = RAW_OPEN.format(p=p, ts=ts)  # after the close: nothing left open
        self.open = self.move_open + RAW_GUARD.format(p=p)
        self.close = RAW_CLOSE[kind]

    async def handle(self, user: int, before: int | None, after: int | None, at: datetime) -> None:
        args = (GUILD, user, after, at, self.event_id)
        db = self.conn
        if self.kind == "sqlite":
            if before is not None and after is not None:
                # one transaction: one commit to flush, not two (3× faster on a real disk)
                await db.execute("BEGIN")
                await db.execute(self.close, args)
                await db.execute(self.move_open, args)
                await db.execute("COMMIT")
            elif before is not None:
                await db.execute(self.close, args)
            else:
                await db.execute(self.open, args)
        elif before is not None and after is not None:
            await db.execute(RAW_MOVE_PG, *args)
        elif before is not None:
            await db.execute(self.close, user, at, self.event_id)
        else:
            await db.execute(self.open, *args)


class Borrowed:
    """The bot's own aiosqlite connection, used directly by the raw code: its worker thread and
    its settings (Tortoise sets a 16 KiB `journal_size_limit`, for one), so the comparison is
    of the code above the driver. A second connection has a worker thread of its own, and
    which of the two threads shared a core with the event loop moved the ratios by up to 2x
    from one run to the next. Closed with Tortoise, not here."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)

    async def close(self) -> None:
        pass


async def raw_connect(backend: Backend) -> Any:
    if backend.kind == "sqlite":
        await sql.fetch("SELECT 1")  # the connection is open
        conn = connections.get("default")._connection
        assert conn is not None and conn.isolation_level is None, "Tortoise's own BEGINs"
        return Borrowed(conn)
    return await asyncpg.connect(backend.raw)


async def new_active_event(tracker: VoiceTracker | None = None) -> int:
    event = await events.create_event(GUILD, at=T0)
    await events.start_event(GUILD, event.id, at=T0, allow_concurrent=True)
    if tracker is not None:
        tracker.forget(GUILD)
    return event.id


async def event_rows(event_id: int) -> list[tuple[Any, ...]]:
    """An event's sessions as written, for comparing two ways of writing them."""
    rows = await sql.fetch(
        "SELECT user_id, channel_id, session_start, session_end, duration_seconds, "
        "is_org_member FROM mining_participation WHERE event_id = $1 "
        "ORDER BY user_id, session_start",
        [event_id],
    )
    return [(u, c, sql.timestamp(a), sql.timestamp(b), d, bool(o)) for u, c, a, b, d, o in rows]


async def bench_voice(backend: Backend, count: int, rounds: int) -> tuple[float, float, int]:
    users = list(range(10_000, 10_040))
    stream = voice_stream(count, users)
    service_times, raw_times = [], []
    raw = await raw_connect(backend)
    try:
        for round_ in range(rounds):
            tracker = VoiceTracker()
            service_event = await new_active_event(tracker)
            await tracker.state(GUILD)  # the cache is warm in a running bot
            raw_event = await new_active_event()
            handler = RawVoice(backend.kind, raw, raw_event)

            async def service(tracker: VoiceTracker = tracker) -> None:
                for n, (user, before, after) in enumerate(stream):
                    await tracker.handle(
                        VoiceStateEvent(
                            guild_id=GUILD,
                            user_id=user,
                            before_channel_id=before,
                            after_channel_id=after,
                            is_bot=False,
                            afk_channel_id=None,
                            at=T0 + timedelta(seconds=n),
                        )
                    )

            async def by_hand(handler: RawVoice = handler) -> None:
                for n, (user, before, after) in enumerate(stream):
                    await handler.handle(user, before, after, T0 + timedelta(seconds=n))

            # each goes first in half the rounds (ABBA): the WAL's checkpoints, the caches and
            # the machine's load fall on both alike
            runs = [(service, service_times), (by_hand, raw_times)]
            for call, into in runs if round_ % 2 == 0 else reversed(runs):
                started = time.perf_counter()
                await call()
                into.append(time.perf_counter() - started)
            mine, theirs = await event_rows(service_event), await event_rows(raw_event)
            opened = sum(1 for _, _, after in stream if after is not None)
            assert mine == theirs and len(mine) == opened, "the raw code wrote other rows"
            for event_id in (service_event, raw_event):
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
            # one trip to the driver's thread (execute and fetch there), not three
            found.append(await raw.execute_fetchall(sql.format("?"), params))
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
    people = [
        Participant(
            user_id=u,
            name=n,
            seconds=s,
            sessions=1,
            is_org_member=True,
            in_channel=False,
            donated=d == 1,
        )
        for u, n, s, d in members
    ]
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


def _values(mark: str, rows: int, width: int) -> str:
    return ", ".join(
        "(" + ", ".join(f"{mark}{width * r + c + 1}" for c in range(width)) + ")"
        for r in range(rows)
    )


class RawCommit:
    """`payroll.commit` by hand: the same nine statements in one transaction, the rows built
    as plain tuples and written with multi-row INSERTs."""

    def __init__(self, backend: Backend, conn: Any) -> None:
        self.kind, self.conn = backend.kind, conn
        self.mark = "$" if backend.kind == "postgres" else "?"

    async def fetch(self, text: str, params: list[Any]) -> list[Any]:
        if self.kind == "postgres":
            return list(await self.conn.fetch(text, *params))
        return list(await self.conn.execute_fetchall(text, params))  # one trip to its thread

    async def __call__(self, event_id: int, at: datetime) -> None:
        m, lock = self.mark, " FOR UPDATE" if self.kind == "postgres" else ""
        if self.kind == "postgres":
            async with self.conn.transaction():
                await self._commit(event_id, at, m, lock)
        else:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                await self._commit(event_id, at, m, lock)
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            await self.conn.execute("COMMIT")

    async def _commit(self, event_id: int, at: datetime, m: str, lock: str) -> None:
        [event] = await self.fetch(
            "SELECT event_name, total_value_auec, status, payroll_processed FROM mining_events "
            f"WHERE id = {m}1 AND guild_id = {m}2{lock}",
            [event_id, GUILD],
        )
        assert event[2] == "completed" and not event[3]
        people = [
            Participant(
                user_id=u,
                name=n,
                seconds=s,
                sessions=c,
                is_org_member=bool(o),
                in_channel=False,
                donated=bool(d),
            )
            for u, n, s, c, o, d in await self.fetch(
                "SELECT m.user_id, COALESCE(u.display_name, u.username), m.seconds, m.sessions, "
                "m.is_org_member, d.id IS NOT NULL FROM mining_member_times m "
                "JOIN users u ON u.id = m.user_id LEFT JOIN mining_donations d "
                "ON d.event_id = m.event_id AND d.user_id = m.user_id "
                f"WHERE m.event_id = {m}1 ORDER BY m.seconds DESC, m.user_id",
                [event_id],
            )
        ]
        costs = await self.fetch(
            f"SELECT paid_by_id, amount_auec FROM mining_expenses WHERE event_id = {m}1",
            [event_id],
        )
        result = payroll.compute(
            event_id=event_id,
            event_name=event[0],
            gross=Decimal(str(event[1])),
            expenses=[(uid, Decimal(str(amount))) for uid, amount in costs],
            people=people,
            donors={p.user_id for p in people if p.donated},
            mode=RULES.payroll_mode,
            org_cut_percent=RULES.org_cut_percent,
            min_seconds=RULES.min_minutes_to_qualify * 60,
        )
        await self.fetch(
            f"UPDATE mining_events SET payroll_processed = TRUE, payroll_mode = {m}1, "
            f"org_cut_percent = {m}2, org_cut_auec = {m}3, payroll_at = {m}4, "
            f"payroll_by_id = NULL WHERE id = {m}5 AND payroll_processed = FALSE",
            [str(RULES.payroll_mode), RULES.org_cut_percent, result.org_cut, at, event_id],
        )
        payouts = [
            (event_id, s.user_id, s.seconds, s.share, s.reimbursed, s.amount, s.donated)
            + (("owed", None) if s.amount > 0 else ("paid", at))
            + (at,)
            for s in result.shares
            if s.qualified or s.amount > 0
        ]
        await self.fetch(
            "INSERT INTO mining_payouts (event_id, user_id, seconds, share_auec, "
            "reimbursed_auec, amount_auec, donated, status, paid_at, created_at) "
            f"VALUES {_values(m, len(payouts), 10)}",
            [v for row in payouts for v in row],
        )
        reference = f"mining:event:{event_id}:payroll"
        assert not await self.fetch(
            f"SELECT id FROM ledger_transactions WHERE guild_id = {m}1 AND reference = {m}2",
            [GUILD, reference],
        )
        lines = payroll.ledger_lines(result)
        keys = [line.account.key for line in lines]
        found = await self.fetch(
            f"SELECT key, id FROM ledger_accounts WHERE guild_id = {m}1 AND key IN "
            f"({', '.join(f'{m}{i + 2}' for i in range(len(keys)))})",
            [GUILD, *keys],
        )
        accounts = dict(found)
        assert len(accounts) == len(keys), "the warm-up payroll made every account"
        [[tx]] = await self.fetch(
            "INSERT INTO ledger_transactions (guild_id, kind, memo, reference, actor_id, at, "
            f"created_at) VALUES ({m}1, {m}2, {m}3, {m}4, NULL, {m}5, {m}5) RETURNING id",
            [GUILD, "payroll", f"Mining payroll: #{event_id} {event[0]}", reference, at],
        )
        entries = [(tx, accounts[line.account.key], GUILD, line.amount, at) for line in lines]
        await self.fetch(
            "INSERT INTO ledger_entries (transaction_id, account_id, guild_id, amount, at) "
            f"VALUES {_values(m, len(entries), 5)}",
            [v for row in entries for v in row],
        )


async def written(event_id: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """An event's payouts and its payroll posting's entries, to compare two commits."""
    payouts = await sql.fetch(
        "SELECT user_id, seconds, share_auec, reimbursed_auec, amount_auec, donated, status "
        "FROM mining_payouts WHERE event_id = $1 ORDER BY user_id",
        [event_id],
    )
    entries = await sql.fetch(
        "SELECT a.key, e.amount FROM ledger_entries e "
        "JOIN ledger_accounts a ON a.id = e.account_id "
        "JOIN ledger_transactions t ON t.id = e.transaction_id "
        "WHERE t.reference = $1 ORDER BY a.key",
        [f"mining:event:{event_id}:payroll"],
    )
    return (
        [(u, s, Decimal(str(a)), Decimal(str(b)), Decimal(str(c)), bool(d), st)
         for u, s, a, b, c, d, st in payouts],
        [(k, Decimal(str(a))) for k, a in entries],
    )  # fmt: skip


async def timed_abab(
    first: Callable[[], Awaitable[Any]], second: Callable[[], Awaitable[Any]], rounds: int
) -> tuple[float, float]:
    """Median times of two calls, alternated (ABAB…) so a change in load hits both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for call, into in ((first, times[0]), (second, times[1])):
            started = time.perf_counter()
            await call()
            into.append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])


@dataclass(kw_only=True)
class PayrollFigures:
    size: int
    preview: float
    preview_queries: int
    preview_by_hand: float  # the preview's reads and the same compute
    commit: float
    commit_queries: int
    commit_by_hand: float  # the same reads, compute and writes, as multi-row INSERTs


async def bench_payroll(backend: Backend, sizes: list[int], rounds: int) -> list[PayrollFigures]:
    raw = await raw_connect(backend)
    by_hand_commit = RawCommit(backend, raw)
    results = []
    first_user = 100_000
    at = T0 + timedelta(hours=4)
    try:
        for size in sizes:
            # members are paid once before, so their ledger accounts exist (the usual case)
            warm = await completed_event(size, first_user)
            await payroll.commit(GUILD, warm, settings=RULES, at=at)
            # statements counted outside the timed runs (counting logs each one)
            counted = await completed_event(size, first_user)
            with count_queries() as q:
                await payroll.commit(GUILD, counted, settings=RULES, at=at)
            commit_queries = len(q)
            event_id = await completed_event(size, first_user)
            with count_queries() as q:
                await payroll.preview(GUILD, event_id, settings=RULES, now=T0)
            preview_queries = len(q)
            preview, by_hand = await timed_abab(
                lambda e=event_id: payroll.preview(GUILD, e, settings=RULES, now=T0),
                lambda e=event_id: raw_preview(backend, raw, e),
                rounds * 10,  # a preview takes a millisecond: more runs for a steady median
            )
            mine = await payroll.preview(GUILD, event_id, settings=RULES, now=T0)
            theirs = await raw_preview(backend, raw, event_id)
            assert mine.shares == theirs.shares, "the preview by hand computes another payroll"
            # commits, alternated ABBA (each goes first half the time): each needs an event
            commit_times: list[float] = []
            raw_times: list[float] = []
            for round_ in range(rounds):
                ours = await completed_event(size, first_user)
                hand = await completed_event(size, first_user)
                runs = [
                    (lambda e=ours: payroll.commit(GUILD, e, settings=RULES, at=at), commit_times),
                    (lambda e=hand: by_hand_commit(e, at), raw_times),
                ]
                for call, into in runs if round_ % 2 == 0 else reversed(runs):
                    started = time.perf_counter()
                    await call()
                    into.append(time.perf_counter() - started)
                (p1, e1), (p2, e2) = await written(ours), await written(hand)
                assert p1 == p2 and len(p1) >= size - 1, "the commit by hand wrote other payouts"
                assert [a for _, a in e1] == [a for _, a in e2], "… or other ledger entries"
            first_user += size
            results.append(
                PayrollFigures(
                    size=size,
                    preview=preview,
                    preview_queries=preview_queries,
                    preview_by_hand=by_hand,
                    commit=statistics.median(commit_times),
                    commit_queries=commit_queries,
                    commit_by_hand=statistics.median(raw_times),
                )
            )
    finally:
        await raw.close()
    return results


def verdict(ratio: float, target: float = 1.5) -> str:
    return f"{ratio:.2f}× (target ≤ {target:.2f}×) {'OK' if ratio <= target else 'MISSED'}"


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
                f"{count / raw:>9,.0f} events/s best raw driver code → {verdict(service / raw)}"
                ", same rows"
            )
            for f in await bench_payroll(backend, args.sizes, args.rounds):
                out.append(
                    f"{kind:<8} payroll {f.size:>5} members: preview {f.preview * 1000:7.1f} ms "
                    f"({f.preview_queries} queries), by hand {f.preview_by_hand * 1000:7.1f} ms "
                    f"→ {verdict(f.preview / f.preview_by_hand)}"
                )
                out.append(
                    f"{kind:<8} payroll {f.size:>5} members: commit  {f.commit * 1000:7.1f} ms "
                    f"({f.commit_queries} queries), by hand {f.commit_by_hand * 1000:7.1f} ms "
                    f"→ {verdict(f.commit / f.commit_by_hand)}, same rows"
                )
    finally:
        await backend.drop()
    return out


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=3000, help="voice events per round")
    parser.add_argument("--rounds", type=int, default=5, help="repetitions (median is shown)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 1000])
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
