"""The financial report of a guild over a period, read entirely from the ledger and trades.

Figures come from transaction kinds and account kinds, so whatever plugin posted them (mining's
payroll, loans' disbursements) they land in the right line. A reversal counts against the kind
of the transaction it reverses, so a reversed payroll nets to zero instead of inflating both.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from core.errors import InvalidInput
from plugins.economy import ledger
from plugins.economy.ledger import AccountKind, TxKind
from plugins.economy.models import Account, Entry, Trade

ZERO = Decimal("0.00")
TOP_MATERIALS = 5


def day_window(start: date | None, end: date | None, today: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in UTC; default: the 30 days up to and including today."""
    end = end or today
    start = start or end - timedelta(days=29)
    if start > end:
        raise InvalidInput(f"the period starts ({start}) after it ends ({end})")
    if (end - start).days > 3660:
        raise InvalidInput("keep a report to ten years or less")
    return (
        datetime.combine(start, time(0), tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC),
    )


def parse_day(text: str | None, what: str) -> date | None:
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{what} {text!r} is not a date: write it as YYYY-MM-DD") from None


@dataclass(frozen=True)
class KindTotal:
    kind: str
    count: int
    volume: Decimal  # sum of the debits: how much money moved


@dataclass(frozen=True)
class MaterialTotal:
    name: str
    scu: Decimal
    value: Decimal


@dataclass
class FinanceReport:
    guild_id: int
    start: datetime
    end: datetime  # exclusive
    treasury_start: Decimal = ZERO
    treasury_end: Decimal = ZERO
    income: Decimal = ZERO  # credited to INCOME (sales and other income)
    interest_income: Decimal = ZERO
    expenses: Decimal = ZERO  # debited to EXPENSES (payroll shares, purchases, costs)
    payroll: Decimal = ZERO  # credited to members by payroll (their shares)
    payouts: Decimal = ZERO  # paid to members against what they are owed
    loans_issued: Decimal = ZERO
    loans_repaid: Decimal = ZERO  # principal
    loans_written_off: Decimal = ZERO
    loans_outstanding: Decimal = ZERO  # at the end of the period
    owed_to_members: Decimal = ZERO  # at the end: credit balances of member accounts
    owed_by_members: Decimal = ZERO  # at the end: debit balances (not loans)
    sold: list[MaterialTotal] = field(default_factory=list)
    bought: list[MaterialTotal] = field(default_factory=list)
    kinds: list[KindTotal] = field(default_factory=list)
    # treasury balance at the end of each day of the period
    treasury_by_day: list[tuple[date, Decimal]] = field(default_factory=list)
    # income and expenses per week (per month beyond half a year): (bucket start, in, out)
    flow: list[tuple[date, Decimal, Decimal]] = field(default_factory=list)
    flow_bucket: str = "week"

    @property
    def net(self) -> Decimal:
        return self.income + self.interest_income - self.expenses - self.loans_written_off

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()

    def figures(self) -> list[tuple[str, Decimal]]:
        """The headline figures in reading order (for the embed, CSV and PDF alike)."""
        return [
            ("Treasury at start", self.treasury_start),
            ("Income", self.income),
            ("Interest income", self.interest_income),
            ("Expenses", self.expenses),
            ("Loans written off", self.loans_written_off),
            ("Net result", self.net),
            ("Payroll credited to members", self.payroll),
            ("Payouts to members", self.payouts),
            ("Loans issued", self.loans_issued),
            ("Loans repaid (principal)", self.loans_repaid),
            ("Loans outstanding at end", self.loans_outstanding),
            ("Owed to members at end", self.owed_to_members),
            ("Owed by members at end (besides loans)", self.owed_by_members),
            ("Treasury at end", self.treasury_end),
        ]


async def finances(guild_id: int, start: datetime, end: datetime) -> FinanceReport:
    """The report for entries at or after `start` and before `end` (a handful of queries)."""
    start, end = ledger.utc(start, what="start"), ledger.utc(end, what="end")
    if end <= start:
        raise InvalidInput("the period must end after it starts")
    report = FinanceReport(guild_id, start, end)
    report.treasury_start = await ledger.balance(guild_id, ledger.TREASURY, before=start)
    report.treasury_end = await ledger.balance(guild_id, ledger.TREASURY, before=end)

    rows = await Entry.filter(guild_id=guild_id, at__gte=start, at__lt=end).values(
        "amount",
        "at",
        "transaction_id",
        "account__kind",
        "transaction__kind",
        "transaction__reverses__kind",
    )
    counted: dict[str, set[int]] = defaultdict(set)
    volume: dict[str, Decimal] = defaultdict(lambda: ZERO)
    treasury_moves: dict[date, Decimal] = defaultdict(lambda: ZERO)
    monthly = (end - start).days > 183
    report.flow_bucket = "month" if monthly else "week"
    flow: dict[date, list[Decimal]] = {b: [ZERO, ZERO] for b in _buckets(start, end, monthly)}
    for row in rows:
        amount = Decimal(str(row["amount"]))
        account = row["account__kind"]
        tx_kind = row["transaction__kind"]
        kind = row["transaction__reverses__kind"] or tx_kind  # a reversal nets its original
        counted[tx_kind].add(row["transaction_id"])
        if amount > 0:
            volume[tx_kind] += amount
        day = row["at"].astimezone(UTC).date()
        bucket = _bucket(day, monthly)
        if account == AccountKind.TREASURY:
            treasury_moves[day] += amount
        if account == AccountKind.INCOME:
            report.income -= amount
            flow[bucket][0] -= amount
        elif account == AccountKind.INTEREST_INCOME:
            report.interest_income -= amount
            flow[bucket][0] -= amount
        elif account == AccountKind.EXPENSES:
            report.expenses += amount
            flow[bucket][1] += amount
        elif account == AccountKind.WRITE_OFFS:
            report.loans_written_off += amount
            flow[bucket][1] += amount
        if kind == TxKind.PAYROLL and account == AccountKind.MEMBER:
            report.payroll -= amount
        if kind == TxKind.PAYOUT and account == AccountKind.MEMBER:
            report.payouts += amount
        if account == AccountKind.LOANS_RECEIVABLE:
            if kind == TxKind.LOAN_DISBURSEMENT:
                report.loans_issued += amount
            elif kind == TxKind.LOAN_REPAYMENT:
                report.loans_repaid -= amount
    report.kinds = sorted(
        (KindTotal(k, len(ids), volume[k]) for k, ids in counted.items()),
        key=lambda t: (-t.volume, t.kind),
    )
    report.loans_outstanding = await _kind_balance(guild_id, AccountKind.LOANS_RECEIVABLE, end)
    members = await ledger.sum_by_account(_of_kind(guild_id, AccountKind.MEMBER, end))
    report.owed_to_members = -sum((b for b in members.values() if b < 0), ZERO)
    report.owed_by_members = sum((b for b in members.values() if b > 0), ZERO)

    running = report.treasury_start
    day, last = start.date(), (end - timedelta(microseconds=1)).date()
    while day <= last:
        running += treasury_moves.get(day, ZERO)
        report.treasury_by_day.append((day, running))
        day += timedelta(days=1)
    report.flow = [(b, inc, exp) for b, (inc, exp) in sorted(flow.items())]
    report.sold, report.bought = await _materials(guild_id, start, end)
    return report


def _bucket(day: date, monthly: bool) -> date:
    return day.replace(day=1) if monthly else day - timedelta(days=day.weekday())


def _buckets(start: datetime, end: datetime, monthly: bool) -> list[date]:
    """Every week (Monday) or month of the period, so quiet ones show as empty bars."""
    buckets, day, last = [], start.date(), (end - timedelta(microseconds=1)).date()
    while day <= last:
        bucket = _bucket(day, monthly)
        if not buckets or buckets[-1] != bucket:
            buckets.append(bucket)
        day += timedelta(days=1)
    return buckets


def _of_kind(guild_id: int, kind: AccountKind, before: datetime) -> QuerySet[Entry]:
    """Entries of every account of a kind (all members' loans, say) before a time."""
    accounts = Account.filter(guild_id=guild_id, kind=kind).values("id")
    return Entry.filter(guild_id=guild_id, at__lt=before, account_id__in=Subquery(accounts))


async def _kind_balance(guild_id: int, kind: AccountKind, before: datetime) -> Decimal:
    return await ledger.sum_amounts(_of_kind(guild_id, kind, before))


async def _materials(
    guild_id: int, start: datetime, end: datetime
) -> tuple[list[MaterialTotal], list[MaterialTotal]]:
    rows = await Trade.filter(guild_id=guild_id, at__gte=start, at__lt=end).values(
        "side", "material__name", "quantity_scu", "total"
    )
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for row in rows:
        entry = sums[(row["side"], row["material__name"])]
        entry[0] += Decimal(str(row["quantity_scu"]))
        entry[1] += Decimal(str(row["total"]))

    def top(side: str) -> list[MaterialTotal]:
        chosen = [
            MaterialTotal(name, scu, value) for (s, name), (scu, value) in sums.items() if s == side
        ]
        return sorted(chosen, key=lambda m: (-m.value, m.name))

    return top("sell"), top("buy")
