"""Materials by the names officers type, prices per guild, and valuing a haul."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.errors import InvalidInput, NotFound
from plugins.economy.materials import find_material, price_of, search_materials, value_haul
from plugins.economy.models import GuildMaterialPrice, Material
from tests.economy.conftest import GUILD, OTHER_GUILD

D = Decimal
ISSUE_NAMES = [
    "Agricium",
    "Aluminum",
    "Beryl",
    "Bexalite",
    "Borase",
    "Copper",
    "Corundum",
    "Diamond",
    "Gold",
    "Hephaestanite",
    "Ice",
    "Iron",
    "Laranite",
    "Lindinium",
    "Quantainium",
    "Quartz",
    "Riccite",
    "Savrilium",
    "Silicon",
    "Stileron",
    "Taranite",
    "Tin",
    "Titanium",
    "Torite",
    "Tungsten",
    "Aphorite",
    "Beradom",
    "Carinite",
    "Dolivine",
    "Feynmaline",
    "Glacosite",
    "Hadanite",
    "Jaclium",
    "Janalite",
    "Saldynium",
    "Inert Materials",
]


async def test_every_material_of_the_issue_is_seeded_with_category_and_value(db):
    rows = {m.name: m for m in await Material.all()}
    assert set(ISSUE_NAMES) <= set(rows)
    for name in ISSUE_NAMES:
        assert rows[name].category in {"ore", "gem", "refined", "salvage", "component", "other"}
        assert rows[name].base_value_auec is not None and rows[name].base_value_auec > 0
    assert rows["Hadanite"].category == "gem"
    assert rows["Quantainium"].current_market_value is None  # until the operator imports


TYPED = [
    ("quantainium", "Quantainium"),
    ("Quantanium", "Quantainium"),
    ("QUANT", "Quantainium"),
    ("Inert", "Inert Materials"),
    ("inert materials", "Inert Materials"),
    ("  Inert-Material ", "Inert Materials"),
    ("aluminium", "Aluminum"),
    ("hada", "Hadanite"),  # an unambiguous start
    ("Tin", "Tin"),
]


async def test_find_material_by_what_officers_type(db):
    for typed, name in TYPED:
        assert (await find_material(typed)).name == name, typed


async def test_unknown_material_names_close_matches(db):
    with pytest.raises(NotFound, match=r"Did you mean .*Laranite"):
        await find_material("Larinite")
    with pytest.raises(NotFound, match="No material called 'Unobtainium'"):
        await find_material("Unobtainium")
    with pytest.raises(InvalidInput):
        await find_material("  ")


async def test_ambiguous_start_is_not_guessed(db):
    with pytest.raises(NotFound, match="Did you mean"):
        await find_material("ta")  # Taranite? Tin? too short and ambiguous


async def test_search_materials_for_autocomplete(db):
    names = [m.name for m in await search_materials("qua")]
    assert names[:2] == ["Quantainium", "Quartz"]
    assert [m.name for m in await search_materials("ite")][:1] != []
    assert len(await search_materials("", limit=25)) == 25
    assert await search_materials("zzz") == []


async def test_price_prefers_guild_then_market_then_base(guilds):
    quant = await find_material("Quantainium")
    assert await price_of(GUILD, quant) == D("8800.00")
    quant.current_market_value = D("21000.00")
    await quant.save()
    assert await price_of(GUILD, quant) == D("21000.00")
    await GuildMaterialPrice.create(
        guild_id=GUILD,
        material=quant,
        price=D("25000.00"),
        source="manual",
        updated_at=datetime.now(UTC),
    )
    assert await price_of(GUILD, quant) == D("25000.00")
    assert await price_of(OTHER_GUILD, quant) == D("21000.00")  # not the other guild's


async def test_value_haul_lines_and_total_to_the_cent(guilds):
    gold = await find_material("Gold")
    await GuildMaterialPrice.create(
        guild_id=GUILD,
        material=gold,
        price=D("6400.33"),
        source="manual",
        updated_at=datetime.now(UTC),
    )
    haul = await value_haul(GUILD, {"Quantanium": D("32.5"), gold.id: D("0.07"), "ice": D("1")})
    assert [
        (li.material.name, li.scu, li.unit_price, li.value, li.price_source) for li in haul.lines
    ] == [
        ("Quantainium", D("32.50"), D("8800.00"), D("286000.00"), "base"),
        ("Gold", D("0.07"), D("6400.33"), D("448.02"), "guild"),  # 448.0231 → 448.02
        ("Ice", D("1.00"), D("10.00"), D("10.00"), "base"),
    ]
    assert haul.total == D("286458.02")
    other = await value_haul(OTHER_GUILD, {gold.id: D("0.07")})
    assert other.lines[0].unit_price == D("6400.00")


async def test_value_haul_at_given_prices_rounds_half_up(guilds):
    quant = await find_material("Quantainium")
    haul = await value_haul(GUILD, {"quant": D("0.05")}, prices={quant.id: D("0.10")})
    assert haul.lines[0].value == D("0.01")  # 0.005 → 0.01, where a float gives 0.0050000001
    assert haul.lines[0].price_source == "given"


BAD_HAULS = [
    ({"Gold": D("-1")}, InvalidInput, "must not be negative"),
    ({"Gold": D("0")}, InvalidInput, "more than zero"),
    ({"Gold": D("1.005")}, InvalidInput, "decimal places"),
    ({"Gold": D("100000000")}, InvalidInput, "beyond the largest"),
    ({"Gold": 1.5}, InvalidInput, "float"),
    ({"Gold": "lots"}, InvalidInput, "not a number"),
    ({"Mithril": D("1")}, NotFound, "No material"),
    ({999999: D("1")}, NotFound, "#999999"),
    ({"Gold": D("1"), "gold": D("2")}, InvalidInput, "listed twice"),
    ({}, InvalidInput, "empty"),
]


async def test_value_haul_refuses_bad_input(guilds):
    for quantities, error, message in BAD_HAULS:
        with pytest.raises(error, match=message):
            await value_haul(GUILD, quantities)


async def test_a_haul_worth_more_than_decimal_15_2_is_refused_not_truncated(guilds):
    gold = await find_material("Gold")
    with pytest.raises(InvalidInput, match="beyond the largest amount"):
        await value_haul(GUILD, {gold.id: D("99999999.99")}, prices={gold.id: D("100000.01")})
    edge = await value_haul(GUILD, {gold.id: D("99999.99")}, prices={gold.id: D("99999999.99")})
    assert edge.total == D("9999998999000.00")  # exact, where a float would lose the cents
