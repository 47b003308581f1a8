"""Ledger memos name members in words; economy 0005 and loans 0002 turn old rows into that form.

The old rows are made by the services themselves with the old way of naming a member put back
(a Discord mention), on a database held at the migrations before, then migrated: on SQLite
and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tortoise.exceptions import OperationalError

from core import members
from plugins.economy.materials import find_material
from plugins.economy.models import Transaction
from plugins.economy.trades import record_trade
from plugins.loans import postings
from plugins.loans.defaults import forgive_loan
from plugins.loans.lending import issue_loan
from plugins.loans.repayments import repay
from plugins.loans.settings import LoansSettings
from storage import Database, migrations
from tests.conftest import builtin_plugins

GUILD, ALICE, BOB, GONE = 1001, 11, 12, 13
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BEFORE = {"economy": "0004_market_prices", "loans": "0001_initial"}
AFTER = {"economy": "0005_memos_name_members", "loans": "0002_memos_name_borrowers"}


async def old_name(user_id: int) -> str:
    return f"<@{user_id}>"  # how the services named a member before


async def memos() -> dict[str, str]:
    rows = await Transaction.all().order_by("id").values_list("kind", "memo")
    return {f"{i}:{kind}": memo for i, (kind, memo) in enumerate(rows)}


async def make_old_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postings, "member_name", old_name)
    monkeypatch.setattr("plugins.economy.trades.member_name", old_name)
    await make_rows()
    monkeypatch.undo()


async def make_rows() -> None:
    await members.ensure_guild(GUILD, "Red Legion")
    await members.upsert_members(
        GUILD,
        [
            members.MemberInfo(ALICE, "alice", "Alice"),
            members.MemberInfo(BOB, "bob", "Bob the Miner", is_org_member=True),
            members.MemberInfo(GONE, "gone", None, is_org_member=True),
        ],
    )
    terms = LoansSettings(default_rate="0.1000", max_open_loans=3)
    paid = await issue_loan(GUILD, BOB, "1000", officer_id=ALICE, settings=terms, at=T0)
    await repay(GUILD, paid.id, "600", payer_id=BOB, at=T0)
    forgiven = await issue_loan(GUILD, GONE, "200", officer_id=ALICE, settings=terms, at=T0)
    await forgive_loan(GUILD, forgiven.id, actor_id=ALICE, at=T0)
    tin = await find_material("tin")
    await record_trade(
        GUILD,
        side="buy",
        material=tin,
        quantity_scu="10",
        total="1000",
        member_id=BOB,
        actor_id=ALICE,
        at=T0,
    )
    # a mention a member typed stays as typed: only what the bot wrote is renamed
    await record_trade(
        GUILD,
        side="sell",
        material=tin,
        quantity_scu="1",
        total="10",
        counterparty=f"<@{BOB}>",
        actor_id=ALICE,
        at=T0,
    )


OLD = {
    "0:loan_disbursement": f"Loan #1 of 1,000.00 aUEC to <@{BOB}>",
    "1:loan_repayment": (
        f"Repayment of 600.00 aUEC on loan #1 by <@{BOB}> (interest 100.00 aUEC, "
        "principal 500.00 aUEC)"
    ),
    "2:loan_disbursement": f"Loan #2 of 200.00 aUEC to <@{GONE}>",
    "3:loan_write_off": f"Loan #2 of <@{GONE}> forgiven: 200.00 aUEC written off",
    "4:trade": f"Bought 10.00 SCU Tin at 100.00 aUEC/SCU by <@{BOB}>",
    "5:sale": f"Sold 1.00 SCU Tin at 10.00 aUEC/SCU to <@{BOB}>",
}
NEW = {
    "0:loan_disbursement": "Loan #1 of 1,000.00 aUEC to Bob the Miner",
    "1:loan_repayment": (
        "Repayment of 600.00 aUEC on loan #1 by Bob the Miner (interest 100.00 aUEC, "
        "principal 500.00 aUEC)"
    ),
    "2:loan_disbursement": "Loan #2 of 200.00 aUEC to gone",
    "3:loan_write_off": "Loan #2 of gone forgiven: 200.00 aUEC written off",
    "4:trade": "Bought 10.00 SCU Tin at 100.00 aUEC/SCU by Bob the Miner",
    "5:sale": f"Sold 1.00 SCU Tin at 10.00 aUEC/SCU to <@{BOB}>",
}


async def test_old_memos_are_migrated_to_names_and_back(
    empty_db_url: str, monkeypatch: pytest.MonkeyPatch
):
    async with Database(empty_db_url, builtin_plugins().specs()) as db:
        await migrations.upgrade(db, stop_at=BEFORE)
        await make_old_rows(monkeypatch)
        assert await memos() == OLD

        assert await migrations.upgrade(db, stop_at=AFTER) == 2  # the two rewrites
        assert await memos() == NEW
        # the ledger is append-only again after the rewrite
        with pytest.raises(OperationalError, match="append-only"):
            await Transaction.filter(kind="trade").update(memo="changed")

        await migrations.downgrade(db, "economy", BEFORE["economy"])
        assert await memos() == OLD
        await migrations.upgrade(db)
        assert await memos() == NEW
        with pytest.raises(OperationalError, match="append-only"):
            await Transaction.filter(kind="trade").update(memo="changed")


async def test_new_postings_name_members_in_words(db: Database):
    """What the services post now is already the migrated form: no markup in the database."""
    await make_rows()
    assert await memos() == NEW
