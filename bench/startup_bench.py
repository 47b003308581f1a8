"""Start-up with many guilds: the bot against a bare discord.py client, through the stand-in.

    .venv/bin/python bench/startup_bench.py [--sizes 1,100,1000] [--rounds 3] [--pg postgres://…]

For each backend, each number of guilds and each layout (one process on one shard; two
processes with two shards each, four in all), the same stand-in world (every guild with
`--members` members, two voice channels, a few members in voice, an active mining event in
every tenth guild) is served to:

- the bot, in processes of its own (`redlegion run`'s bot, built the same way), from
  `start()` until every guild of its shards is ready and reconciled (`redlegion_guild_handled`
  for each: rows written, plugins' reconciliation done), with the statements it sent counted;
- a bare `discord.Client` (`AutoShardedClient` for shards) with the bot's intents and ready
  timeout, from `start()` until `on_ready` (every guild received, members chunked).

Rounds alternate bot and bare (ABAB) and each figure is a median; the first bot start of a
world (its rows created) is reported apart from restarts (the rows there already). With two
processes a start takes as long as the slower one. Target: ≤ 3× the bare client at 1,000
guilds. `--child` is how the bench runs its own processes; bench/README.md says why the bare
client is the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

READY_TIMEOUT = 0.05  # discord.py waits this long after the last GUILD_CREATE
CHILD_TIMEOUT = float(
    os.environ.get("STARTUP_BENCH_CHILD_TIMEOUT", "600")
)  # a start that takes longer is a hang, not a figure
LAYOUTS = {"1 shard": [None], "4 shards": [(4, (0, 1)), (4, (2, 3))]}
# SQLite serves one bot process (README): its four shards run in one
SQLITE_LAYOUTS = {"1 shard": [None], "4 shards": [(4, (0, 1, 2, 3))]}


# --- the child processes ---------------------------------------------------------------------


async def _finish(task: asyncio.Task[None]) -> None:
    """Let a closed client's start() return; AutoShardedClient's may not after close(), so it
    is cancelled after a grace period, and left behind if even that hangs (the figures are
    taken by then, and the process ends)."""
    await asyncio.wait({task}, timeout=5)
    task.cancel()
    await asyncio.wait({task}, timeout=5)


async def _all(*waits: Coroutine[Any, Any, Any]) -> None:
    await asyncio.gather(*waits)


async def child_bot(shards: tuple[int, tuple[int, ...]] | None, expect: int) -> dict[str, Any]:
    """One bot process: start, wait until `expect` guilds were handled, report, stop."""
    from core.bot import make_bot
    from core.cli import _point_discord_at
    from core.runtime import Runtime
    from storage.querycount import count_queries

    runtime = Runtime.load(os.environ["REDLEGION_CONFIG"])
    settings = runtime.settings
    if shards is not None:
        settings.discord = settings.discord.model_copy(
            update={"shard_count": shards[0], "shard_ids": list(shards[1])}
        )
    _point_discord_at(runtime)
    token = settings.token.get_secret_value() if settings.token else ""
    async with runtime.open_database():
        bot = make_bot(settings, runtime.plugins, guild_ready_timeout=READY_TIMEOUT)
        handled: set[int] = set()
        done = asyncio.Event()
        if not expect:
            done.set()

        async def on_redlegion_guild_handled(guild_id: int) -> None:
            handled.add(guild_id)
            if len(handled) >= expect:
                done.set()

        bot.on_redlegion_guild_handled = on_redlegion_guild_handled  # type: ignore[attr-defined]
        waits: list[float] = []
        with count_queries() as statements:
            started = time.perf_counter()
            task = asyncio.create_task(bot.start(token))
            probe = asyncio.create_task(command_waits(waits))
            # ready (every shard of the process connected, as the bare client's on_ready) and
            # every guild of its shards handled; a process whose shards hold none: ready
            waiter = asyncio.create_task(_all(bot.wait_until_ready(), done.wait()))
            await asyncio.wait(
                {task, waiter}, timeout=CHILD_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
            )
            if task.done():
                task.result()
                raise RuntimeError("the bot stopped before its guilds were handled")
            if not waiter.done():
                for stuck in asyncio.all_tasks():  # where it hangs, in the child's log
                    stuck.print_stack(limit=6, file=sys.stderr)
                raise RuntimeError(f"the bot handled {len(handled)} of {expect} guilds in time")
            seconds = time.perf_counter() - started
            probe.cancel()
            await asyncio.gather(probe, return_exceptions=True)
            count = len(statements) - len(waits) - 1  # the probe's own (and one cut short)
        await bot.close()
        await _finish(task)
    return {
        "seconds": seconds,
        "queries": count,
        "guilds": len(handled),
        "wait_ms": 1000 * max(waits, default=0.0),
    }


async def command_waits(waits: list[float]) -> None:
    """What a command's first statement waits while start-up runs: a `SELECT 1` on the
    bot's pool every 10 ms, each one's time noted (a command is its own query plus this)."""
    from tortoise import connections

    connection = connections.get("default")
    while True:
        began = time.perf_counter()
        await connection.execute_query("SELECT 1")
        waits.append(time.perf_counter() - began)
        await asyncio.sleep(0.01)


async def child_bare(shards: tuple[int, tuple[int, ...]] | None, expect: int) -> dict[str, Any]:
    """A bare discord.py client with the bot's intents: start until on_ready."""
    import discord
    import yarl

    from core.bot import intents

    discord.http.Route.BASE = os.environ["REDLEGION_DISCORD_API_BASE"].rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(
        os.environ["REDLEGION_DISCORD_GATEWAY_URL"]
    )
    # the bot's own gateway options: its intents, and no member chunking before ready
    options: dict[str, Any] = {
        "intents": intents(),
        "guild_ready_timeout": READY_TIMEOUT,
        "chunk_guilds_at_startup": False,
    }
    client: discord.Client
    if shards is None:
        client = discord.Client(**options)
    else:
        client = discord.AutoShardedClient(
            shard_count=shards[0], shard_ids=list(shards[1]), **options
        )
    ready = asyncio.Event()

    async def on_ready() -> None:
        ready.set()

    client.on_ready = on_ready  # type: ignore[attr-defined]
    started = time.perf_counter()
    task = asyncio.create_task(client.start(os.environ["DISCORD_TOKEN"]))
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait({task, waiter}, timeout=CHILD_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
        raise RuntimeError("the client stopped before it was ready")
    if not waiter.done():
        raise RuntimeError(f"the client saw {len(client.guilds)} of {expect} guilds, not ready")
    seconds = time.perf_counter() - started
    guilds = len(client.guilds)
    await client.close()
    await _finish(task)
    if guilds != expect:
        raise RuntimeError(f"the bare client saw {guilds} guilds, not {expect}")
    return {"seconds": seconds, "queries": 0, "guilds": guilds}


def run_child(args: argparse.Namespace) -> None:
    shards = None
    if args.shard_count:
        shards = (args.shard_count, tuple(int(s) for s in args.shard_ids.split(",")))
    job = child_bot if args.child == "bot" else child_bare
    profile_to = os.environ.get("STARTUP_BENCH_PROFILE")  # a file: where the bot's time goes
    if profile_to and args.child == "bot":
        import cProfile

        with cProfile.Profile() as profile:
            result = asyncio.run(job(shards, args.expect))
        profile.dump_stats(profile_to)
    else:
        result = asyncio.run(job(shards, args.expect))
    print(json.dumps(result), flush=True)


# --- the parent ------------------------------------------------------------------------------


@dataclass
class Backend:
    kind: str
    url: str
    cleanup: Any = None


async def make_backend(kind: str, pg: str) -> Backend:
    if kind == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="startup-bench-")) / "bench.sqlite3"
        return Backend(kind, f"sqlite://{path}")
    name = f"startup_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(f"{pg}/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()

    async def drop() -> None:
        conn = await asyncpg.connect(f"{pg}/postgres")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    return Backend(kind, f"{pg}/{name}", drop)


def build_world(guilds: int, members: int) -> Any:
    from fakediscord import FakeDiscord

    world = FakeDiscord(timeout=120.0)
    for g in range(guilds):
        guild = world.guild(f"Org {g}")
        ore = guild.voice("Mining Ops")
        guild.voice("Lounge")
        for m in range(members):
            guild.member(f"miner{g}-{m}")
        guild._bench_ore = ore  # type: ignore[attr-defined]
    return world


async def seat_miners(world: Any) -> None:
    """Two members of every guild in its mining channel (the bot reconciles them at start)."""
    for guild in world.guilds.values():
        humans = [m for m in guild.members.values() if not m.user.bot][:2]
        for member in humans:
            await member.join(guild._bench_ore)


async def open_events(url: str, world: Any) -> int:
    """An active mining event, its channel approved, in every tenth guild (rows exist by now)."""
    from core.runtime import Runtime
    from plugins.mining import channels, events

    runtime = Runtime.load(os.environ["REDLEGION_CONFIG"])
    opened = 0
    async with runtime.open_database(url):
        for n, guild in enumerate(world.guilds.values()):
            if n % 10:
                continue
            ore = guild._bench_ore
            await channels.add_channel(guild.id, ore.id, ore.name, voice_channel_ids=[ore.id])
            now = world.clock.now()
            event = await events.create_event(guild.id, at=now, name="Sunday op")
            await events.start_event(guild.id, event.id, at=now)
            opened += 1
    return opened


def _shard_of(guild_id: int, count: int) -> int:
    return (guild_id >> 22) % count


async def start_layout(mode: str, layout: str, world: Any, env: dict[str, str]) -> dict[str, Any]:
    layouts = SQLITE_LAYOUTS if env["DATABASE_URL"].startswith("sqlite") else LAYOUTS
    """Run one start of `mode` in `layout`'s processes at once; the slowest one's figures."""
    jobs, logs = [], []
    for shards in layouts[layout]:
        argv = [sys.executable, __file__, "--child", mode]
        if shards is None:
            expect = len(world.guilds)
        else:
            count, ids = shards
            expect = sum(1 for g in world.guilds if _shard_of(g, count) in ids)
            argv += ["--shard-count", str(count), "--shard-ids", ",".join(map(str, ids))]
        argv += ["--expect", str(expect)]
        # the child's log goes to a file: a pipe nobody reads while it runs can fill and stall it
        log = tempfile.NamedTemporaryFile(prefix=f"startup-bench-{mode}-", suffix=".log")  # noqa: SIM115 (closed below, once the child ended)
        logs.append(log)
        jobs.append(
            asyncio.create_subprocess_exec(
                *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=log
            )
        )
    processes = [await job for job in jobs]
    outputs = await asyncio.gather(*(p.communicate() for p in processes))
    results = []
    for process, (out, _), log in zip(processes, outputs, logs, strict=True):
        with log:
            log.seek(0)
            err = log.read().decode(errors="replace")
        if process.returncode:
            raise RuntimeError(f"{mode} child failed:\n{err[-4000:]}")
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    return {
        "seconds": max(r["seconds"] for r in results),
        "queries": sum(r["queries"] for r in results),
        "guilds": sum(r["guilds"] for r in results),
        "wait_ms": max(r.get("wait_ms", 0.0) for r in results),
    }


async def bench_size(
    backend: Backend, size: int, members: int, rounds: int, config: Path, layouts: list[str]
) -> list[str]:
    world = build_world(size, members)
    lines = []
    async with world.serve(patch_discord=False):
        await seat_miners(world)
        env = {
            **os.environ,
            **world.environ(),
            "DATABASE_URL": backend.url,
            "REDLEGION_CONFIG": str(config),
            "PYTHONPATH": str(REPO),
        }
        for layout in layouts:
            first = await start_layout("bot", layout, world, env)
            if layout == layouts[0]:  # the events opened once the rows exist
                os.environ["REDLEGION_CONFIG"] = str(config)
                opened = await open_events(backend.url, world)
            bot, bare, queries, waits = [], [], [], []
            for _ in range(rounds):
                result = await start_layout("bot", layout, world, env)
                bot.append(result["seconds"])
                queries.append(result["queries"])
                waits.append(result["wait_ms"])
                bare.append((await start_layout("bare", layout, world, env))["seconds"])
            b, c = statistics.median(bot), statistics.median(bare)
            lines.append(
                f"{backend.kind:8} {size:5} guilds {layout:8}: bot {b:6.2f} s "
                f"({1000 * b / size:6.2f} ms/guild), bare {c:5.2f} s, ratio {b / c:5.2f}x, "
                f"queries/guild {statistics.median(queries) / size:5.1f}, command wait "
                f"max {max(waits):4.0f} ms; first start "
                f"{first['seconds']:5.2f} s, {first['queries'] / size:5.1f} queries/guild"
            )
            print(lines[-1], flush=True)
    del opened
    return lines


async def main(args: argparse.Namespace) -> None:
    config = Path(tempfile.mkdtemp(prefix="startup-bench-cfg-")) / "config.toml"
    config.write_text("[economy]\nuex_sync_minutes = 0\n")
    sizes = [int(s) for s in args.sizes.split(",")]
    for kind in args.backends.split(","):
        for size in sizes:
            # a database per size: the stand-in's ids repeat from world to world
            backend = await make_backend(kind, args.pg)
            try:
                await bench_size(
                    backend, size, args.members, args.rounds, config, args.layouts.split(",")
                )
            finally:
                if backend.cleanup is not None:
                    await backend.cleanup()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,100,1000")
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--layouts", default=",".join(LAYOUTS), help="of: " + ", ".join(LAYOUTS))
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--child", choices=("bot", "bare"))
    parser.add_argument("--shard-count", type=int)
    parser.add_argument("--shard-ids")
    parser.add_argument("--expect", type=int)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.child:
        run_child(arguments)
    else:
        asyncio.run(main(arguments))
