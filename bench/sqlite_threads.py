"""One SQLite file, two aiosqlite connections, the same statement: how far apart they time.

    .venv/bin/python bench/sqlite_threads.py [--trips 300] [--rounds 20]

Each aiosqlite connection runs its statements on a worker thread of its own, and every
statement is a trip from the event loop to that thread and back. This times one indexed
SELECT, `--trips` times a round, on two connections of one file (the same settings),
alternated (ABBA), and prints each connection's median time per trip. Run it a few times:
on a shared 2-core machine the two differ by up to 3x in one run and trade places in the
next, with nothing but the thread to tell them apart. That is why `mining_bench.py` runs
its SQLite baselines on the bot's own connection instead of a second one.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiosqlite

SELECT = "SELECT id FROM t WHERE id = ?"


async def per_trip(conn: aiosqlite.Connection, trips: int) -> float:
    started = time.perf_counter()
    for _ in range(trips):
        await conn.execute_fetchall(SELECT, (1,))
    return (time.perf_counter() - started) / trips


async def run(trips: int, rounds: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "trips.sqlite3")
        first = await aiosqlite.connect(path, isolation_level=None)
        await first.execute("PRAGMA journal_mode=WAL")  # the file's mode, for both
        await first.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        await first.execute("INSERT INTO t VALUES (1)")
        conns = {"A": first, "B": await aiosqlite.connect(path, isolation_level=None)}
        try:
            times: dict[str, list[float]] = {name: [] for name in conns}
            for round_ in range(rounds):
                order = ("A", "B") if round_ % 2 == 0 else ("B", "A")
                for name in order:
                    times[name].append(await per_trip(conns[name], trips))
            return times
        finally:
            for conn in conns.values():
                await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trips", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    times = asyncio.run(run(args.trips, args.rounds))
    a, b = (statistics.median(times[name]) for name in ("A", "B"))
    print(
        f"sqlite one SELECT a trip: connection A {a * 1e6:.1f} µs, connection B "
        f"{b * 1e6:.1f} µs, B/A {b / a:.2f}×"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
