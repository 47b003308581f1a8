"""The web portal's heaviest pages against the same service calls made directly, on SQLite and
PostgreSQL.

    .venv/bin/python bench/portal_bench.py [--rounds 5] [--participants 50 200]
        [--entries 1000 10000] [--backends sqlite,postgres] [--pg postgres://…]

Three pages, each at two sizes, through a real local portal (aiohttp on loopback) signed in as
a treasurer through the Discord stand-in's OAuth2 flow, as tests/web/conftest.py signs in:

1. An event's page (`mining/events/N`) for an ended op with N participants (two sessions each,
   yields, expenses, a time set by hand, payroll committed so the payouts show).
2. The live monitor's poll (`mining/events/N/live.json`, what static/live.js fetches) for an
   active op with N members in voice.
3. The ledger page (`economy/ledger`) over N entries: the first page, and a later page of a
   filtered view (`kind=trade`, the middle page).

Each request's server time (an outermost middleware: every portal middleware, the handler,
rendering) against the same service calls the handler makes, called directly in the same
process (what the web layer adds), alternated ABAB, medians of `--rounds` x 10 pairs. The
statements each sends are counted (`storage/querycount.py`) at both sizes: a page's count must
not grow with its rows. Target: server ≤ 1.5× direct.

Each backend gets a database of its own (a temp file; `CREATE DATABASE` on the server), dropped
at the end. bench/README.md says why each baseline is the honest one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
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

import aiohttp
import asyncpg
import yarl
from aiohttp import web

from core import members
from core.clock import VirtualClock
from core.config import Settings
from core.permissions import Level, set_role_level
from core.plugins import PluginManager
from core.web.portal import Portal
from fakediscord.oauth import DEFAULT_CLIENT_SECRET
from fakediscord.world import FakeDiscord
from plugins.economy import ledger
from plugins.economy.ledger import TREASURY, Line, TxKind
from plugins.economy.ledger_view import PER_PAGE, LedgerFilter, ledger_page
from plugins.economy.models import Account
from plugins.economy.statements import member_positions
from plugins.mining import adjustments, channels, events, expenses, payroll, yields
from plugins.mining.models import MiningParticipation
from plugins.mining.monitor import live_view
from plugins.mining.settings import MiningSettings
from storage import Database, migrations, sql
from storage.querycount import count_queries

A, B, LOBBY = 11, 12, 13
T0 = datetime(2026, 1, 4, 18, 0, tzinfo=UTC)
FIRST_MEMBER = 100_000
LEDGER_MEMBERS = 50
ANALYZE = True  # --no-analyze: PostgreSQL plans the freshly loaded tables without statistics
SHOW_QUERIES = bool(os.environ.get("PORTAL_BENCH_SHOW_QUERIES"))  # each request's statements


@dataclass
class Backend:
    kind: str
    url: str
    drop: Callable[[], Awaitable[None]]


async def make_backend(kind: str, pg: str, tmp: Path) -> Backend:
    if kind == "sqlite":

        async def nothing() -> None:
            return None

        return Backend(kind, f"sqlite://{tmp / 'portal-bench.sqlite3'}", nothing)
    name = f"rl_pbench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(f"{pg}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()

    async def drop() -> None:
        if os.environ.get("PORTAL_BENCH_KEEP"):  # to look at afterwards
            print(f"kept database {name}", file=sys.stderr)
            return
        conn = await asyncpg.connect(f"{pg}/postgres")
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()

    return Backend(kind, f"{pg}/{name}", drop)


# -- the portal, signed in -------------------------------------------------------------------


class ServerClock:
    """An outermost middleware: how long the portal took over each request, from the first
    middleware in to the response out (HTTP parsing and writing the body are aiohttp's)."""

    def __init__(self) -> None:
        self.last = 0.0
        self.rendering = 0.0  # of that, the time spent rendering templates

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        started = time.perf_counter()
        self.rendering = 0.0
        try:
            return await handler(request)
        finally:
            self.last = time.perf_counter() - started

    def watch_rendering(self, portal: Portal) -> None:
        """Time the portal's template rendering too (what part of the server time it is)."""
        render = portal.render

        def timed(*args: Any, **kwargs: Any) -> web.Response:
            started = time.perf_counter()
            try:
                return render(*args, **kwargs)
            finally:
                self.rendering += time.perf_counter() - started

        portal.render = timed  # type: ignore[method-assign]


@dataclass
class Site:
    http: aiohttp.ClientSession
    base: str
    guild_id: int
    treasurer: int
    settings: Settings
    clock: VirtualClock
    timer: ServerClock

    async def get(self, path: str) -> tuple[float, float, bytes]:
        """(server time, round trip, body) of one GET, which must answer 200; the server's
        rendering time is `timer.rendering` after it."""
        started = time.perf_counter()
        async with self.http.get(self.base + path, allow_redirects=False) as resp:
            body = await resp.read()
            assert resp.status == 200, (path, resp.status, body[:500])
        return self.timer.last, time.perf_counter() - started, body


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _sign_in(http: aiohttp.ClientSession, base: str, user_id: int) -> None:
    """The OAuth2 flow as a browser runs it, picking `user_id` on the stand-in's page."""
    async with http.get(base + "/auth/login", allow_redirects=False) as resp:
        assert resp.status == 303, await resp.text()
        authorize = yarl.URL(resp.headers["Location"])
    form = {**authorize.query, "user_id": str(user_id)}
    async with http.post(authorize.with_query(None), data=form, allow_redirects=False) as resp:
        assert resp.status == 302, await resp.text()
        callback = resp.headers["Location"]
    async with http.get(callback, allow_redirects=False) as resp:
        assert resp.status == 303, f"sign-in failed: {resp.status}"


def _settings(world: FakeDiscord, port: int, plugins: PluginManager) -> Settings:
    data: dict[str, Any] = {
        "economy": {"uex_sync_minutes": 0},
        "web": {
            "host": "127.0.0.1",
            "port": port,
            "public_url": f"http://127.0.0.1:{port}",
            "client_id": world.application_id,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "oauth_base": world.base_url,
            "api_base": world.api_base,
        },
    }
    settings = Settings.model_validate(data)
    settings.bind_plugins({spec.name: spec.settings for spec in plugins.specs()})
    return settings


class Portal_:
    """The stand-in's guild mirrored into the database, a portal serving on loopback with the
    server clock in front, and a client signed in as the guild's treasurer."""

    def __init__(self) -> None:
        self.clock = VirtualClock(T0 + timedelta(hours=1))
        self.world = FakeDiscord(clock=self.clock)
        self.stack: list[Any] = []

    async def __aenter__(self) -> Site:
        guild = self.world.guild("Red Legion")
        role = guild.role("Treasurer")
        treasurer = guild.member("Tess", roles=[role]).user.id
        served = self.world.serve(patch_discord=False)
        await served.__aenter__()
        self.stack.append(served)
        plugins = PluginManager(entry_point_group=None)
        port = _free_port()
        settings = _settings(self.world, port, plugins)
        await members.ensure_guild(guild.id, guild.name)
        await members.upsert_members(
            guild.id,
            [members.MemberInfo(treasurer, "tess", "Tess", (role.id,), is_org_member=True)],
        )
        await set_role_level(guild.id, role.id, Level.TREASURER)
        timer = ServerClock()
        portal = Portal(settings, plugins, clock=self.clock)
        timer.watch_rendering(portal)
        app = portal.app()
        app.middlewares.insert(0, timer.middleware)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        self.stack.append(runner)
        await web.TCPSite(runner, "127.0.0.1", port).start()
        base = f"http://127.0.0.1:{port}"
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.stack.append(http)
        await _sign_in(http, base, treasurer)
        return Site(http, base, guild.id, treasurer, settings, self.clock, timer)

    async def __aexit__(self, *exc: object) -> None:
        http, runner, served = self.stack[2], self.stack[1], self.stack[0]
        await http.close()
        await runner.cleanup()
        await served.__aexit__(None, None, None)


# -- what the pages show ---------------------------------------------------------------------


async def add_members(guild_id: int, count: int) -> list[int]:
    ids = list(range(FIRST_MEMBER, FIRST_MEMBER + count))
    await members.upsert_members(
        guild_id, [members.MemberInfo(u, f"m{u}", f"Miner {u}", is_org_member=True) for u in ids]
    )
    return ids


async def active_event(guild_id: int, ids: list[int], *, in_voice: bool) -> int:
    """An active op: everyone joined, moved from A to B (one closed session, one open);
    with `in_voice` false, they left too (both sessions closed)."""
    event = await events.create_event(guild_id, at=T0)
    await events.start_event(guild_id, event.id, at=T0, allow_concurrent=True)
    rows = []
    for n, user in enumerate(ids):
        join = T0 + timedelta(seconds=n % 600)
        move = join + timedelta(minutes=10 + n % 20)
        leave = move + timedelta(minutes=5 + n % 15) if not in_voice else None
        for start, end, channel in ((join, move, A), (move, leave, B)):
            seconds = round((end - start).total_seconds()) if end else None
            rows.append(
                MiningParticipation(
                    event_id=event.id,
                    user_id=user,
                    channel_id=channel,
                    session_start=start,
                    session_end=end,
                    duration_seconds=seconds,
                    is_org_member=True,
                )
            )
    await MiningParticipation.bulk_create(rows, batch_size=500)
    return event.id


async def ended_event(guild_id: int, ids: list[int], settings: MiningSettings) -> int:
    """An ended op with everything its page shows: times, yields, expenses, a time set by
    hand, a donation and the committed payroll's payouts."""
    event_id = await active_event(guild_id, ids, in_voice=False)
    await events.stop_event(guild_id, event_id, at=T0 + timedelta(hours=1))
    await yields.add_yields(
        guild_id,
        event_id,
        [
            yields.YieldInput(material, "12.5", ids[n % len(ids)], value=f"{98765 + n}.43")
            for n, material in enumerate(("Gold", "Quantanium", "Laranite", "Agricium", "Gold"))
        ],
    )
    for n in range(5):
        await expenses.add_expense(
            guild_id, event_id, amount=f"{1000 + n}.50", paid_by=ids[n % len(ids)], kind="refinery"
        )
    await adjustments.set_time(
        guild_id,
        event_id,
        ids[1],
        minutes=45,
        reason="was in the wrong channel",
        actor_id=ids[0],
        at=T0 + timedelta(hours=1),
    )
    await payroll.set_donation(guild_id, event_id, ids[-1])
    await payroll.commit(guild_id, event_id, settings=settings, at=T0 + timedelta(hours=2))
    return event_id


async def add_ledger_entries(guild_id: int, count: int, *, before: datetime) -> None:
    """`count` more entries (transactions of two lines: the treasury and a member), half of
    them trades, spread over the days before `before`; multi-row INSERTs."""
    refs = [ledger.member(FIRST_MEMBER + n) for n in range(LEDGER_MEMBERS)]
    ids = dict(await Account.filter(guild_id=guild_id).values_list("key", "id"))
    for ref in refs:
        if ref.key not in ids:  # the account, opened by the ledger itself
            await ledger.post(
                guild_id,
                kind=TxKind.ADJUSTMENT,
                memo="opening",
                lines=[Line(TREASURY, Decimal("1.00")), Line(ref, Decimal("-1.00"))],
                at=before - timedelta(days=400),
            )
            count -= 2
    ids = dict(await Account.filter(guild_id=guild_id).values_list("key", "id"))
    start = await sql.fetch("SELECT COUNT(*) FROM ledger_transactions", [])
    offset = int(start[0][0])
    txs = []
    for n in range(offset, offset + count // 2):
        kind = TxKind.TRADE if n % 2 else TxKind.SALE
        at = before - timedelta(minutes=7 * (n + 1))
        txs.append((guild_id, kind.value, f"{kind.value} #{n}", f"bench:{n}", None, at, at))
    found = await sql.insert_rows(
        "ledger_transactions",
        ("guild_id", "kind", "memo", "reference", "actor_id", "at", "created_at"),
        txs,
        returning="id, reference",
    )
    by_ref = {ref: tx for tx, ref in found}
    entries = []
    for guild, _, _, ref, _, at, _ in txs:
        n = int(ref.split(":")[1])
        amount = Decimal(f"{100 + n % 900}.25")
        entries.append((by_ref[ref], ids[TREASURY.key], guild, amount, at))
        entries.append((by_ref[ref], ids[refs[n % LEDGER_MEMBERS].key], guild, -amount, at))
    await sql.insert_rows(
        "ledger_entries", ("transaction_id", "account_id", "guild_id", "amount", "at"), entries
    )


async def analyzed() -> None:
    """PostgreSQL's statistics brought up to date after a bulk load, as autovacuum does within
    a minute of one (`autovacuum_naptime`) in a running database. Without them it plans the
    fresh tables from guesses (44 rows of 10,000), and a cached generic plan of the filtered
    ledger joined by nested loops: 2 s a page (bench/README.md). SQLite plans without
    statistics here (nothing runs ANALYZE on it), so it is left as the bot leaves it."""
    if sql.dialect().postgres and ANALYZE:
        await sql.execute("ANALYZE")


# -- measuring -------------------------------------------------------------------------------


@dataclass
class Figures:
    what: str
    size: int
    server: float  # median server time of the request
    rendering: float  # median time of that spent rendering templates (0 for JSON)
    trip: float  # median round trip seen by the client (loopback)
    direct: float  # median time of the same service calls, made directly
    http_queries: int
    direct_queries: int
    body: int  # bytes


# a request takes milliseconds, and one slow one on a shared machine moves a median of a few:
# each round is this many request and direct-call pairs
SAMPLES_PER_ROUND = 10


async def measure(
    site: Site,
    what: str,
    size: int,
    path: str,
    direct: Callable[[], Awaitable[Any]],
    check: Callable[[bytes, Any], None],
    rounds: int,
) -> Figures:
    """One page and its direct twin: checked to show the same rows, counted (the page warm),
    then timed alternately (ABAB)."""
    await site.get(path)  # warm, as a portal serving the guild is (its plugin choices read)
    with count_queries() as q:
        _, _, body = await site.get(path)
    http_queries = len(q)
    if SHOW_QUERIES:
        print(f"-- {what} {size}: the request's statements", *q, sep="\n", file=sys.stderr)
    with count_queries() as q:
        shown = await direct()
    direct_queries = len(q)
    check(body, shown)
    servers, renders, trips, directs = [], [], [], []
    for _ in range(rounds * SAMPLES_PER_ROUND):
        server, trip, _ = await site.get(path)
        servers.append(server)
        renders.append(site.timer.rendering)
        trips.append(trip)
        started = time.perf_counter()
        await direct()
        directs.append(time.perf_counter() - started)
    return Figures(
        what,
        size,
        statistics.median(servers),
        statistics.median(renders),
        statistics.median(trips),
        statistics.median(directs),
        http_queries,
        direct_queries,
        len(body),
    )


def _shows_all(names: list[str]) -> Callable[[bytes, Any], None]:
    def check(body: bytes, _: Any) -> None:
        text = body.decode()
        missing = [n for n in names if n not in text]
        assert not missing, f"the page leaves out {missing[:3]}"

    return check


async def bench_event_pages(site: Site, sizes: list[int], rounds: int) -> list[Figures]:
    guild = site.guild_id
    settings: MiningSettings = site.settings.plugin_settings("mining", guild)
    ids = await add_members(guild, max(sizes))
    out = []
    for size in sizes:
        event_id = await ended_event(guild, ids[:size], settings)
        await analyzed()
        now = site.clock.now()

        async def direct(event_id: int = event_id, now: datetime = now) -> Any:
            # event_page's calls, in its order (a treasurer is an officer: every section)
            view = await events.show_event(
                guild, event_id, now=now, min_session_seconds=settings.min_session_seconds
            )
            return (
                view,
                await payroll.payouts(guild, event_id),
                await yields.list_yields(guild, event_id),
                await expenses.list_expenses(guild, event_id),
                await adjustments.adjustments(guild, event_id),
            )  # no member list: its forms are gone once payroll is committed

        view = await events.show_event(guild, event_id, now=now)
        assert len(view.participants) == size
        out.append(
            await measure(
                site,
                "event page",
                size,
                f"/g/{guild}/mining/events/{event_id}",
                direct,
                _shows_all([p.name for p in view.participants]),
                rounds,
            )
        )
    return out


async def bench_live(site: Site, sizes: list[int], rounds: int) -> list[Figures]:
    import json

    guild = site.guild_id
    settings: MiningSettings = site.settings.plugin_settings("mining", guild)
    ids = await add_members(guild, max(sizes))
    out = []
    for size in sizes:
        event_id = await active_event(guild, ids[:size], in_voice=True)
        await analyzed()
        now = site.clock.now()

        async def direct(event_id: int = event_id, now: datetime = now) -> Any:
            return await live_view(
                guild, event_id, now=now, min_session_seconds=settings.min_session_seconds
            )

        def check(body: bytes, view: Any, size: int = size) -> None:
            data = json.loads(body)
            assert data["in_voice"] == view.in_voice == size, (data["in_voice"], size)
            assert len(data["participants"]) == len(view.participants) == size

        out.append(
            await measure(
                site,
                "live.json ",
                size,
                f"/g/{guild}/mining/events/{event_id}/live.json",
                direct,
                check,
                rounds,
            )
        )
        await events.stop_event(guild, event_id, at=now)  # leaves voice: the next op's turn
    return out


async def bench_ledger(site: Site, sizes: list[int], rounds: int) -> list[Figures]:
    guild = site.guild_id
    await add_members(guild, LEDGER_MEMBERS)
    before = site.clock.now()
    out, have = [], 0
    for size in sorted(sizes):
        await add_ledger_entries(guild, size - have, before=before)
        have = size
        await analyzed()
        trades = await sql.fetch(
            "SELECT COUNT(*) FROM ledger_entries e JOIN ledger_transactions t "
            "ON t.id = e.transaction_id WHERE t.kind = $1",
            ["trade"],
        )
        later = max(1, -(-int(trades[0][0]) // PER_PAGE) // 2)
        for label, query, chosen, page in (
            ("ledger p.1 ", "", LedgerFilter(), 1),
            (
                f"ledger trades p.{later}",
                f"?kind=trade&page={later}",
                LedgerFilter(kind=TxKind.TRADE),
                later,
            ),
        ):

            async def direct(chosen: LedgerFilter = chosen, page: int = page) -> Any:
                # ledger_list's calls: the page, and the members for the filter's picker
                return await ledger_page(guild, chosen, page=page), await member_positions(guild)

            def check(body: bytes, shown: Any) -> None:
                text = body.decode()
                rows = shown[0].rows
                assert rows, "an empty page"
                missing = [r.memo for r in rows if r.memo not in text]
                assert not missing, f"the page leaves out {missing[:3]}"

            out.append(
                await measure(
                    site, label, size, f"/g/{guild}/economy/ledger{query}", direct, check, rounds
                )
            )
    return out


def verdict(ratio: float, target: float = 1.5) -> str:
    return f"{ratio:.2f}× (target ≤ {target:.2f}×) {'OK' if ratio <= target else 'MISSED'}"


def line(kind: str, f: Figures) -> str:
    return (
        f"{kind:<8} {f.what:<18} {f.size:>6,}: server {f.server * 1000:7.2f} ms "
        f"({f.http_queries} queries, {f.body / 1024:.0f} KiB, "
        f"rendering {f.rendering * 1000:.2f} ms; round trip {f.trip * 1000:.2f} ms), "
        f"direct {f.direct * 1000:7.2f} ms ({f.direct_queries} queries) → "
        f"{verdict(f.server / f.direct)}"
    )


async def run_backend(kind: str, args: argparse.Namespace, tmp: Path) -> list[str]:
    backend = await make_backend(kind, args.pg, tmp)
    figures: list[Figures] = []
    try:
        async with Database(backend.url, PluginManager(entry_point_group=None).specs()) as db:
            await migrations.upgrade(db)
            async with Portal_() as site:
                for channel, name in ((A, "Alpha"), (B, "Beta")):
                    await channels.add_channel(
                        site.guild_id, channel, name, voice_channel_ids={A, B, LOBBY}
                    )
                figures += await bench_event_pages(site, args.participants, args.rounds)
                figures += await bench_live(site, args.participants, args.rounds)
                figures += await bench_ledger(site, args.entries, args.rounds)
    finally:
        await backend.drop()
    return [line(kind, f) for f in figures]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help=f"repetitions of {SAMPLES_PER_ROUND} timed pairs each (median is shown)",
    )
    parser.add_argument("--participants", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--entries", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument(
        "--pg",
        default=os.environ.get("REDLEGION_TEST_PG", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server (a database is created and dropped there)",
    )
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="leave PostgreSQL without statistics on the loaded rows (before autovacuum)",
    )
    args = parser.parse_args()
    global ANALYZE
    ANALYZE = not args.no_analyze
    lines = []
    with tempfile.TemporaryDirectory(prefix="rl-portal-bench-") as tmp:
        for kind in args.backends.split(","):
            lines += await run_backend(kind.strip(), args, Path(tmp))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
