"""Loans of one guild for `redlegion export`: each loan and each repayment."""

from __future__ import annotations

from typing import Any

from plugins.loans.models import Loan, LoanRepayment


async def guild_tables(guild_id: int) -> dict[str, list[dict[str, Any]]]:
    loans = await (
        Loan.filter(guild_id=guild_id)
        .order_by("id")
        .values(
            "id",
            "borrower_id",
            "amount_auec",
            "interest_rate",
            "interest_auec",
            "term_days",
            "reason",
            "status",
            "requested_at",
            "issued_date",
            "due_date",
            "paid_date",
            "decided_by_id",
            "decided_at",
            "decision_note",
            "defaulted_date",
            "forgiven_by_id",
            "forgiven_date",
            "written_off_auec",
            "written_off_date",
        )
    )
    repayments = await (
        LoanRepayment.filter(guild_id=guild_id)
        .order_by("loan_id", "paid_at", "id")
        .values(
            "id",
            "loan_id",
            "amount_auec",
            "interest_auec",
            "principal_auec",
            "recorded_by_id",
            "paid_at",
        )
    )
    return {"loans": loans, "loan_repayments": repayments}
