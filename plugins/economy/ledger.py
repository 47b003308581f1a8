"""The org's double-entry ledger: every movement of money, balanced, never edited.

A transaction has two or more entries whose amounts sum to exactly zero. Amounts are
debit-positive: a positive amount debits an account, a negative one credits it. Balances are
the sum of an account's entries, never stored.

Sign convention, per account kind:

- TREASURY is an asset: a debit is money in, so a positive balance is money the org holds.
- MEMBER(user) is what the org owes that member: a credit (negative balance) means the org owes
  them (e.g. a payroll share not yet paid out), a debit means they owe the org.
- LOANS_RECEIVABLE(user) is what a member owes the org on loans: a debit (positive) balance.
- INCOME and INTEREST_INCOME are credited (negative) as the org earns.
- EXPENSES and WRITE_OFFS are debited (positive) as the org spends or gives up money.

Examples: a sale paid into the treasury is `TREASURY +x, INCOME -x`; an event's payroll
(`plugins.mining.payroll`) is one transaction, `TREASURY +gross` for what the haul sold for,
`MEMBER(u) -(share + expenses repaid)` for each member owed something, `EXPENSES +expenses` and
`INCOME -(org cut + expenses)`; paying a member out is `TREASURY -x, MEMBER(u) +x`; a loan is
`LOANS_RECEIVABLE(u) +x, TREASURY -x`.

Posting is idempotent per `(guild, reference)`: a reference names what caused the posting
(`mining:event:12:payroll`, `loan:7:disbursement`), and posting it again returns the first
transaction. A correction is a reversing transaction (`reverse`), allowed once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

import clocks
from core.errors import InvalidInput, InvalidState, MemberRef, NotFound
from core.models import Guild, User
from core.money import to_amount
from plugins.economy.models import Account, Entry, Transaction
from storage import sql

log = logging.getLogger(__name__)

ZERO = Decimal("0.00")
MEMO_MAX = 500
REFERENCE_MAX = 200


class AccountKind(StrEnum):
    TREASURY = "treasury"
    MEMBER = "member"
    INCOME = "income"
    EXPENSES = "expenses"
    LOANS_RECEIVABLE = "loans_receivable"
    INTEREST_INCOME = "interest_income"
    WRITE_OFFS = "write_offs"

    @property
    def per_member(self) -> bool:
        return self in (AccountKind.MEMBER, AccountKind.LOANS_RECEIVABLE)


class TxKind(StrEnum):
    PAYROLL = "payroll"
    PAYOUT = "payout"
    TRADE = "trade"
    SALE = "sale"
    LOAN_DISBURSEMENT = "loan_disbursement"
    LOAN_REPAYMENT = "loan_repayment"
    LOAN_WRITE_OFF = "loan_write_off"
    ADJUSTMENT = "adjustment"
    REVERSAL = "reversal"


@dataclass(frozen=True)
class AccountRef:
    """Names an account of a guild: its kind, and the member for per-member kinds."""

    kind: AccountKind
    user_id: int | None = None

    @property
    def key(self) -> str:
        return str(self.kind) if self.user_id is None else f"{self.kind}:{self.user_id}"

    def __str__(self) -> str:
        label = str(self.kind).replace("_", " ")
        return label if self.user_id is None else f"{label} of member {self.user_id}"


@dataclass(frozen=True)
class Line:
    """One entry to post: `amount` > 0 debits the account, < 0 credits it."""

    account: AccountRef
    amount: Decimal


TREASURY = AccountRef(AccountKind.TREASURY)
INCOME = AccountRef(AccountKind.INCOME)
EXPENSES = AccountRef(AccountKind.EXPENSES)
INTEREST_INCOME = AccountRef(AccountKind.INTEREST_INCOME)
WRITE_OFFS = AccountRef(AccountKind.WRITE_OFFS)


def member(user_id: int) -> AccountRef:
    return AccountRef(AccountKind.MEMBER, user_id)


def loans_receivable(user_id: int) -> AccountRef:
    return AccountRef(AccountKind.LOANS_RECEIVABLE, user_id)


# -- checks --------------------------------------------------------------------------------


def _check_ref(ref: AccountRef) -> AccountRef:
    if type(ref.kind) is AccountKind and ref.kind.per_member == (ref.user_id is not None):
        return ref  # already well formed (every caller's usual case): nothing to rebuild
    try:
        kind = AccountKind(ref.kind)
    except ValueError:
        names = ", ".join(k.value for k in AccountKind)
        raise InvalidInput(f"unknown account kind {ref.kind!r}: use one of {names}") from None
    if kind.per_member and ref.user_id is None:
        raise InvalidInput(f"a {kind} account belongs to a member: give a user_id")
    if not kind.per_member and ref.user_id is not None:
        raise InvalidInput(f"the {kind} account is the org's own: it takes no user_id")
    return AccountRef(kind, ref.user_id)


_SIGNED: dict[str, bool] = {"allow_zero": True, "allow_negative": True}


def _check_lines(lines: Sequence[Line]) -> list[Line]:
    if len(lines) < 2:
        raise InvalidInput("a transaction needs at least two lines (a debit and a credit)")
    checked = []
    for position, line in enumerate(lines, start=1):
        ref = _check_ref(line.account)
        try:
            amount = to_amount(line.amount, **_SIGNED)
        except InvalidInput:
            # again, to name the line: its label is written only for a refusal (payroll
            # posts a line a member, and writing every label was most of this check's time)
            to_amount(line.amount, what=f"line {position} ({ref})", **_SIGNED)
            raise
        if amount == 0:
            raise InvalidInput(f"line {position} ({ref}) is zero: leave it out")
        checked.append(Line(ref, amount))
    total = sum((line.amount for line in checked), ZERO)
    if total != 0:
        raise InvalidInput(f"the lines do not balance: they sum to {total}, not 0")
    return checked


def _check_kind(kind: TxKind | str) -> TxKind:
    try:
        return TxKind(kind)
    except ValueError:
        names = ", ".join(k.value for k in TxKind)
        raise InvalidInput(f"unknown transaction kind {kind!r}: use one of {names}") from None


def _check_memo(memo: str) -> str:
    memo = (memo or "").strip()
    if not memo:
        raise InvalidInput("a transaction needs a memo saying what it is for")
    if len(memo) > MEMO_MAX:
        raise InvalidInput(f"the memo is {len(memo)} characters long: keep it to {MEMO_MAX}")
    return memo


def _check_reference(reference: str | None) -> str | None:
    if reference is None:
        return None
    reference = reference.strip()
    if not reference or len(reference) > REFERENCE_MAX:
        raise InvalidInput(f"a reference must be 1 to {REFERENCE_MAX} characters")
    return reference


def utc(at: datetime | None, *, what: str = "time") -> datetime:
    """`clocks.utc` (now when None), a naive time refused as a member's mistake."""
    try:
        return clocks.utc(at)
    except ValueError:
        raise InvalidInput(f"{what} must be timezone-aware") from None


# -- money in SQL --------------------------------------------------------------------------


async def sum_amounts(queryset: QuerySet[Entry], field: str = "amount") -> Decimal:
    """Exact sum of a money column (`storage.sql.sum_decimal`)."""
    return await sql.sum_decimal(queryset, field, ZERO)


async def sum_by_account(queryset: QuerySet[Entry]) -> dict[int, Decimal]:
    """Exact sums of entries per account id."""
    return await sql.sum_decimal_by(queryset, "account_id", "amount", ZERO)


# -- accounts ------------------------------------------------------------------------------


async def _accounts(guild_id: int, refs: Iterable[AccountRef]) -> dict[AccountRef, int]:
    """Account ids for refs, creating missing ones.

    One SELECT when they all exist; one INSERT … ON CONFLICT DO NOTHING RETURNING more for
    new ones, and a last SELECT only for accounts a concurrent posting created first
    (concurrency-safe). An unknown guild or member fails the INSERT's foreign keys: `post`
    names it (`_refuse_unknown`).
    """
    wanted = {ref.key: ref for ref in refs}
    found = {wanted[key]: account_id for key, account_id in await _ids(guild_id, list(wanted))}
    # a fixed order, so two postings creating the same accounts cannot deadlock on PostgreSQL
    missing = sorted((ref for ref in wanted.values() if ref not in found), key=lambda r: r.key)
    if missing:
        created = await _insert_accounts(guild_id, missing)
        found.update({wanted[key]: account_id for key, account_id in created})
    if raced := [ref.key for ref in missing if ref not in found]:
        found.update({wanted[key]: account_id for key, account_id in await _ids(guild_id, raced)})
    return found


async def _ids(guild_id: int, keys: Sequence[str]) -> list[Sequence[Any]]:
    """(key, id) of this guild's accounts among `keys`, by hand: payroll looks up an account
    per member, and building that IN list with Tortoise cost more than the query."""
    marks = ", ".join(f"${n}" for n in range(2, len(keys) + 2))
    return await sql.fetch(
        f"SELECT key, id FROM ledger_accounts WHERE guild_id = $1 AND key IN ({marks})",
        [guild_id, *keys],
    )


async def _insert_accounts(guild_id: int, refs: Sequence[AccountRef]) -> list[tuple[str, int]]:
    """(key, id) of the accounts this statement created (not those that existed already)."""
    now = clocks.utc()
    rows = await sql.insert_rows(
        "ledger_accounts",
        ("guild_id", "kind", "user_id", "key", "created_at"),
        [(guild_id, str(ref.kind), ref.user_id, ref.key, now) for ref in refs],
        on_conflict="(guild_id, key) DO NOTHING",
        returning="key, id",
    )
    return [(row[0], row[1]) for row in rows]


async def _refuse_unknown(guild_id: int, refs: Iterable[AccountRef]) -> None:
    """Raise NotFound when the guild or a member of these accounts is not known to the bot."""
    if not await Guild.exists(id=guild_id):
        raise NotFound(f"server {guild_id} is not known to the bot")
    user_ids = {ref.user_id for ref in refs if ref.user_id is not None}
    if user_ids:
        known = set(await User.filter(id__in=user_ids).values_list("id", flat=True))
        if unknown := sorted(user_ids - known):
            raise NotFound(MemberRef(unknown[0]), " is not known to the bot")


# -- posting -------------------------------------------------------------------------------


async def post(
    guild_id: int,
    *,
    kind: TxKind,
    memo: str,
    lines: Sequence[Line],
    reference: str | None = None,
    actor_id: int | None = None,
    at: datetime | None = None,
) -> Transaction:
    """Post a balanced transaction; with a reference already posted, return that one.

    Atomic on its own, and a savepoint inside a caller's `in_transaction()`. Accounts are
    created on demand (a member's needs their user row) at the cost of one more statement.
    """
    tx_kind = _check_kind(kind)
    if tx_kind is TxKind.REVERSAL:
        raise InvalidInput("post a reversal with reverse(), which links it to the original")
    checked = _check_lines(lines)
    memo = _check_memo(memo)
    reference = _check_reference(reference)
    when = utc(at)
    if reference is not None:
        existing = await _posted(guild_id, reference)
        if existing is not None:
            return existing
    try:
        async with in_transaction():
            ids = await _accounts(guild_id, (line.account for line in checked))
            return await _write(
                guild_id,
                kind=tx_kind,
                memo=memo,
                reference=reference,
                actor_id=actor_id,
                at=when,
                pairs=[(ids[line.account], line.amount) for line in checked],
            )
    except IntegrityError:
        if reference is not None:
            # a concurrent post of the same reference committed first: that one stands
            existing = await _posted(guild_id, reference)
            if existing is not None:
                return existing
        # new accounts of an unknown guild or member fail their foreign keys
        await _refuse_unknown(guild_id, (line.account for line in checked))
        raise


async def _posted(guild_id: int, reference: str) -> Transaction | None:
    """The transaction already posted with `reference`, if any: one indexed lookup by hand,
    as it runs before every posting with a reference and finds nothing nearly always."""
    return await sql.first_model(
        Transaction, "guild_id = $1 AND reference = $2", [guild_id, reference]
    )


ENTRY_COLUMNS = ("transaction_id", "account_id", "guild_id", "amount", "at")


async def _write(
    guild_id: int,
    *,
    kind: TxKind,
    memo: str,
    reference: str | None,
    actor_id: int | None,
    at: datetime,
    pairs: Sequence[tuple[int, Decimal]],
    reverses_id: int | None = None,
) -> Transaction:
    tx = await Transaction.create(
        guild_id=guild_id,
        kind=kind,
        memo=memo,
        reference=reference,
        actor_id=actor_id,
        at=at,
        reverses_id=reverses_id,
    )
    # one multi-row INSERT, not an Entry object per line: payroll posts a line per member
    await sql.insert_rows(
        "ledger_entries",
        ENTRY_COLUMNS,
        [(tx.id, account_id, guild_id, amount, at) for account_id, amount in pairs],
    )
    return tx


async def reversible(guild_id: int, transaction_id: int, *, memo: str | None = None) -> Transaction:
    """This guild's transaction `transaction_id`, if `reverse` would reverse it with `memo`
    (else the refusal `reverse` gives): what a confirmation step shows before anyone confirms."""
    if memo is not None:
        _check_memo(memo)
    original = await Transaction.get_or_none(id=transaction_id, guild_id=guild_id)
    if original is None:
        raise NotFound(f"transaction #{transaction_id} not found in this server")
    if original.kind == TxKind.REVERSAL:
        raise InvalidState(
            f"transaction #{transaction_id} is itself a reversal: post a new transaction instead"
        )
    already = await Transaction.get_or_none(guild_id=guild_id, reverses_id=original.id)
    if already is not None:
        raise InvalidState(f"transaction #{transaction_id} was already reversed by #{already.id}")
    return original


async def amount_moved(guild_id: int, transaction_id: int) -> Decimal:
    """What a transaction moved: the sum of its debits (its credits are the same, negated)."""
    return await sum_amounts(
        Entry.filter(guild_id=guild_id, transaction_id=transaction_id, amount__gt=0)
    )


async def reverse(
    guild_id: int,
    transaction_id: int,
    *,
    memo: str,
    actor_id: int | None,
    at: datetime | None = None,
) -> Transaction:
    """Post the exact opposite of a transaction, once; the original stays as it was."""
    memo = _check_memo(memo)
    when = utc(at)
    original = await reversible(guild_id, transaction_id)
    pairs = await Entry.filter(transaction_id=original.id).values_list("account_id", "amount")
    try:
        async with in_transaction():
            return await _write(
                guild_id,
                kind=TxKind.REVERSAL,
                memo=f"Reversal of #{original.id}: {memo}"[:MEMO_MAX],
                reference=None,
                actor_id=actor_id,
                at=when,
                pairs=[(account_id, -Decimal(str(a))) for account_id, a in pairs],
                reverses_id=original.id,
            )
    except IntegrityError:
        # a concurrent reversal of the same transaction won (reverses_id is unique)
        raise InvalidState(f"transaction #{transaction_id} was already reversed") from None


# -- reading -------------------------------------------------------------------------------


def entries_of(
    guild_id: int,
    account: AccountRef,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    before: datetime | None = None,
) -> QuerySet[Entry]:
    """Entries of one account in a window: `since` <= at <= `until`, at < `before`."""
    account_ids = Account.filter(guild_id=guild_id, key=account.key).values("id")
    query = Entry.filter(guild_id=guild_id, account_id__in=Subquery(account_ids))
    if since is not None:
        query = query.filter(at__gte=utc(since, what="since"))
    if until is not None:
        query = query.filter(at__lte=utc(until, what="until"))
    if before is not None:
        query = query.filter(at__lt=utc(before, what="before"))
    return query


async def balance(
    guild_id: int,
    account: AccountRef,
    *,
    until: datetime | None = None,
    before: datetime | None = None,
) -> Decimal:
    """Debit-positive sum of the account's entries posted at or before `until` (or before
    `before`); an account never posted to has a balance of zero."""
    account = _check_ref(account)
    return await sum_amounts(entries_of(guild_id, account, until=until, before=before))
