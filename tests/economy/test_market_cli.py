"""`redlegion prices sync` as the operator runs it, against the local UEX stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from core.cli import main
from fakeuex import FakeUex
from plugins.economy.models import MarketSellPrice, Material
from storage import Database
from tests.conftest import Backend, builtin_plugins


@pytest.fixture
def uex() -> Iterator[FakeUex]:
    with FakeUex().running() as server:
        yield server


@pytest.fixture
def database_url(
    backend: Backend, uex: FakeUex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A migrated database, and a config pointing the sync at the stand-in (short timeout)."""
    url = asyncio.run(backend.new_database())
    config = tmp_path / "config.toml"
    config.write_text(
        f'[economy]\nuex_base_url = "{uex.base_url}"\nuex_timeout_seconds = 0.5\n'
        'uex_token = "from-the-config-file"\n'
    )
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("REDLEGION_CONFIG", str(config))
    monkeypatch.delenv("UEX_API_TOKEN", raising=False)
    try:
        yield url
    finally:
        asyncio.run(backend.drop(url))


def market(url: str) -> tuple[list[tuple[str, Decimal | None]], list[tuple[int, int, str]]]:
    async def read():  # type: ignore[no-untyped-def]
        async with Database(url, builtin_plugins().specs()):
            materials = sorted(await Material.all().values_list("name", "current_market_value"))
            places = sorted(
                (m, t, str(p))
                for m, t, p in await MarketSellPrice.all().values_list(
                    "material_id", "terminal_id", "price_sell"
                )
            )
            return materials, places

    return asyncio.run(read())


def test_prices_sync_applies_uex_and_says_what_changed(database_url, uex, capsys):
    assert main(["prices", "sync"]) == 0
    out = capsys.readouterr().out
    assert "2 price(s) changed" in out and "Laranite: 3,100.00 → 2,569.00" in out
    assert "held: Aphorite: 15,000.00 → 216,115.00" in out
    assert "Places to sell: 7 new" in out
    assert dict(market(database_url)[0])["Laranite"] == Decimal("2569.00")
    # the config's token went as a Bearer header, and was printed nowhere
    assert {r.authorization for r in uex.requests} == {"Bearer from-the-config-file"}
    assert "from-the-config-file" not in out
    assert main(["prices", "sync", "--accept-jumps"]) == 0
    assert "Aphorite: 15,000.00 → 216,115.00" in capsys.readouterr().out
    assert dict(market(database_url)[0])["Aphorite"] == Decimal("216115.00")


@pytest.mark.parametrize(
    ("kind", "options", "said"),
    [
        ("timeout", {"delay": 3}, "error: UEX did not answer /commodities within 0.5 s; try later"),
        ("server_error", {"status": 502}, "error: UEX is failing (HTTP 502 on /commodities)"),
        ("rate_limit", {"retry_after": 90}, "429 on /commodities): wait 90 s before the next try"),
        ("truncated", {}, "error: UEX sent invalid JSON for /commodities"),
    ],
    ids=["timeout", "5xx", "429", "partial"],
)
def test_prices_sync_failure_is_one_line_and_changes_nothing(
    database_url, uex, capsys, kind, options, said
):
    assert main(["prices", "sync"]) == 0
    capsys.readouterr()
    uex.commodity("Laranite")["price_sell"] = 2700
    before = market(database_url)
    uex.fault(kind, **options)
    assert main(["prices", "sync"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert said in captured.err and captured.err.count("\n") == 1
    assert market(database_url) == before


def test_prices_sync_token_from_the_environment_refused(database_url, uex, capsys, monkeypatch):
    uex.required_token = "the-right-one"
    monkeypatch.setenv("UEX_API_TOKEN", "a-stale-one")
    before = market(database_url)
    assert main(["prices", "sync"]) == 2
    err = capsys.readouterr().err
    assert "UEX refused the token (HTTP 401 on /commodities)" in err
    assert "a-stale-one" not in err and err.count("\n") == 1
    assert {r.authorization for r in uex.requests} == {"Bearer a-stale-one"}
    assert market(database_url) == before
