"""`redlegion prices import` and `redlegion report finances`, as the operator runs them."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from core import members
from core.cli import main
from plugins.economy import ledger
from plugins.economy.ledger import INCOME, TREASURY, Line, TxKind
from plugins.economy.models import Material, PricePoint
from storage import Database
from tests.conftest import Backend, builtin_plugins
from tests.economy.conftest import GUILD, T0

UEX = {
    "status": "ok",
    "data": [
        {"name": "Quantainium", "price_sell": 21000, "price_buy": 0},
        {"name": "Laranite", "price_sell": 3150.5, "price_buy": 0},
        {"name": "Stims", "price_sell": 3, "price_buy": 2},
    ],
}


@pytest.fixture
def database_url(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated database the CLI finds through DATABASE_URL (sync: the CLI runs its loop)."""
    url = asyncio.run(backend.new_database())
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("REDLEGION_CONFIG", raising=False)
    monkeypatch.chdir(Path(__file__).parent)  # no config.toml here: defaults
    try:
        yield url
    finally:
        asyncio.run(backend.drop(url))


def in_database(url: str, work):  # type: ignore[no-untyped-def]
    async def run():  # type: ignore[no-untyped-def]
        async with Database(url, builtin_plugins().specs()):
            return await work()

    return asyncio.run(run())


async def _prices() -> dict[str, Decimal | None]:
    return dict(await Material.all().values_list("name", "current_market_value"))


def test_prices_import_sets_reference_prices(database_url, tmp_path, capsys):
    path = tmp_path / "commodities.json"
    path.write_text(json.dumps(UEX))
    assert main(["prices", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "2 price(s) changed" in out and "1 not our materials" in out and "Stims" in out
    prices = in_database(database_url, _prices)
    assert prices["Quantainium"] == Decimal("21000.00")
    assert prices["Laranite"] == Decimal("3150.50")


def test_prices_import_refuses_a_bad_file_whole(database_url, tmp_path, capsys):
    bad = {"status": "ok", "data": [*UEX["data"], {"name": "Gold", "price_sell": "n/a"}]}
    path = tmp_path / "commodities.json"
    path.write_text(json.dumps(bad))
    before = in_database(database_url, _prices)
    points = in_database(database_url, lambda: PricePoint.all().count())
    assert main(["prices", "import", str(path)]) == 2
    assert "row 4: price_sell 'n/a' is not a number" in capsys.readouterr().err
    assert in_database(database_url, _prices) == before
    assert in_database(database_url, lambda: PricePoint.all().count()) == points
    assert main(["prices", "import", str(tmp_path / "missing.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("deep.json", b"[" * 50_000 + b"]" * 50_000, "nested more than 32 levels deep"),
        ("digits.json", b'[{"name": "Gold", "price_sell": ' + b"9" * 5000 + b"}]", "5,000 digits"),
        ("nul.csv", b"name,price_sell\nGo\x00ld,1\n", "control character .U.0000. on line 2"),
        ("utf16.csv", "name,price_sell\nGold,1\n".encode("utf-16"), "not UTF-8"),
        ("huge.csv", b"name,price_sell\n" + b"Gold,1\n" * 1_000_000, "over 5 MB"),
    ],
)
def test_prices_import_refuses_a_hostile_file_through_the_shared_loader(
    database_url, tmp_path, capsys, name, data, message
):
    path = tmp_path / name
    path.write_bytes(data)
    points = in_database(database_url, lambda: PricePoint.all().count())
    assert main(["prices", "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and re.search(message, err), err
    assert "Traceback" not in err
    assert in_database(database_url, lambda: PricePoint.all().count()) == points


def test_report_finances_writes_csv_and_pdf(database_url, tmp_path, capsys):
    async def some_business() -> None:
        await members.ensure_guild(GUILD, "Red Legion")
        lines = [Line(TREASURY, Decimal("1234.56")), Line(INCOME, Decimal("-1234.56"))]
        await ledger.post(GUILD, kind=TxKind.SALE, memo="ore", lines=lines, at=T0)

    in_database(database_url, some_business)
    day = f"{T0.date():%Y-%m-%d}"
    args = ["report", "finances", "--guild", str(GUILD), "--from", day, "--to", day]
    assert main([*args, "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "Finances of Red Legion" in out and "1,234.56" in out
    [pdf] = (tmp_path / "out").glob("*.pdf")
    [csv_file] = (tmp_path / "out").glob("*.csv")
    assert "summary,Income,,1234.56" in csv_file.read_text()
    assert "Treasury balance" in PdfReader(pdf).pages[0].extract_text()
    assert main(["report", "finances", "--guild", "42", "--out", str(tmp_path)]) == 2
    assert "server 42 is not known" in capsys.readouterr().err
