"""Price changes: a guild's own price, the operator's import, history, all-or-nothing files."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from core.errors import InvalidInput, NotFound
from plugins.economy.materials import find_material, price_of
from plugins.economy.models import GuildMaterialPrice, Material, PricePoint
from plugins.economy.prices import (
    clear_guild_price,
    import_prices,
    parse_prices,
    price_history,
    prices_now,
    set_guild_price,
)
from tests.economy.conftest import ALICE, GUILD, OTHER_GUILD, T0

D = Decimal


def uex(*rows: dict) -> str:
    return json.dumps({"status": "ok", "http_code": 200, "data": list(rows)})


UEX_SAMPLE = uex(
    {"id": 1, "name": "Quantainium", "code": "QUAN", "price_buy": 0, "price_sell": 21030.5},
    {"id": 2, "name": "Agricium (Ore)", "price_buy": 0, "price_sell": 1300},
    {"id": 3, "name": "Gold", "price_buy": 5900, "price_sell": 6423},
    {"id": 4, "name": "Medical Supplies", "price_buy": 1500, "price_sell": 1800},
    {"id": 5, "name": "Inert Materials", "price_buy": 0, "price_sell": 0},
    {"id": 6, "name": "Hadanite", "price_buy": 0, "price_sell": "27700.00"},
)


async def snapshot() -> tuple:
    """Everything a price change may touch, to prove a refused one touched nothing."""
    materials = sorted(await Material.all().values_list("id", "current_market_value"))
    own = sorted(await GuildMaterialPrice.all().values_list("guild_id", "material_id", "price"))
    return materials, own, await PricePoint.all().count()


async def test_guild_price_is_used_recorded_and_is_the_latest_point(guilds):
    gold = await find_material("gold")
    point = await set_guild_price(GUILD, gold, "7000.50", actor_id=ALICE, at=T0)
    assert await price_of(GUILD, gold) == D("7000.50")
    later = await set_guild_price(
        GUILD, gold, D("6999.99"), actor_id=ALICE, at=T0 + timedelta(hours=1)
    )
    assert await price_of(GUILD, gold) == D("6999.99")
    history = await price_history(GUILD, gold)
    assert [p.id for p in history[:2]] == [later.id, point.id]
    assert history[0].price == await price_of(GUILD, gold)
    assert (history[0].kind, history[0].actor_id, history[0].guild_id) == ("override", ALICE, GUILD)
    assert await GuildMaterialPrice.filter(guild_id=GUILD).count() == 1


async def test_a_price_of_minus_zero_is_stored_and_shown_as_zero(guilds):
    gold = await find_material("gold")
    await set_guild_price(GUILD, gold, "-0", actor_id=ALICE, at=T0)
    stored = await GuildMaterialPrice.get(guild_id=GUILD).values_list("price", flat=True)
    assert f"{stored}" == "0.00"
    [now] = [p for p in await prices_now(GUILD, [gold])]
    assert f"{now.price:,.2f}" == "0.00"
    assert f"{(await price_history(GUILD, gold))[0].price}" == "0.00"


async def test_a_guilds_price_is_invisible_to_another_guild(guilds):
    gold = await find_material("gold")
    await set_guild_price(GUILD, gold, "7000", actor_id=ALICE, at=T0)
    assert await price_of(OTHER_GUILD, gold) == D("6400.00")
    assert all(p.guild_id is None for p in await price_history(OTHER_GUILD, gold))
    [now] = await prices_now(OTHER_GUILD, [gold])
    assert (now.price, now.source) == (D("6400.00"), "base")


async def test_clearing_a_guild_price_falls_back_and_is_recorded(guilds):
    gold = await find_material("gold")
    await set_guild_price(GUILD, gold, "7000", actor_id=ALICE, at=T0)
    fallback = await clear_guild_price(GUILD, gold, actor_id=ALICE, at=T0 + timedelta(minutes=1))
    assert fallback == D("6400.00") == await price_of(GUILD, gold)
    assert (await price_history(GUILD, gold))[0].kind == "cleared"
    with pytest.raises(NotFound, match="no price of its own"):
        await clear_guild_price(GUILD, gold, actor_id=ALICE, at=T0)


async def test_bad_guild_price_is_refused_and_nothing_changes(guilds):
    gold = await find_material("gold")
    await set_guild_price(GUILD, gold, "7000", actor_id=ALICE, at=T0)
    before = await snapshot()
    bad = [("-1", "negative"), ("abc", "not a number"), ("100000000", "beyond"), ("1.234", "dec")]
    for price, message in bad:
        with pytest.raises(InvalidInput, match=message):
            await set_guild_price(GUILD, gold, price, actor_id=ALICE, at=T0)
        assert await snapshot() == before, price


async def test_uex_import_sets_reference_prices_skips_and_counts(guilds):
    rows = parse_prices(UEX_SAMPLE, "commodities.json")
    summary = await import_prices(rows, guild_id=None, actor_id=None, at=T0)
    assert summary.rows == 6
    assert [name for name, _, _ in summary.changed] == ["Quantainium", "Gold", "Hadanite"]
    assert summary.unknown == ["Agricium (Ore)", "Medical Supplies"]
    assert summary.no_price == ["Inert Materials"]
    quant = await find_material("Quantainium")
    assert quant.current_market_value == D("21030.50")
    assert await price_of(GUILD, quant) == await price_of(OTHER_GUILD, quant) == D("21030.50")
    [point] = [p for p in await price_history(GUILD, quant) if p.kind == "reference"]
    assert (point.price, point.source, point.guild_id) == (D("21030.50"), "import", None)
    assert "3 price(s) changed" in summary.describe("all servers")
    assert "Agricium (Ore)" in summary.describe("all servers")
    # the same file again changes nothing and records nothing
    points = await PricePoint.all().count()
    again = await import_prices(rows, guild_id=None, actor_id=None, at=T0 + timedelta(days=1))
    assert (again.changed, again.unchanged) == ([], 3)
    assert await PricePoint.all().count() == points


async def test_import_for_a_guild_sets_only_that_guilds_prices(guilds):
    rows = parse_prices(UEX_SAMPLE)
    await import_prices(rows, guild_id=GUILD, actor_id=ALICE, at=T0)
    gold = await find_material("gold")
    assert await price_of(GUILD, gold) == D("6423.00")
    assert await price_of(OTHER_GUILD, gold) == D("6400.00")
    assert gold.current_market_value is None


async def test_csv_import_with_the_same_columns(guilds):
    text = 'name,price_buy,price_sell\nQuantanium,0,20000\n"Inert",0,\nTitanium,,"1,234.50"\n'
    summary = await import_prices(parse_prices(text, "p.csv"), guild_id=None, actor_id=1, at=T0)
    assert [n for n, _, _ in summary.changed] == ["Quantainium", "Titanium"]
    assert summary.no_price == ["Inert"]
    assert (await find_material("Titanium")).current_market_value == D("1234.50")


BAD_FILES = [
    (uex({"name": "Gold", "price_sell": 1}, {"price_sell": 5}), "row 2: the row has no name"),
    (
        uex({"name": "Gold", "price_sell": 1}, {"name": "Tin", "price_sell": -3}),
        "row 2: .*negative",
    ),
    (uex({"name": "Gold", "price_sell": "cheap"}), "row 1: .*not a number"),
    (uex({"name": "Gold", "price_sell": 1}, {"name": "  ", "price_sell": 1}), "row 2: .*no name"),
    (uex({"name": "Gold", "price_sell": True}), "row 1: .*not a number"),
    (uex({"name": "Gold", "price_sell": 1e12}), "row 1: .*beyond"),
    (uex({"name": "Gold", "price_sell": 1.005}), "row 1: .*decimal places"),
    (uex({"name": "Gold", "price_sell": 1}, ["Tin", 3]), "row 2: expected an object"),
    (uex({"name": "Gold", "price_sell": 1}, {"name": "gold", "price_sell": 2}), "row 2: .*again"),
    ('{"status": "error", "message": "rate limited"}', "status 'error'"),
    ('{"status": "ok", "data": {"name": "Gold"}}', "a list of commodities"),
    ('{"status": "ok", "data": [', "not valid JSON"),
    ("name,price_sell\nGold,6000\nTin,-1\n", "line 3: .*negative"),
    ("name,price_sell\nGold,6000\n,12\n", "line 3: the row has no name"),
    ("name,price_sell\nGold,6000,12,14\n", "line 2: more cells"),
    ("material,value\nGold,6000\n", "columns name and price_sell"),
    ("", "empty"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
]


async def test_a_malformed_file_is_refused_whole_with_its_position(guilds):
    # valid rows come first in each file: none of them may be applied
    before = await snapshot()
    for data, message in BAD_FILES:
        for guild_id in (GUILD, None):
            with pytest.raises(InvalidInput, match=message):
                await import_prices(parse_prices(data), guild_id=guild_id, actor_id=1, at=T0)
            assert await snapshot() == before, message


async def test_import_for_an_unknown_guild_changes_nothing(guilds):
    before = await snapshot()
    with pytest.raises(NotFound):
        await import_prices(parse_prices(UEX_SAMPLE), guild_id=999, actor_id=None, at=T0)
    assert await snapshot() == before


async def test_price_history_orders_latest_first_and_keeps_every_change(guilds):
    gold = await find_material("gold")
    for i, price in enumerate(["6500", "6600", "6550"]):
        rows = parse_prices(uex({"name": "Gold", "price_sell": price}))
        await import_prices(rows, guild_id=None, actor_id=None, at=T0 + timedelta(days=i))
    history = await price_history(GUILD, gold)
    assert [p.price for p in history] == [D("6550.00"), D("6600.00"), D("6500.00"), D("6400.00")]
    assert [p.kind for p in history][-1] == "base"
    assert (await Material.get(id=gold.id)).current_market_value == history[0].price
