"""PostgreSQL round trips: a query through Tortoise with and without asyncpg's pool reset.

    .venv/bin/python bench/pool_bench.py [--queries 2000] [--pg postgres://…]

`storage.Database` gives asyncpg's pool a reset that sends nothing (`keep_session`); asyncpg's
default sends a reset query each time a connection goes back to the pool, i.e. after every
query outside a transaction. Both pools are measured in one run, alternating, on the server's
`postgres` database (nothing is written).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time

from tortoise import Tortoise, connections

from core.plugins import PluginManager
from storage import tortoise_config


async def per_query(url: str, queries: int, *, keep_session: bool) -> float:
    """Median seconds of one `SELECT 1` through Tortoise's client."""
    config = tortoise_config(url, PluginManager(entry_point_group=None).specs())
    if not keep_session:  # asyncpg's default reset
        config["connections"]["default"]["credentials"].pop("reset")
    await Tortoise.init(config=config)
    try:
        client = connections.get("default")
        await client.execute_query("SELECT 1")
        times = []
        for _ in range(queries):
            started = time.perf_counter()
            await client.execute_query("SELECT 1")
            times.append(time.perf_counter() - started)
        return statistics.median(times)
    finally:
        await Tortoise.close_connections()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument(
        "--pg", default=os.environ.get("REDLEGION_TEST_PG", "postgres://postgres@127.0.0.1:5432")
    )
    args = parser.parse_args()
    url = f"{args.pg}/postgres"
    quiet, default = [], []
    for _ in range(3):  # alternate, so both see the same machine
        quiet.append(await per_query(url, args.queries, keep_session=True))
        default.append(await per_query(url, args.queries, keep_session=False))
    q, d = statistics.median(quiet), statistics.median(default)
    print(
        f"postgres SELECT 1 through Tortoise: {q * 1000:.3f} ms with keep_session, "
        f"{d * 1000:.3f} ms with asyncpg's reset query → {d / q:.2f}×"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
