"""How loan events are written to the economy ledger (the only module that talks to it).

- disbursement: LOANS_RECEIVABLE(borrower) +principal, TREASURY −principal
- repayment: TREASURY +amount, INTEREST_INCOME −interest part, LOANS_RECEIVABLE −principal part
- write-off: WRITE_OFFS +principal left, LOANS_RECEIVABLE(borrower) −principal left

Each has a reference naming the loan (and repayment), so posting is idempotent. The economy's
financial report reads loans issued, repaid and written off from these transaction kinds.

Memos name the borrower in words (`core.names`), never as a Discord mention: a memo is read in
a CSV, a PDF and on the web as well as in Discord. The borrower's id is in the entries' loans
receivable account and on the loan the reference names.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from core.money import fmt
from core.names import member_name
from plugins.economy.ledger import (
    INTEREST_INCOME,
    TREASURY,
    WRITE_OFFS,
    Line,
    TxKind,
    loans_receivable,
    post,
)
from plugins.loans.models import Loan, LoanRepayment


def disbursement_reference(loan_id: int) -> str:
    return f"loan:{loan_id}:disbursement"


def repayment_reference(loan_id: int, repayment_id: int) -> str:
    return f"loan:{loan_id}:repayment:{repayment_id}"


def write_off_reference(loan_id: int) -> str:
    return f"loan:{loan_id}:write-off"


async def disburse(loan: Loan, *, actor_id: int | None, at: datetime) -> None:
    principal = loan.amount_auec
    await post(
        loan.guild_id,
        kind=TxKind.LOAN_DISBURSEMENT,
        memo=f"Loan #{loan.id} of {fmt(principal)} to {await member_name(loan.borrower_id)}",
        lines=[
            Line(loans_receivable(loan.borrower_id), principal),
            Line(TREASURY, -principal),
        ],
        reference=disbursement_reference(loan.id),
        actor_id=actor_id,
        at=at,
    )


async def repayment(loan: Loan, payment: LoanRepayment, *, at: datetime) -> None:
    lines = [Line(TREASURY, payment.amount_auec)]
    if payment.interest_auec:
        lines.append(Line(INTEREST_INCOME, -payment.interest_auec))
    if payment.principal_auec:
        lines.append(Line(loans_receivable(loan.borrower_id), -payment.principal_auec))
    borrower = await member_name(loan.borrower_id)
    await post(
        loan.guild_id,
        kind=TxKind.LOAN_REPAYMENT,
        memo=(
            f"Repayment of {fmt(payment.amount_auec)} on loan #{loan.id} by "
            f"{borrower} (interest {fmt(payment.interest_auec)}, "
            f"principal {fmt(payment.principal_auec)})"
        ),
        lines=lines,
        reference=repayment_reference(loan.id, payment.id),
        actor_id=payment.recorded_by_id,
        at=at,
    )


async def write_off(
    loan: Loan, amount: Decimal, *, why: str, actor_id: int | None, at: datetime
) -> None:
    borrower = await member_name(loan.borrower_id)
    await post(
        loan.guild_id,
        kind=TxKind.LOAN_WRITE_OFF,
        memo=f"Loan #{loan.id} of {borrower} {why}: {fmt(amount)} written off",
        lines=[Line(WRITE_OFFS, amount), Line(loans_receivable(loan.borrower_id), -amount)],
        reference=write_off_reference(loan.id),
        actor_id=actor_id,
        at=at,
    )
