"""The benchmark still runs (as a user runs it) and prints every figure it promises."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, PG_SERVER

BENCH = Path(__file__).parent.parent / "bench" / "mining_bench.py"


def bench_output(script: str, *args: str, timeout: int = 300, **env: str) -> str:
    """What a bench script prints, run as a user runs it (it must exit 0)."""
    result = subprocess.run(
        [sys.executable, str(BENCH.parent / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("kind", BACKENDS)
def test_mining_bench_prints_its_figures(kind: str):
    args = ["--events", "60", "--rounds", "1", "--sizes", "4", "300", "--backends", kind]
    out = bench_output("mining_bench.py", *args, "--pg", PG_SERVER)
    lines = out.splitlines()
    ratio = r"[\d.]+× \(target ≤ 1\.50×\) (OK|MISSED)"
    # the raw code is checked to write the same rows (the bench fails otherwise)
    assert re.match(
        rf"{kind}\s+voice .* events/s service, .* events/s best raw driver code → {ratio}, "
        "same rows$",
        lines[0],
    ), lines[0]
    for size, preview, commit in zip((4, 300), lines[1::2], lines[2::2], strict=True):
        # a fixed number of queries whatever the size
        assert re.match(
            rf"{kind}\s+payroll\s+{size} members: preview .* \(3 queries\), by hand .* → {ratio}$",
            preview,
        ), preview
        assert re.match(
            rf"{kind}\s+payroll\s+{size} members: commit .* \(9 queries\), by hand .* → {ratio}, "
            "same rows$",
            commit,
        ), commit
    assert len(lines) == 5


@pytest.mark.skipif("postgres" not in BACKENDS, reason="measures PostgreSQL's pool only")
def test_pool_bench_prints_both_figures():
    out = bench_output("pool_bench.py", "--queries", "20", "--pg", PG_SERVER, timeout=120)
    assert re.fullmatch(
        r"postgres SELECT 1 through Tortoise: [\d.]+ ms with keep_session, "
        r"[\d.]+ ms with asyncpg's reset query → [\d.]+×\n",
        out,
    ), out


@pytest.mark.parametrize("kind", BACKENDS)
def test_startup_bench_prints_its_figures(kind: str):
    """The start-up bench runs the bot and the bare client in processes of their own through
    the stand-in, on one shard and on four (a shard process holding no guild finishes too)."""
    out = bench_output(
        "startup_bench.py",
        *("--sizes", "1", "--rounds", "1", "--members", "3", "--backends", kind),
        *("--pg", PG_SERVER),
        STARTUP_BENCH_CHILD_TIMEOUT="120",
    )
    lines = out.splitlines()
    figure = (
        r"bot +[\d.]+ s \( *[\d.]+ ms/guild\), bare +[\d.]+ s, ratio +[\d.]+x, "
        r"queries/guild +[\d.]+, command wait max +\d+ ms; "
        r"first start +[\d.]+ s, +[\d.]+ queries/guild$"
    )
    assert len(lines) == 2, lines
    for line, layout in zip(lines, ("1 shard ", "4 shards"), strict=True):
        assert re.match(rf"{kind}\s+1 guilds {layout}: {figure}", line), line


@pytest.mark.parametrize("kind", BACKENDS)
def test_portal_bench_prints_its_figures(kind: str):
    """The portal bench serves each page signed in, checks it shows what the direct calls
    return, and prints both sizes of each with the statements they sent."""
    out = bench_output(
        "portal_bench.py",
        *("--rounds", "1", "--participants", "3", "12", "--entries", "120", "480"),
        *("--backends", kind, "--pg", PG_SERVER),
    )
    lines = out.splitlines()
    figure = (
        r"server +[\d.]+ ms \((\d+) queries, \d+ KiB, rendering [\d.]+ ms; "
        r"round trip [\d.]+ ms\), "
        r"direct +[\d.]+ ms \((\d+) queries\) → [\d.]+× \(target ≤ 1\.50×\) (OK|MISSED)$"
    )
    pages = [
        ("event page", 3),
        ("event page", 12),
        ("live.json", 3),
        ("live.json", 12),
        ("ledger p.1", 120),
        ("ledger trades p.1", 120),
        ("ledger p.1", 480),
        ("ledger trades p.2", 480),
    ]
    assert len(lines) == len(pages), lines
    counts: dict[str, set[tuple[str, str]]] = {}
    for line, (page, size) in zip(lines, pages, strict=True):
        found = re.match(rf"{kind}\s+{re.escape(page)}\s+{size}: {figure}", line)
        assert found, line
        counts.setdefault(page.split(" p.")[0], set()).add(found.groups()[:2])
    # a page sends as many statements at either size
    assert all(len(seen) == 1 for seen in counts.values()), counts


def test_sqlite_threads_bench_prints_both_connections():
    out = bench_output("sqlite_threads.py", "--trips", "5", "--rounds", "2", timeout=120)
    assert re.fullmatch(
        r"sqlite one SELECT a trip: connection A [\d.]+ µs, connection B [\d.]+ µs, "
        r"B/A [\d.]+×\n",
        out,
    ), out
