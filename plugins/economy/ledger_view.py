"""The ledger as a treasurer browses it: entries filtered by account, kind and days, paged.

Read-only; the portal's ledger page and anything else that lists entries use it. A page costs
two queries (the count and the rows, with their transaction, account and member joined)
whatever the size of the ledger, and every query is scoped by the guild.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from tortoise.queryset import QuerySet

from core.errors import InvalidInput
from core.names import plain_name
from plugins.economy.ledger import AccountKind, AccountRef, TxKind, utc
from plugins.economy.models import Entry
from plugins.economy.reports import day_window

PER_PAGE = 50
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class LedgerFilter:
    """What to show: one account (None: all), one transaction kind, entries in [since, before)."""

    account: AccountRef | None = None
    kind: TxKind | None = None
    since: datetime | None = None
    before: datetime | None = None


@dataclass(frozen=True)
class LedgerRow:
    entry_id: int
    transaction_id: int
    at: datetime
    kind: str
    memo: str
    account: AccountRef
    member_name: str | None  # the member of a per-member account, by name (never a mention)
    amount: Decimal  # > 0 debit, < 0 credit
    reverses_id: int | None


@dataclass(frozen=True)
class LedgerPage:
    rows: tuple[LedgerRow, ...]
    page: int
    per_page: int
    total: int  # entries matching the filter, on every page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def parse_kind(text: str | None) -> TxKind | None:
    """A transaction kind as typed in a filter ('' or None: every kind)."""
    if text is None or not text.strip():
        return None
    try:
        return TxKind(text.strip().lower())
    except ValueError:
        names = ", ".join(k.value for k in TxKind)
        raise InvalidInput(f"unknown transaction kind {text!r}: use one of {names}") from None


def parse_account(kind: str | None, user_id: int | None = None) -> AccountRef | None:
    """An account as chosen in a filter: its kind, and the member for per-member kinds."""
    if kind is None or not kind.strip():
        return None
    try:
        account_kind = AccountKind(kind.strip().lower())
    except ValueError:
        names = ", ".join(k.value for k in AccountKind)
        raise InvalidInput(f"unknown account {kind!r}: use one of {names}") from None
    if account_kind.per_member and user_id is None:
        raise InvalidInput(f"choose the member whose {account_kind.value} account to show")
    return AccountRef(account_kind, user_id if account_kind.per_member else None)


def parse_page(text: str | None) -> int:
    if text is None or not text.strip():
        return 1
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()) or not 1 <= int(digits) <= 1_000_000:
        raise InvalidInput(f"page {text!r} is not a page number (1 or more)")
    return int(digits)


def day_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """[start 00:00, end+1 00:00) in UTC; either side may be left open."""
    if start is not None and end is not None:
        return day_window(start, end, end)  # refuses a period that ends before it starts
    since = datetime.combine(start, time(0), tzinfo=UTC) if start is not None else None
    before = datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC) if end else None
    return since, before


def _rows(guild_id: int, filter: LedgerFilter) -> QuerySet[Entry]:
    query = Entry.filter(guild_id=guild_id)
    if filter.account is not None:
        query = query.filter(account__key=filter.account.key)
    if filter.kind is not None:
        query = query.filter(transaction__kind=filter.kind.value)
    if filter.since is not None:
        query = query.filter(at__gte=utc(filter.since, what="since"))
    if filter.before is not None:
        query = query.filter(at__lt=utc(filter.before, what="before"))
    return query


async def ledger_page(
    guild_id: int, filter: LedgerFilter, *, page: int = 1, per_page: int = PER_PAGE
) -> LedgerPage:
    """The entries matching `filter`, newest first, page `page` (a page past the end is the
    last page's neighbour: empty, with the total, so the page can say how many there are)."""
    if page < 1:
        raise InvalidInput("page numbers start at 1")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"show 1 to {MAX_PER_PAGE} entries a page")
    total = await _rows(guild_id, filter).count()
    found = (
        await _rows(guild_id, filter)
        .order_by("-at", "-id")
        .offset((page - 1) * per_page)
        .limit(per_page)
        .values(
            "id",
            "transaction_id",
            "at",
            "amount",
            "transaction__kind",
            "transaction__memo",
            "transaction__reverses_id",
            "account__kind",
            "account__user_id",
            "account__user__display_name",
            "account__user__username",
        )
    )
    rows = tuple(
        LedgerRow(
            entry_id=row["id"],
            transaction_id=row["transaction_id"],
            at=row["at"],
            kind=row["transaction__kind"],
            memo=row["transaction__memo"],
            account=AccountRef(AccountKind(row["account__kind"]), row["account__user_id"]),
            member_name=(
                plain_name(
                    row["account__user_id"],
                    row["account__user__display_name"],
                    row["account__user__username"],
                )
                if row["account__user_id"] is not None
                else None
            ),
            amount=Decimal(str(row["amount"])).quantize(Decimal("0.01")),
            reverses_id=row["transaction__reverses_id"],
        )
        for row in found
    )
    return LedgerPage(rows, page, per_page, total)
