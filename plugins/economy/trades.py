"""Trades: the org (or a member on its behalf) sold or bought a material.

A trade is one atomic write: the trade row, its ledger transaction and a price point.

- sold into the treasury: TREASURY +total, INCOME -total (a SALE)
- sold by a member who keeps the money for now: MEMBER(m) +total (they owe it), INCOME -total
- bought from the treasury: EXPENSES +total, TREASURY -total (a TRADE)
- bought by a member with their own money: EXPENSES +total, MEMBER(m) -total (owed to them)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from tortoise.transactions import in_transaction

from core.errors import InvalidInput
from core.money import MAX_AMOUNT, cents, fmt, to_amount
from core.names import member_name
from plugins.economy import ledger
from plugins.economy.ledger import EXPENSES, INCOME, TREASURY, Line, TxKind
from plugins.economy.materials import check_price, check_scu
from plugins.economy.models import Material, PricePoint, Trade
from plugins.economy.prices import PointKind

TEXT_MAX = 200


class Side(StrEnum):
    SELL = "sell"
    BUY = "buy"


@dataclass(frozen=True)
class TradeTerms:
    quantity_scu: Decimal
    unit_price: Decimal
    total: Decimal


def terms(
    quantity_scu: Decimal | str,
    *,
    unit_price: Decimal | str | None = None,
    total: Decimal | str | None = None,
) -> TradeTerms:
    """Quantity with either a price per SCU or a total; the other is derived to the cent."""
    scu = check_scu(quantity_scu, what="quantity (SCU)")
    if (unit_price is None) == (total is None):
        raise InvalidInput("give either a price per SCU or a total, not both or neither")
    if unit_price is not None:
        unit = check_price(unit_price, what="price per SCU")
        amount = cents(scu * unit)
        if amount > MAX_AMOUNT:
            raise InvalidInput(f"the trade is worth {amount}, beyond the largest ({MAX_AMOUNT})")
        if amount == 0:
            raise InvalidInput("the trade is worth nothing: check the price")
    else:
        amount = to_amount(total, what="total")  # type: ignore[arg-type]
        unit = cents(amount / scu)
        check_price(unit, what="price per SCU")
    return TradeTerms(scu, unit, amount)


def _text(value: str | None, what: str) -> str:
    value = (value or "").strip()
    if len(value) > TEXT_MAX:
        raise InvalidInput(f"{what} is {len(value)} characters long: keep it to {TEXT_MAX}")
    return value


async def record_trade(
    guild_id: int,
    *,
    side: Side | str,
    material: Material,
    quantity_scu: Decimal | str,
    unit_price: Decimal | str | None = None,
    total: Decimal | str | None = None,
    location: str | None = None,
    counterparty: str | None = None,
    member_id: int | None = None,
    actor_id: int | None,
    at: datetime,
    reference: str | None = None,
) -> Trade:
    """Record a trade, post it to the ledger and keep its price as a price point.

    With a `reference` already recorded in this guild, returns that trade unchanged.
    """
    try:
        side = Side(side)
    except ValueError:
        raise InvalidInput(f"a trade is a sell or a buy, not {side!r}") from None
    deal = terms(quantity_scu, unit_price=unit_price, total=total)
    location = _text(location, "location")
    counterparty = _text(counterparty, "counterparty")
    when = ledger.utc(at)
    wallet = ledger.member(member_id) if member_id is not None else TREASURY
    if side is Side.SELL:
        kind = TxKind.SALE
        lines = [Line(wallet, deal.total), Line(INCOME, -deal.total)]
        verb, preposition = "Sold", "to"
    else:
        kind = TxKind.TRADE
        lines = [Line(EXPENSES, deal.total), Line(wallet, -deal.total)]
        verb, preposition = "Bought", "from"
    memo = f"{verb} {deal.quantity_scu:,.2f} SCU {material.name} at {fmt(deal.unit_price)}/SCU"
    if counterparty:
        memo += f" {preposition} {counterparty}"
    if location:
        memo += f" at {location}"
    if member_id is not None:
        memo += f" by {await member_name(member_id)}"  # in words: memos outlive Discord
    if reference is not None:
        reference = f"trade:{reference}"
        existing = await Trade.get_or_none(guild_id=guild_id, transaction__reference=reference)
        if existing is not None:
            return existing
    async with in_transaction():
        tx = await ledger.post(
            guild_id,
            kind=kind,
            memo=memo,
            lines=lines,
            reference=reference,
            actor_id=actor_id,
            at=when,
        )
        existing = await Trade.get_or_none(transaction_id=tx.id)
        if existing is not None:  # a concurrent record of the same reference won
            return existing
        trade = await Trade.create(
            guild_id=guild_id,
            side=side,
            material_id=material.id,
            quantity_scu=deal.quantity_scu,
            unit_price=deal.unit_price,
            total=deal.total,
            location=location,
            counterparty=counterparty,
            member_id=member_id,
            actor_id=actor_id,
            at=when,
            transaction_id=tx.id,
        )
        await PricePoint.create(
            material_id=material.id,
            guild_id=guild_id,
            kind=PointKind.TRADE,
            price=deal.unit_price,
            source="trade",
            actor_id=actor_id,
            note=f"{side} #{trade.id}" + (f" at {location}" if location else ""),
            at=when,
        )
    return trade


@dataclass(frozen=True)
class TradeRow:
    trade: Trade
    material: str
    member_name: str | None  # who traded for the org with their own wallet, by name


async def recent_trades(guild_id: int, *, limit: int = 100) -> list[TradeRow]:
    """This guild's trades, newest first, with the material and member named (one query)."""
    trades = (
        await Trade.filter(guild_id=guild_id)
        .select_related("material", "member")
        .order_by("-at", "-id")
        .limit(limit)
    )
    return [
        TradeRow(
            t,
            t.material.name,
            (t.member.display_name or t.member.username) if t.member_id is not None else None,
        )
        for t in trades
    ]
