"""The loans app: a loan per row (seed table `loans`) and the repayments made against it.

Money moves only through the economy ledger; these rows record the loan's terms, its state
and who did what. Actor ids (approver, recorder, forgiver) are plain snowflakes, not foreign
keys, so the audit trail survives a user row being removed.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class LoanStatus(StrEnum):
    REQUESTED = "requested"  # asked for, waiting for a treasurer
    REJECTED = "rejected"  # a treasurer said no (final)
    ACTIVE = "active"  # disbursed, being repaid
    PAID = "paid"  # repaid in full (final)
    DEFAULTED = "defaulted"  # past due + grace and not repaid
    FORGIVEN = "forgiven"  # a treasurer wrote the rest off (final)


# loans the borrower still has to do something about, counted against max_open_loans
OPEN_STATUSES = (LoanStatus.REQUESTED, LoanStatus.ACTIVE, LoanStatus.DEFAULTED)
# loans that can still take a repayment (unless written off)
REPAYABLE_STATUSES = (LoanStatus.ACTIVE, LoanStatus.DEFAULTED)


class Loan(Model):
    id = fields.IntField(primary_key=True)
    guild: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "core.Guild", related_name="loans", on_delete=fields.CASCADE
    )
    borrower: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "core.User", related_name="loans", on_delete=fields.CASCADE
    )
    # the principal
    amount_auec = fields.DecimalField(max_digits=15, decimal_places=2)
    # simple interest rate, e.g. 0.0500, for the term or per year (settings.interest_basis)
    interest_rate = fields.DecimalField(
        max_digits=5, decimal_places=4, default=Decimal("0"), db_default=Decimal("0")
    )
    # the interest for the whole term, fixed when the loan is created
    interest_auec = fields.DecimalField(max_digits=15, decimal_places=2, default=Decimal("0"))
    term_days = fields.IntField()
    reason = fields.TextField(null=True)
    status = fields.CharField(
        max_length=20, default=LoanStatus.ACTIVE.value, db_default=LoanStatus.ACTIVE.value
    )
    requested_at = fields.DatetimeField()
    issued_date = fields.DatetimeField(null=True)
    due_date = fields.DatetimeField(null=True)
    paid_date = fields.DatetimeField(null=True)
    # who approved, rejected or issued it directly, when, and the rejection reason
    decided_by_id = fields.BigIntField(null=True)
    decided_at = fields.DatetimeField(null=True)
    decision_note = fields.TextField(null=True)
    defaulted_date = fields.DatetimeField(null=True)
    forgiven_by_id = fields.BigIntField(null=True)
    forgiven_date = fields.DatetimeField(null=True)
    # principal taken off the books (on default or forgiveness)
    written_off_auec = fields.DecimalField(max_digits=15, decimal_places=2, default=Decimal("0"))
    written_off_date = fields.DatetimeField(null=True)
    # the default has been announced (or there was no channel to announce it in)
    default_notified = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    repayments: fields.ReverseRelation[LoanRepayment]

    class Meta:
        table = "loans"
        indexes = (("guild_id", "status"), ("guild_id", "borrower_id"))

    def __str__(self) -> str:
        return f"loan #{self.id}"


class LoanRepayment(Model):
    """A payment against a loan, split between interest (paid first) and principal."""

    id = fields.IntField(primary_key=True)
    guild: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "core.Guild", related_name="loan_repayments", on_delete=fields.CASCADE
    )
    loan: fields.ForeignKeyRelation[Loan] = fields.ForeignKeyField(
        "loans.Loan", related_name="repayments", on_delete=fields.CASCADE
    )
    amount_auec = fields.DecimalField(max_digits=15, decimal_places=2)
    interest_auec = fields.DecimalField(max_digits=15, decimal_places=2)
    principal_auec = fields.DecimalField(max_digits=15, decimal_places=2)
    # the borrower, or the treasurer who recorded it for them
    recorded_by_id = fields.BigIntField()
    paid_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "loan_repayments"
        indexes = (("loan_id", "paid_at"),)
