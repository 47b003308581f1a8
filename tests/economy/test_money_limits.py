"""Money stays exact at DECIMAL(15,2)'s edges on both backends (SQLite keeps Decimal as text).

Sums, comparisons and ordering use values a float would get wrong, and values that sort
differently as text ("1000.00" < "9.00"). Amounts beyond the column are refused, never cut.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import InvalidInput
from core.money import MAX_AMOUNT
from plugins.economy import ledger, reports
from plugins.economy.ledger import EXPENSES, INCOME, TREASURY, Line, TxKind, member
from plugins.economy.materials import find_material
from plugins.economy.models import Entry, Trade, Transaction
from plugins.economy.statements import member_position, statement
from plugins.economy.trades import record_trade
from tests.economy.conftest import ALICE, GUILD, T0

D = Decimal


async def sale(amount: str) -> None:
    lines = [Line(TREASURY, D(amount)), Line(INCOME, -D(amount))]
    await ledger.post(GUILD, kind=TxKind.SALE, memo=amount, lines=lines, at=T0)


async def test_the_largest_amount_round_trips_exactly(guilds):
    await sale("9999999999999.99")
    stored = await Entry.filter(guild_id=GUILD).values_list("amount", flat=True)
    assert sorted(stored) == [-MAX_AMOUNT, MAX_AMOUNT]
    assert await ledger.balance(GUILD, TREASURY) == MAX_AMOUNT
    assert float(MAX_AMOUNT) != MAX_AMOUNT  # what a float sum in SQL would have lost


async def test_sums_beyond_one_column_stay_exact(guilds):
    for amount in ("9999999999999.99", "9999999999999.99", "0.01", "0.10", "0.20"):
        await sale(amount)
    expected = D("19999999999999.98") + D("0.31")
    assert await ledger.balance(GUILD, TREASURY) == expected == D("20000000000000.29")
    assert await ledger.balance(GUILD, INCOME) == -expected


async def test_cents_that_floats_get_wrong(guilds):
    await sale("0.10")
    await sale("0.20")
    assert await ledger.balance(GUILD, TREASURY) == D("0.30")
    assert 0.1 + 0.2 != 0.3  # the float version is off


async def test_comparisons_and_ordering_are_numeric_not_textual(guilds):
    gold = await find_material("gold")
    for total in ("9.00", "1000.00", "99.99", "10.00", "9999999999999.99"):
        scu = "200000" if len(total) > 10 else "1"  # keeps the price per SCU in its column
        await record_trade(
            GUILD, side="sell", material=gold, quantity_scu=scu, total=total, actor_id=ALICE,
            at=T0,
        )  # fmt: skip
    tin = await find_material("tin")
    await record_trade(
        GUILD, side="sell", material=tin, quantity_scu="1", total="999.99", actor_id=ALICE, at=T0
    )
    start, end = reports.day_window(T0.date(), T0.date(), T0.date())
    report = await reports.finances(GUILD, start, end)
    assert [(m.name, m.value) for m in report.sold] == [
        ("Gold", D("10000000000000.00") + D("1118.98")),  # as text, "9.00" would top it
        ("Tin", D("999.99")),
    ]
    totals = sorted(await Trade.filter(guild_id=GUILD).values_list("total", flat=True))
    assert totals == [D(x) for x in ("9.00", "10.00", "99.99", "999.99", "1000.00")] + [MAX_AMOUNT]
    st = await statement(GUILD, TREASURY, since=None, until=T0)
    assert max(line.amount for line in st.lines) == MAX_AMOUNT
    assert st.closing == D("10000000000000.00") + D("2118.97")


async def test_a_member_owed_and_owing_compare_exactly(guilds):
    lines = [Line(EXPENSES, D("0.01")), Line(member(ALICE), D("-0.01"))]
    await ledger.post(GUILD, kind=TxKind.PAYROLL, memo="a cent", lines=lines, at=T0)
    pos = await member_position(GUILD, ALICE)
    assert (pos.owed_to_member, pos.owed_by_member) == (D("0.01"), D("0.00"))


async def test_beyond_the_column_is_refused_never_truncated(guilds):
    for amount in ["10000000000000.00", "99999999999999999", "1e20", "-1e14"]:
        await refused_everywhere(amount)
    assert await Transaction.all().count() == 0
    assert await Entry.all().count() == 0


async def refused_everywhere(amount: str) -> None:
    lines = [Line(TREASURY, D(amount)), Line(INCOME, -D(amount))]
    with pytest.raises(InvalidInput, match="beyond the largest allowed"):
        await ledger.post(GUILD, kind=TxKind.SALE, memo="too much", lines=lines)
    gold = await find_material("gold")
    with pytest.raises(InvalidInput, match="beyond"):
        await record_trade(
            GUILD, side="sell", material=gold, quantity_scu="1", total=amount.lstrip("-"),
            actor_id=ALICE, at=T0,
        )  # fmt: skip
