"""Trades post to the ledger and leave a price point; members may trade for the org."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import InvalidInput, NotFound
from plugins.economy import ledger
from plugins.economy.ledger import EXPENSES, INCOME, TREASURY, member
from plugins.economy.materials import find_material
from plugins.economy.models import Entry, PricePoint, Trade, Transaction
from plugins.economy.prices import price_history
from plugins.economy.statements import member_position
from plugins.economy.trades import record_trade, terms
from tests.economy.conftest import ALICE, BOB, GUILD, MALLORY, OTHER_GUILD, T0

D = Decimal


async def counts() -> tuple[int, ...]:
    return (
        await Trade.all().count(),
        await Transaction.all().count(),
        await Entry.all().count(),
        await PricePoint.filter(kind="trade").count(),
    )


async def test_org_sale_fills_the_treasury_and_leaves_a_price_point(guilds):
    quant = await find_material("quant")
    trade = await record_trade(
        GUILD,
        side="sell",
        material=quant,
        quantity_scu="32",
        unit_price="8812.33",
        location="CRU-L1",
        counterparty="TDD",
        actor_id=ALICE,
        at=T0,
    )
    assert (trade.total, trade.unit_price, trade.quantity_scu) == (
        D("281994.56"),
        D("8812.33"),
        D("32.00"),
    )
    tx = await Transaction.get(id=trade.transaction_id)
    assert tx.kind == "sale"
    assert "Sold 32.00 SCU Quantainium" in tx.memo and "TDD" in tx.memo and "CRU-L1" in tx.memo
    assert await ledger.balance(GUILD, TREASURY) == D("281994.56")
    assert await ledger.balance(GUILD, INCOME) == D("-281994.56")
    [point] = [p for p in await price_history(GUILD, quant) if p.kind == "trade"]
    assert (point.price, point.guild_id, point.actor_id) == (D("8812.33"), GUILD, ALICE)


async def test_purchase_by_a_member_is_owed_back_to_them(guilds):
    tin = await find_material("tin")
    await record_trade(
        GUILD,
        side="buy",
        material=tin,
        quantity_scu="10",
        total="1000.00",
        member_id=BOB,
        actor_id=ALICE,
        at=T0,
    )
    assert await ledger.balance(GUILD, EXPENSES) == D("1000.00")
    assert (await member_position(GUILD, BOB)).owed_to_member == D("1000.00")
    assert await ledger.balance(GUILD, TREASURY) == D("0.00")


async def test_sale_by_a_member_who_keeps_the_money_is_owed_by_them(guilds):
    gold = await find_material("gold")
    trade = await record_trade(
        GUILD,
        side="sell",
        material=gold,
        quantity_scu="3",
        total="10000.00",
        member_id=BOB,
        actor_id=BOB,
        at=T0,
    )
    assert trade.unit_price == D("3333.33")  # the price point, rounded; the total stays exact
    assert (await member_position(GUILD, BOB)).owed_by_member == D("10000.00")
    assert await ledger.balance(GUILD, member(BOB)) == D("10000.00")


async def test_trade_with_a_reference_is_recorded_once(guilds):
    gold = await find_material("gold")
    kwargs = dict(side="sell", material=gold, quantity_scu="1", unit_price="1", actor_id=ALICE)
    first = await record_trade(GUILD, at=T0, reference="op-12", **kwargs)
    before = await counts()
    again = await record_trade(GUILD, at=T0, reference="op-12", **kwargs)
    assert again.id == first.id
    assert await counts() == before


BAD_TRADES = [
    (dict(quantity_scu="0", unit_price="1"), InvalidInput, "more than zero"),
    (dict(quantity_scu="-5", unit_price="1"), InvalidInput, "negative"),
    (dict(quantity_scu="5", unit_price="-1"), InvalidInput, "negative"),
    (dict(quantity_scu="5"), InvalidInput, "either a price per SCU or a total"),
    (dict(quantity_scu="5", unit_price="1", total="5"), InvalidInput, "not both"),
    (dict(quantity_scu="5", unit_price="0"), InvalidInput, "worth nothing"),
    (dict(quantity_scu="1", total="10000000000000"), InvalidInput, "beyond"),
    (dict(quantity_scu="99999999", unit_price="99999999"), InvalidInput, "beyond"),
    (dict(quantity_scu="0.01", total="9999999.99"), InvalidInput, "price per SCU"),
    (dict(quantity_scu="1", unit_price="1", side="swap"), InvalidInput, "sell or a buy"),
    (dict(quantity_scu="1", unit_price="1", location="x" * 201), InvalidInput, "location"),
    (dict(quantity_scu="1", unit_price="1", member_id=MALLORY * 1000), NotFound, "member"),
]


async def test_bad_trades_are_refused_and_nothing_is_written(guilds):
    gold = await find_material("gold")
    await record_trade(
        GUILD, side="sell", material=gold, quantity_scu="1", unit_price="1", actor_id=ALICE, at=T0
    )
    before = await counts()
    for kwargs, error, message in BAD_TRADES:
        with pytest.raises(error, match=message):
            await record_trade(
                GUILD, material=gold, actor_id=ALICE, at=T0, **{"side": "sell", **kwargs}
            )
        assert await counts() == before, message


async def test_trades_are_kept_per_guild(guilds):
    gold = await find_material("gold")
    await record_trade(
        OTHER_GUILD,
        side="sell",
        material=gold,
        quantity_scu="1",
        unit_price="5000",
        actor_id=MALLORY,
        at=T0,
    )
    assert await ledger.balance(GUILD, TREASURY) == D("0.00")
    assert [p for p in await price_history(GUILD, gold) if p.kind == "trade"] == []


def test_terms_keep_the_total_exact():
    deal = terms("0.33", unit_price="0.10")
    assert deal.total == D("0.03")  # 0.033 → 0.03
    deal = terms("7", total="100.00")
    assert (deal.total, deal.unit_price) == (D("100.00"), D("14.29"))


async def test_recent_trades_newest_first_named_and_guild_scoped(guilds):
    from datetime import timedelta

    from plugins.economy.materials import find_material
    from plugins.economy.trades import recent_trades, record_trade
    from tests.economy.conftest import ALICE, BOB, GUILD, OTHER_GUILD, T0

    gold = await find_material("Gold")
    first = await record_trade(
        GUILD, side="sell", material=gold, quantity_scu="2", unit_price="10", actor_id=ALICE, at=T0
    )
    second = await record_trade(
        GUILD,
        side="buy",
        material=gold,
        quantity_scu="1",
        total="5",
        member_id=BOB,
        actor_id=ALICE,
        at=T0 + timedelta(hours=1),
    )
    await record_trade(
        OTHER_GUILD,
        side="sell",
        material=gold,
        quantity_scu="1",
        unit_price="1",
        actor_id=None,
        at=T0,
    )
    found = await recent_trades(GUILD)
    assert [(r.trade.id, r.material, r.member_name) for r in found] == [
        (second.id, "Gold", "Bob"),
        (first.id, "Gold", None),
    ]
