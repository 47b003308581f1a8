"""The ledger: balanced postings, idempotent references, reversals once, guilds apart."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core import members
from core.errors import InvalidInput, InvalidState, NotFound
from core.models import Guild
from plugins.economy import ledger
from plugins.economy.ledger import (
    EXPENSES,
    INCOME,
    TREASURY,
    AccountKind,
    AccountRef,
    Line,
    TxKind,
    member,
)
from plugins.economy.models import Account, Entry, Transaction
from storage.querycount import count_queries
from tests.economy.conftest import ALICE, BOB, GUILD, MALLORY, OTHER_GUILD, T0

D = Decimal


def sale(amount: str) -> list[Line]:
    return [Line(TREASURY, D(amount)), Line(INCOME, -D(amount))]


async def counts() -> tuple[int, int, int]:
    return (await Account.all().count(), await Transaction.all().count(), await Entry.all().count())


async def test_post_writes_balanced_entries_and_balances_follow(guilds):
    tx = await ledger.post(
        GUILD,
        kind=TxKind.SALE,
        memo="Sold Quantainium",
        lines=sale("1000.50"),
        actor_id=ALICE,
        at=T0,
    )
    assert (tx.kind, tx.memo, tx.actor_id, tx.at) == ("sale", "Sold Quantainium", ALICE, T0)
    amounts = sorted(await Entry.filter(transaction_id=tx.id).values_list("amount", flat=True))
    assert amounts == [D("-1000.50"), D("1000.50")]
    assert await ledger.balance(GUILD, TREASURY) == D("1000.50")
    assert await ledger.balance(GUILD, INCOME) == D("-1000.50")
    assert await ledger.balance(GUILD, EXPENSES) == D("0.00")


async def test_payroll_share_then_payout_settles_the_member(guilds):
    await ledger.post(GUILD, kind=TxKind.SALE, memo="ore", lines=sale("300.00"), at=T0)
    await ledger.post(
        GUILD,
        kind=TxKind.PAYROLL,
        memo="Sunday share",
        at=T0,
        lines=[Line(EXPENSES, D("100.00")), Line(member(ALICE), D("-100.00"))],
    )
    assert await ledger.balance(GUILD, member(ALICE)) == D("-100.00")  # the org owes Alice
    await ledger.post(
        GUILD,
        kind=TxKind.PAYOUT,
        memo="paid Alice",
        at=T0 + timedelta(hours=1),
        lines=[Line(member(ALICE), D("100.00")), Line(TREASURY, D("-100.00"))],
    )
    assert await ledger.balance(GUILD, member(ALICE)) == D("0.00")
    assert await ledger.balance(GUILD, TREASURY) == D("200.00")
    assert await ledger.balance(GUILD, TREASURY, until=T0) == D("300.00")
    assert await ledger.balance(GUILD, TREASURY, before=T0) == D("0.00")


async def test_same_reference_twice_gives_one_transaction(guilds):
    first = await ledger.post(
        GUILD, kind=TxKind.PAYROLL, memo="payroll", lines=sale("50.00"), reference="event:1"
    )
    before = await counts()
    again = await ledger.post(
        GUILD, kind=TxKind.PAYROLL, memo="payroll", lines=sale("50.00"), reference="event:1"
    )
    assert again.id == first.id
    assert await counts() == before
    assert await ledger.balance(GUILD, TREASURY) == D("50.00")


async def test_same_reference_in_another_guild_is_another_transaction(guilds):
    mine = await ledger.post(GUILD, kind=TxKind.SALE, memo="x", lines=sale("1"), reference="r")
    theirs = await ledger.post(
        OTHER_GUILD, kind=TxKind.SALE, memo="x", lines=sale("2"), reference="r"
    )
    assert mine.id != theirs.id
    assert await ledger.balance(GUILD, TREASURY) == D("1.00")
    assert await ledger.balance(OTHER_GUILD, TREASURY) == D("2.00")


@pytest.mark.postgres_only
async def test_concurrent_identical_posts_give_one_transaction(guilds):
    async def one() -> int:
        tx = await ledger.post(
            GUILD,
            kind=TxKind.PAYROLL,
            memo="payroll",
            reference="event:7:payroll",
            lines=[Line(EXPENSES, D("10.00")), Line(member(ALICE), D("-10.00"))],
        )
        return tx.id

    ids = await asyncio.gather(*(one() for _ in range(8)))
    assert len(set(ids)) == 1
    assert await Transaction.filter(guild_id=GUILD).count() == 1
    assert await Entry.filter(guild_id=GUILD).count() == 2
    # the member account was created once, though eight posts raced to create it
    assert await Account.filter(guild_id=GUILD, kind="member").count() == 1
    assert await ledger.balance(GUILD, member(ALICE)) == D("-10.00")


@pytest.mark.postgres_only
async def test_concurrent_posts_inside_callers_transactions_give_one(guilds):
    """As mining does: its own rows and the ledger posting commit together, twice at once."""

    async def close_event(actor: int) -> int:
        async with in_transaction():
            tx = await ledger.post(
                GUILD, kind=TxKind.PAYROLL, memo="payroll", reference="event:9:payroll",
                lines=[Line(EXPENSES, D("30.00")), Line(member(ALICE), D("-20.00")),
                       Line(member(BOB), D("-10.00"))],
                actor_id=actor,
            )  # fmt: skip
            await asyncio.sleep(0.05)  # the caller's own work, holding its transaction open
            return tx.id

    ids = await asyncio.gather(*(close_event(actor) for actor in (ALICE, BOB, ALICE, BOB)))
    assert len(set(ids)) == 1
    assert await Transaction.filter(guild_id=GUILD).count() == 1
    assert await ledger.balance(GUILD, EXPENSES) == D("30.00")


@pytest.mark.postgres_only
async def test_concurrent_posts_creating_the_same_accounts_all_land(guilds):
    a = [Line(member(ALICE), D("5")), Line(member(BOB), D("-5"))]
    b = [Line(member(BOB), D("7")), Line(member(ALICE), D("-7"))]  # the other order

    async def slow(lines: list[Line]) -> None:
        async with in_transaction():
            await ledger.post(GUILD, kind=TxKind.ADJUSTMENT, memo="swap", lines=lines)
            await asyncio.sleep(0.05)

    await asyncio.gather(*(slow(a if i % 2 else b) for i in range(6)))
    assert await Transaction.filter(guild_id=GUILD).count() == 6
    assert await ledger.balance(GUILD, member(ALICE)) == D("-6.00")


@pytest.mark.postgres_only
async def test_concurrent_different_posts_all_land_balanced(guilds):
    await asyncio.gather(
        *(
            ledger.post(GUILD, kind=TxKind.SALE, memo=f"sale {i}", lines=sale(f"{i}.01"))
            for i in range(1, 11)
        )
    )
    assert await Transaction.filter(guild_id=GUILD).count() == 10
    assert await ledger.balance(GUILD, TREASURY) == sum(D(f"{i}.01") for i in range(1, 11))
    assert await Account.filter(guild_id=GUILD).count() == 2


async def test_post_inside_a_callers_transaction_rolls_back_with_it(guilds):
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with in_transaction():
            await ledger.post(GUILD, kind=TxKind.PAYROLL, memo="p", lines=sale("5"), reference="e")
            raise Boom
    assert await counts() == (0, 0, 0)
    async with in_transaction():
        tx = await ledger.post(GUILD, kind=TxKind.PAYROLL, memo="p", lines=sale("5"), reference="e")
        # a replay inside the same outer transaction sees the first
        again = await ledger.post(
            GUILD, kind=TxKind.PAYROLL, memo="p", lines=sale("5"), reference="e"
        )
    assert again.id == tx.id
    assert await Transaction.all().count() == 1


BAD_LINES = [
    ([Line(TREASURY, D("1"))], "at least two lines"),
    ([Line(TREASURY, D("1")), Line(INCOME, D("-0.99"))], "do not balance"),
    ([Line(TREASURY, D("0")), Line(INCOME, D("0"))], "is zero"),
    # an amount refused names its line
    (
        [Line(TREASURY, D("1.001")), Line(INCOME, D("-1.001"))],
        r"^line 1 \(treasury\) 1.001 has more",
    ),
    ([Line(TREASURY, D("1")), Line(INCOME, D("-1.001"))], r"^line 2 \(income\) -1.001 has more"),
    (
        [Line(TREASURY, D("10000000000000")), Line(INCOME, D("-10000000000000"))],
        r"^line 1 \(treasury\) 10000000000000 is beyond the largest",
    ),
    ([Line(TREASURY, 1.5), Line(INCOME, -1.5)], r"^line 1 \(treasury\) must be exact"),  # type: ignore[arg-type]
    ([Line(TREASURY, D("NaN")), Line(INCOME, D("1"))], r"^line 1 \(treasury\) .*not a number"),
    ([Line(AccountRef(AccountKind.MEMBER), D("1")), Line(INCOME, D("-1"))], "give a user_id"),
    ([Line(AccountRef(AccountKind.TREASURY, ALICE), D("1")), Line(INCOME, D("-1"))], "org's"),
    ([Line(AccountRef("wallet"), D("1")), Line(INCOME, D("-1"))], "unknown account kind"),  # type: ignore[arg-type]
]


async def test_bad_lines_are_refused_and_nothing_is_written(guilds):
    await ledger.post(GUILD, kind=TxKind.SALE, memo="good", lines=sale("1"))
    before = await counts()
    for lines, message in BAD_LINES:
        with pytest.raises(InvalidInput, match=message):
            await ledger.post(GUILD, kind=TxKind.ADJUSTMENT, memo="bad", lines=lines)
        assert await counts() == before, message


async def test_bad_memo_kind_time_and_reference_are_refused(guilds):
    good = sale("1")
    with pytest.raises(InvalidInput, match="memo"):
        await ledger.post(GUILD, kind=TxKind.SALE, memo="  ", lines=good)
    with pytest.raises(InvalidInput, match="unknown transaction kind"):
        await ledger.post(GUILD, kind="gift", memo="x", lines=good)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="reverse"):
        await ledger.post(GUILD, kind=TxKind.REVERSAL, memo="x", lines=good)
    with pytest.raises(InvalidInput, match="timezone"):
        await ledger.post(GUILD, kind=TxKind.SALE, memo="x", lines=good, at=T0.replace(tzinfo=None))
    with pytest.raises(InvalidInput, match="reference"):
        await ledger.post(GUILD, kind=TxKind.SALE, memo="x", lines=good, reference="r" * 201)
    assert await counts() == (0, 0, 0)


async def test_unknown_member_or_guild_is_not_found_and_nothing_is_written(guilds):
    lines = [Line(EXPENSES, D("1")), Line(member(999), D("-1"))]
    with pytest.raises(NotFound, match="member"):
        await ledger.post(GUILD, kind=TxKind.PAYROLL, memo="x", lines=lines)
    with pytest.raises(NotFound, match="server"):
        await ledger.post(424242, kind=TxKind.SALE, memo="x", lines=sale("1"))
    assert await counts() == (0, 0, 0)


async def test_unknown_member_inside_a_callers_transaction_leaves_it_usable(guilds):
    """The failed account insert rolls back to the posting's savepoint, not the caller's work."""
    async with in_transaction():
        await ledger.post(GUILD, kind=TxKind.SALE, memo="mine", lines=sale("3"), reference="a")
        with pytest.raises(NotFound, match="member 999 is not known") as refused:
            await ledger.post(
                GUILD,
                kind=TxKind.PAYROLL,
                memo="x",
                lines=[
                    Line(EXPENSES, D("2")),
                    Line(member(BOB), D("-1")),
                    Line(member(999), D("-1")),
                ],
                reference="b",
            )
        assert refused.value.members == (999,)  # the id, for each face to render
        await ledger.post(GUILD, kind=TxKind.SALE, memo="more", lines=sale("4"), reference="c")
    assert await counts() == (2, 2, 4)  # treasury and income; no account for Bob
    assert await ledger.balance(GUILD, TREASURY) == D("7.00")


async def test_reversal_undoes_once_and_keeps_the_original(guilds):
    tx = await ledger.post(GUILD, kind=TxKind.SALE, memo="oops", lines=sale("70.00"), at=T0)
    rev = await ledger.reverse(GUILD, tx.id, memo="wrong amount", actor_id=BOB, at=T0)
    assert (rev.kind, rev.reverses_id, rev.actor_id) == ("reversal", tx.id, BOB)
    assert "wrong amount" in rev.memo
    assert await ledger.balance(GUILD, TREASURY) == D("0.00")
    assert await Entry.filter(transaction_id=tx.id).count() == 2  # original untouched
    before = await counts()
    with pytest.raises(InvalidState, match="already reversed"):
        await ledger.reverse(GUILD, tx.id, memo="again", actor_id=BOB)
    with pytest.raises(InvalidState, match="itself a reversal"):
        await ledger.reverse(GUILD, rev.id, memo="undo the undo", actor_id=BOB)
    assert await counts() == before


@pytest.mark.postgres_only
async def test_concurrent_reversals_reverse_once(guilds):
    tx = await ledger.post(GUILD, kind=TxKind.SALE, memo="s", lines=sale("9.99"))
    results = await asyncio.gather(
        *(ledger.reverse(GUILD, tx.id, memo="r", actor_id=ALICE) for _ in range(5)),
        return_exceptions=True,
    )
    done = [r for r in results if isinstance(r, Transaction)]
    refused = [r for r in results if isinstance(r, InvalidState)]
    assert (len(done), len(refused)) == (1, 4)
    assert await ledger.balance(GUILD, TREASURY) == D("0.00")


async def test_another_guilds_transaction_cannot_be_reversed(guilds):
    theirs = await ledger.post(OTHER_GUILD, kind=TxKind.SALE, memo="s", lines=sale("5"))
    before = await counts()
    with pytest.raises(NotFound):
        await ledger.reverse(GUILD, theirs.id, memo="mine now", actor_id=ALICE)
    assert await counts() == before
    assert await ledger.balance(OTHER_GUILD, TREASURY) == D("5.00")


async def test_balances_are_per_guild(guilds):
    await ledger.post(
        OTHER_GUILD,
        kind=TxKind.PAYROLL,
        memo="p",
        lines=[Line(EXPENSES, D("8")), Line(member(MALLORY), D("-8"))],
    )
    assert await ledger.balance(GUILD, member(MALLORY)) == D("0.00")
    assert await ledger.balance(GUILD, EXPENSES) == D("0.00")
    assert await ledger.balance(OTHER_GUILD, member(MALLORY)) == D("-8.00")


async def test_posting_costs_the_same_few_queries_for_any_number_of_lines(guilds):
    await members.upsert_members(
        GUILD, [members.MemberInfo(uid, f"crew{uid}", None) for uid in range(100, 130)]
    )
    crew = [Line(member(uid), D("-1")) for uid in range(100, 130)]
    small = [Line(EXPENSES, D("1")), Line(member(ALICE), D("-1"))]
    with count_queries() as new_accounts:
        await ledger.post(
            GUILD, kind=TxKind.PAYROLL, memo="p", lines=[Line(EXPENSES, D("30")), *crew]
        )
    with count_queries() as many:
        await ledger.post(
            GUILD,
            kind=TxKind.PAYROLL,
            memo="p",
            lines=[Line(EXPENSES, D("30")), *crew],
            reference="r",
        )
    await ledger.post(GUILD, kind=TxKind.PAYROLL, memo="p", lines=small)
    with count_queries() as few:
        await ledger.post(GUILD, kind=TxKind.PAYROLL, memo="p", lines=small, reference="r2")
    with count_queries() as replay:
        await ledger.post(GUILD, kind=TxKind.PAYROLL, memo="p", lines=small, reference="r")
    assert len(new_accounts) <= 4  # accounts, insert the new ones, tx, entries
    assert len(many) == len(few) <= 4  # look up reference, accounts; insert tx, entries
    assert len(replay) == 1


async def test_the_database_refuses_to_change_or_remove_ledger_rows(guilds):
    """Append-only in the database too: an UPDATE or DELETE from anywhere is refused."""
    tx = await ledger.post(GUILD, kind=TxKind.SALE, memo="Sold", lines=sale("250.00"), at=T0)
    before = (await counts(), await ledger.balance(GUILD, TREASURY))
    tampering = [
        lambda: Entry.filter(transaction_id=tx.id).update(amount=D("999.00")),
        lambda: Entry.filter(transaction_id=tx.id).delete(),
        lambda: Transaction.filter(id=tx.id).update(memo="Nothing happened"),
        lambda: Transaction.filter(id=tx.id).delete(),
    ]
    for tamper in tampering:
        with pytest.raises(IntegrityError, match="append-only"):
            await tamper()
    assert (await counts(), await ledger.balance(GUILD, TREASURY)) == before
    assert (await Transaction.get(id=tx.id)).memo == "Sold"


async def test_deleting_a_guild_takes_its_ledger_and_only_its_ledger(guilds):
    await ledger.post(GUILD, kind=TxKind.SALE, memo="Ours", lines=sale("10.00"), at=T0)
    await ledger.post(OTHER_GUILD, kind=TxKind.SALE, memo="Theirs", lines=sale("20.00"), at=T0)
    await Guild.filter(id=GUILD).delete()
    assert await Transaction.all().values_list("memo", flat=True) == ["Theirs"]
    assert await Entry.filter(guild_id=GUILD).count() == 0
    assert await ledger.balance(OTHER_GUILD, TREASURY) == D("20.00")
