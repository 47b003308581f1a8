"""`[loans]` settings, overridable per guild in `[guilds."ID".loans]`."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.config import TOP_LEVEL_ONLY
from core.money import MAX_AMOUNT

# DECIMAL(5,4)
MAX_RATE = Decimal("9.9999")


class LoansSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # rate for requested loans and for issued ones that name none, e.g. 0.05 = 5 %
    default_rate: Decimal = Field(Decimal("0.0500"), ge=0, le=MAX_RATE, decimal_places=4)
    # highest rate an officer may name on /loan issue (1 = 100 %); a typo such as 500% is
    # refused rather than lent at
    max_rate: Decimal = Field(Decimal("1.0000"), ge=0, le=MAX_RATE, decimal_places=4)
    # "term": rate × principal once for the whole term; "annual": × term_days / 365
    interest_basis: Literal["term", "annual"] = "term"
    # largest principal of one loan
    max_amount: Decimal = Field(Decimal("10000000.00"), gt=0, le=MAX_AMOUNT, decimal_places=2)
    # requested, active and defaulted loans a member may have at once
    max_open_loans: int = Field(1, ge=1)
    default_term_days: int = Field(30, ge=1)
    min_term_days: int = Field(1, ge=1)
    max_term_days: int = Field(90, ge=1, le=36500)
    # days after the due date before an unpaid loan is marked defaulted
    grace_days: int = Field(7, ge=0, le=3650)
    # only org members (guild_memberships.is_org_member) may borrow
    members_only: bool = True
    # text channel told about defaults; none = no announcements
    notify_channel_id: int | None = None
    # on default, move the outstanding principal from loans receivable to write-offs
    write_off_on_default: bool = True
    # how often the bot looks for overdue loans (top-level [loans] only); 0 turns it off
    check_interval_minutes: float = Field(60, ge=0, json_schema_extra=TOP_LEVEL_ONLY)

    @model_validator(mode="after")
    def _terms_and_rates_in_order(self) -> Self:
        if not self.min_term_days <= self.default_term_days <= self.max_term_days:
            raise ValueError(
                "need min_term_days <= default_term_days <= max_term_days "
                f"(got {self.min_term_days}, {self.default_term_days}, {self.max_term_days})"
            )
        if self.default_rate > self.max_rate:
            raise ValueError(
                f"default_rate ({self.default_rate}) is above max_rate ({self.max_rate})"
            )
        return self
