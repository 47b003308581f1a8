"""What a member or the treasury sees: balances in words, and statements over a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from core.errors import InvalidInput
from plugins.economy import ledger
from plugins.economy.ledger import AccountKind, AccountRef, loans_receivable, member
from plugins.economy.models import Account, Entry

STATEMENT_MAX_LINES = 10_000

PERIODS = {
    "week": timedelta(days=7),
    "month": timedelta(days=30),
    "quarter": timedelta(days=91),
    "year": timedelta(days=365),
}


def period_window(period: str | None, now: datetime) -> tuple[datetime | None, datetime]:
    """`week`, `month`, `quarter`, `year` back from now, or `all` (None = from the start)."""
    name = (period or "month").strip().lower()
    if name == "all":
        return None, now
    if name not in PERIODS:
        raise InvalidInput(f"unknown period {period!r}: use {', '.join(PERIODS)} or all")
    return now - PERIODS[name], now


@dataclass(frozen=True)
class MemberPosition:
    """A member's standing with the org, debit-positive as in the ledger."""

    user_id: int
    account: Decimal  # < 0: the org owes them, > 0: they owe the org
    loans: Decimal  # what they owe on loans

    @property
    def owed_to_member(self) -> Decimal:
        return max(-self.account, Decimal("0.00"))

    @property
    def owed_by_member(self) -> Decimal:
        return max(self.account, Decimal("0.00")) + self.loans


async def member_position(guild_id: int, user_id: int) -> MemberPosition:
    return MemberPosition(
        user_id,
        await ledger.balance(guild_id, member(user_id)),
        await ledger.balance(guild_id, loans_receivable(user_id)),
    )


@dataclass(frozen=True, kw_only=True)
class StatementLine:
    at: datetime
    transaction_id: int
    kind: str
    memo: str
    amount: Decimal
    balance: Decimal


@dataclass(frozen=True, kw_only=True)
class Statement:
    account: AccountRef
    since: datetime | None
    until: datetime
    opening: Decimal
    lines: tuple[StatementLine, ...]
    closing: Decimal
    truncated: int  # older lines of the period left out (beyond STATEMENT_MAX_LINES)


async def statement(
    guild_id: int,
    account: AccountRef,
    *,
    since: datetime | None,
    until: datetime,
) -> Statement:
    """Opening balance, each entry with the running balance, closing balance (3 queries)."""
    until = ledger.utc(until, what="until")
    opening = (
        await ledger.balance(guild_id, account, before=since) if since is not None else Decimal(0)
    ).quantize(Decimal("0.01"))
    rows = (
        await ledger.entries_of(guild_id, account, since=since, until=until)
        .order_by("at", "id")
        .values("at", "amount", "transaction_id", "transaction__kind", "transaction__memo")
    )
    running = opening
    lines = []
    for row in rows:
        amount = Decimal(str(row["amount"]))
        running += amount
        lines.append(
            StatementLine(
                at=row["at"],
                transaction_id=row["transaction_id"],
                kind=row["transaction__kind"],
                memo=row["transaction__memo"],
                amount=amount,
                balance=running,
            )
        )
    truncated = max(0, len(lines) - STATEMENT_MAX_LINES)
    return Statement(
        account=account,
        since=since,
        until=until,
        opening=opening,
        lines=tuple(lines[truncated:]),
        closing=running,
        truncated=truncated,
    )


@dataclass(frozen=True)
class NamedPosition:
    name: str  # the member's display name, else username (never a mention)
    position: MemberPosition


async def member_positions(guild_id: int) -> list[NamedPosition]:
    """Every member with a ledger account here (theirs or a loan's), by name: the balances
    page. Two queries whatever the number of members: the sums per account, then the names."""
    kinds = (AccountKind.MEMBER.value, AccountKind.LOANS_RECEIVABLE.value)
    accounts = await Account.filter(guild_id=guild_id, kind__in=kinds).values(
        "id", "kind", "user_id", "user__display_name", "user__username"
    )
    sums = await ledger.sum_by_account(
        Entry.filter(guild_id=guild_id, account_id__in=[a["id"] for a in accounts])
    )
    zero = Decimal("0.00")
    own: dict[int, Decimal] = {}
    loans: dict[int, Decimal] = {}
    names: dict[int, str] = {}
    for a in accounts:
        uid = a["user_id"]
        names[uid] = a["user__display_name"] or a["user__username"]
        into = own if a["kind"] == AccountKind.MEMBER.value else loans
        into[uid] = into.get(uid, zero) + sums.get(a["id"], zero)
    found = [
        NamedPosition(names[uid], MemberPosition(uid, own.get(uid, zero), loans.get(uid, zero)))
        for uid in names
    ]
    return sorted(found, key=lambda n: (n.name.casefold(), n.position.user_id))
