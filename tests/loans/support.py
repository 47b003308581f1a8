"""Checks shared by the loans tests: the books balance, and a failed call changed nothing."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from plugins.economy import ledger
from plugins.economy.models import Account, Entry, Transaction
from plugins.loans.models import Loan, LoanRepayment
from plugins.loans.statements import balances

ZERO = Decimal("0.00")


async def snapshot() -> dict[str, list[tuple]]:
    """Every row the loans plugin and the ledger hold, to compare before and after."""
    return {
        "loans": await Loan.all().order_by("id").values_list(*Loan._meta.db_fields),
        "repayments": await LoanRepayment.all()
        .order_by("id")
        .values_list(*LoanRepayment._meta.db_fields),
        "transactions": await Transaction.all().order_by("id").values_list("id", "reference"),
        "entries": await Entry.all().order_by("id").values_list("id", "account_id", "amount"),
        "accounts": await Account.all().order_by("id").values_list("id", "key"),
    }


async def check_books(guild_id: int) -> None:
    """The ledger invariant after any path through the loans plugin:

    every transaction sums to zero; each borrower's loans receivable equals the principal
    they still owe on disbursed loans that are not written off; the treasury is down by what
    was lent and up by what came back; interest income is the interest paid; write-offs are
    what the loans say was written off.
    """
    per_tx: defaultdict[int, Decimal] = defaultdict(lambda: ZERO)
    for tx_id, amount in await Entry.filter(guild_id=guild_id).values_list(
        "transaction_id", "amount"
    ):
        per_tx[tx_id] += Decimal(str(amount))
    assert all(total == 0 for total in per_tx.values()), dict(per_tx)

    loans = await Loan.filter(guild_id=guild_id)
    found = await balances(loans)
    disbursed = [loan for loan in loans if loan.issued_date is not None]
    receivable: defaultdict[int, Decimal] = defaultdict(lambda: ZERO)
    for loan in disbursed:
        receivable[loan.borrower_id] += found[loan.id].receivable
    for borrower_id in {loan.borrower_id for loan in loans}:
        booked = await ledger.balance(guild_id, ledger.loans_receivable(borrower_id))
        assert booked == receivable[borrower_id], (borrower_id, booked, receivable[borrower_id])

    lent = sum((loan.amount_auec for loan in disbursed), ZERO)
    repaid = sum((found[loan.id].repaid for loan in loans), ZERO)
    interest = sum((found[loan.id].interest_repaid for loan in loans), ZERO)
    written_off = sum((loan.written_off_auec for loan in loans), ZERO)
    assert await ledger.balance(guild_id, ledger.TREASURY) == repaid - lent
    assert await ledger.balance(guild_id, ledger.INTEREST_INCOME) == -interest
    assert await ledger.balance(guild_id, ledger.WRITE_OFFS) == written_off
    assert all(found[loan.id].owed >= 0 for loan in loans)
