"""Payroll: who gets what from an event, previewed freely, committed once.

gross (the event's yield value) − expenses (repaid to whoever paid them) − org cut
(a percentage of what is left, kept by the org) = the pot, split among the participants who
qualify (enough time in channel), by time in channel or in equal shares. A participant may
donate their share: it goes to the others. Largest-remainder rounding makes the payouts add up
to the pot to the cent; if nobody is left to pay, the pot goes to the org.

The commit sends a fixed number of statements whatever the number of participants (the event
row locked, each participant's time and donation as counted when the event ended, the
expenses, one update, one bulk insert, one ledger posting: at most 10, new ledger accounts
included), and
runs once: the event row lock and a conditional update on `payroll_processed` make a second
commit, even a simultaneous one, find the payroll done.

Ledger posting, one transaction per event (reference `mining:event:ID:payroll`):
TREASURY +gross, MEMBER(u) −(share + expenses repaid) for each member owed something,
EXPENSES +expenses, INCOME −(org cut + expenses). Marking a payout paid posts TREASURY −x,
MEMBER(u) +x.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from tortoise.transactions import in_transaction

from core.errors import InvalidInput, InvalidState, MemberRef, NotFound
from core.models import GuildMembership
from core.money import cents, split
from core.names import plain_name
from plugins.economy import ledger
from plugins.mining.events import get_event
from plugins.mining.models import (
    EventStatus,
    MiningDonation,
    MiningEvent,
    MiningExpense,
    MiningPayout,
    PayoutStatus,
    PayrollMode,
)
from plugins.mining.participants import Participant, participants
from plugins.mining.sessions import NAME
from plugins.mining.settings import MiningSettings
from storage import sql

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


class Share(NamedTuple):
    """One member's line of a payroll (a tuple: cheap to build by the thousand)."""

    user_id: int
    name: str
    seconds: int
    qualified: bool = False
    donated: bool = False
    share: Decimal = ZERO  # of the pot
    reimbursed: Decimal = ZERO  # expenses repaid

    @property
    def amount(self) -> Decimal:
        return self.share + self.reimbursed


@dataclass(frozen=True, kw_only=True)
class Payroll:
    event_id: int
    event_name: str
    mode: PayrollMode
    gross: Decimal
    expenses: Decimal
    org_cut_percent: Decimal
    org_cut: Decimal  # includes a pot nobody was left to take
    pot: Decimal  # what the members share
    min_seconds: int
    shares: tuple[Share, ...]  # qualified first, then the rest, then payers who took no part
    committed: bool = False

    @property
    def net(self) -> Decimal:
        return self.gross - self.expenses

    @property
    def paid_out(self) -> Decimal:
        return sum((s.amount for s in self.shares), ZERO)


def compute(
    *,
    event_id: int,
    event_name: str,
    gross: Decimal,
    expenses: Iterable[tuple[int, Decimal]],
    people: Sequence[Participant],
    donors: set[int],
    mode: PayrollMode,
    org_cut_percent: Decimal,
    min_seconds: int,
    names: dict[int, str] | None = None,
) -> Payroll:
    """The payroll of one event from its figures (pure: no database)."""
    repaid: defaultdict[int, Decimal] = defaultdict(lambda: ZERO)
    for payer, amount in expenses:
        repaid[payer] += amount
    expense_total = sum(repaid.values(), ZERO)
    if expense_total > gross:
        raise InvalidState(
            f"Expenses ({expense_total:,.2f}) are more than the event's value ({gross:,.2f}): "
            "record the yields or sale first."
        )
    org_cut = cents((gross - expense_total) * org_cut_percent / HUNDRED)
    pot = gross - expense_total - org_cut
    qualified = [p for p in people if p.seconds >= min_seconds]
    takers = [p for p in qualified if p.user_id not in donors] if donors else qualified
    if takers and pot > 0:
        weights = [p.seconds for p in takers] if mode is PayrollMode.TIME else [1] * len(takers)
        parts = iter(split(pot, weights))
        # the takers' parts in qualified order, a donor's share zero
        owed = [ZERO if p.user_id in donors else next(parts) for p in qualified]
    else:
        owed = [ZERO] * len(qualified)
        org_cut, pot = org_cut + pot, ZERO
    # reimbursements are added after: a few payers, not a lookup per member
    shares = [
        Share(
            user_id=p.user_id,
            name=p.name,
            seconds=p.seconds,
            qualified=True,
            donated=p.user_id in donors,
            share=amount,
        )
        for p, amount in zip(qualified, owed, strict=True)
    ]
    shares += [
        Share(user_id=p.user_id, name=p.name, seconds=p.seconds)
        for p in people
        if p.seconds < min_seconds
    ]
    if repaid:
        for i, share in enumerate(shares):
            if share.user_id in repaid:
                shares[i] = share._replace(reimbursed=repaid.pop(share.user_id))
        names = names or {}
        shares += [
            Share(user_id=uid, name=names.get(uid, str(uid)), seconds=0, reimbursed=amount)
            for uid, amount in sorted(repaid.items())
        ]
    return Payroll(
        event_id=event_id,
        event_name=event_name,
        mode=mode,
        gross=gross,
        expenses=expense_total,
        org_cut_percent=org_cut_percent,
        org_cut=org_cut,
        pot=pot,
        min_seconds=min_seconds,
        shares=tuple(shares),
    )


@dataclass(frozen=True)
class Rules:
    mode: PayrollMode
    org_cut_percent: Decimal
    min_session_seconds: int
    min_minutes_to_qualify: int

    @classmethod
    def of(cls, settings: MiningSettings, mode: PayrollMode | str | None = None) -> Rules:
        """The guild's mining settings, with the payroll mode optionally chosen per run."""
        chosen = mode or settings.payroll_mode
        try:
            chosen = PayrollMode(chosen)
        except ValueError:
            raise InvalidInput(f"Unknown payroll mode {mode!r}: use time or equal.") from None
        return cls(
            chosen,
            Decimal(settings.org_cut_percent),
            settings.min_session_seconds,
            settings.min_minutes_to_qualify,
        )


# who paid each expense and how much, with the payer's name as `core.members` shows it
_EXPENSES = (
    f"SELECT e.paid_by_id, e.amount_auec, {NAME} FROM mining_expenses e "
    "JOIN users u ON u.id = e.paid_by_id WHERE e.event_id = $1 ORDER BY e.id"
)


async def _figures(event: MiningEvent, rules: Rules, *, now: datetime) -> Payroll:
    """Read each participant's time and donation (one query) and the expenses, and compute.

    A completed event's times are the ones frozen when it ended (`participants.freeze_times`);
    `now` and the session minimum only matter for a preview of a running event.
    """
    people = await participants(event, now=now, min_session_seconds=rules.min_session_seconds)
    # by hand, as the member times: a preview is read often, and building this query with
    # Tortoise each time cost more than running it
    expense_rows = await sql.fetch(_EXPENSES, [event.id])
    payer_names = {uid: name for uid, _, name in expense_rows}
    return compute(
        event_id=event.id,
        event_name=event.event_name,
        gross=Decimal(str(event.total_value_auec)),
        expenses=[(uid, Decimal(str(amount))) for uid, amount, _ in expense_rows],
        people=people,
        donors={p.user_id for p in people if p.donated},
        mode=rules.mode,
        org_cut_percent=rules.org_cut_percent,
        min_seconds=rules.min_minutes_to_qualify * 60,
        names=payer_names,
    )


async def preview(
    guild_id: int,
    event_id: int,
    *,
    settings: MiningSettings,
    now: datetime,
    mode: str | None = None,
) -> Payroll:
    """What a commit would pay now, writing nothing. A committed event shows what was paid."""
    event = await get_event(guild_id, event_id)
    if event.payroll_processed:
        return await committed(guild_id, event_id, event=event)
    if event.status in (EventStatus.PLANNED, EventStatus.CANCELLED):
        raise InvalidState(f"Event #{event.id} is {event.status}: there is no payroll to show.")
    return await _figures(event, Rules.of(settings, mode), now=now)


PAYOUT_COLUMNS = (
    "event_id",
    "user_id",
    "seconds",
    "share_auec",
    "reimbursed_auec",
    "amount_auec",
    "donated",
    "status",
    "paid_at",
    "created_at",
)


async def commit_preview(
    guild_id: int,
    event_id: int,
    *,
    settings: MiningSettings,
    now: datetime,
    mode: str | None = None,
) -> Payroll:
    """What `commit` would pay now, refused as `commit` would refuse it; writes nothing.

    For the confirmation step: a payroll that cannot be committed is refused before anyone
    is asked to confirm it (and `commit` checks again, under the row lock).
    """
    event = await get_event(guild_id, event_id)
    return await _committable(event, Rules.of(settings, mode), now=now)


async def _committable(event: MiningEvent, rules: Rules, *, now: datetime) -> Payroll:
    if event.payroll_processed:
        raise InvalidState(f"Payroll of event #{event.id} was already committed.")
    if event.status != EventStatus.COMPLETED:
        raise InvalidState(
            f"Event #{event.id} is {event.status}: payroll runs on a completed event "
            "(stop it first)."
        )
    payroll = await _figures(event, rules, now=now)
    if payroll.gross <= 0:
        raise InvalidState(f"Event #{event.id} has no value yet: record its yields first.")
    return payroll


# marks an event's payroll processed, only if it was not: the once-only claim of `commit`
_CLAIM = (
    "UPDATE mining_events SET payroll_processed = TRUE, payroll_mode = $1, "
    "org_cut_percent = $2, org_cut_auec = $3, payroll_at = $4, payroll_by_id = $5 "
    "WHERE id = $6 AND payroll_processed = FALSE"
)


async def commit(
    guild_id: int,
    event_id: int,
    *,
    settings: MiningSettings,
    at: datetime,
    actor_id: int | None = None,
    mode: str | None = None,
) -> Payroll:
    """Write payouts and the ledger transaction and mark the event's payroll processed, once."""
    rules = Rules.of(settings, mode)
    async with in_transaction():
        event = await get_event(guild_id, event_id, lock=True)
        payroll = await _committable(event, rules, now=at)
        # by hand (storage.sql), as the payouts below: building this UPDATE with Tortoise
        # cost more than sending it
        claimed = await sql.execute(_CLAIM, [
            rules.mode.value, rules.org_cut_percent, payroll.org_cut, at, actor_id, event.id,
        ])  # fmt: skip
        if not claimed:  # pragma: no cover - the row lock makes this unreachable
            raise InvalidState(f"Payroll of event #{event.id} was already committed.")
        # one multi-row INSERT (storage.sql), not a model object per member
        await sql.insert_rows(
            "mining_payouts",
            PAYOUT_COLUMNS,
            [
                (
                    event.id,
                    s.user_id,
                    s.seconds,
                    s.share,
                    s.reimbursed,
                    s.amount,
                    s.donated,
                    (PayoutStatus.OWED if s.amount > 0 else PayoutStatus.PAID).value,
                    None if s.amount > 0 else at,
                    at,
                )
                for s in payroll.shares
                if s.qualified or s.amount > 0
            ],
        )
        await ledger.post(
            guild_id,
            kind=ledger.TxKind.PAYROLL,
            memo=f"Mining payroll: #{event.id} {event.event_name}"[: ledger.MEMO_MAX],
            lines=ledger_lines(payroll),
            reference=f"mining:event:{event.id}:payroll",
            actor_id=actor_id,
            at=at,
        )
    return replace(payroll, committed=True)


def ledger_lines(payroll: Payroll) -> list[ledger.Line]:
    """The sale comes into the treasury, each member is credited their share and what they
    paid for the op, and the org keeps the rest as income, out of which it bore the op's
    expenses: so the financial report shows a refinery fee as an expense (and the org cut as
    the net result), not hidden inside what members were credited."""
    lines = [ledger.Line(ledger.TREASURY, payroll.gross)]
    lines += [
        ledger.Line(ledger.member(s.user_id), -s.amount) for s in payroll.shares if s.amount > 0
    ]
    if payroll.expenses > 0:
        lines.append(ledger.Line(ledger.EXPENSES, payroll.expenses))
    if payroll.org_cut + payroll.expenses > 0:
        lines.append(ledger.Line(ledger.INCOME, -(payroll.org_cut + payroll.expenses)))
    return lines


async def committed(guild_id: int, event_id: int, *, event: MiningEvent | None = None) -> Payroll:
    """The payroll as it was committed, from the payout rows."""
    event = event or await get_event(guild_id, event_id)
    if not event.payroll_processed:
        raise InvalidState(f"Payroll of event #{event.id} has not been committed yet.")
    rows = await payouts(guild_id, event.id)
    expenses = await MiningExpense.filter(event_id=event.id).values_list("amount_auec", flat=True)
    expense_total = sum((Decimal(str(a)) for a in expenses), ZERO)
    shares = tuple(
        Share(
            user_id=p.user_id,
            name=p.name,
            seconds=p.seconds,
            qualified=p.seconds > 0 or p.share > 0,
            donated=p.donated,
            share=p.share,
            reimbursed=p.reimbursed,
        )
        for p in rows
    )
    return Payroll(
        event_id=event.id,
        event_name=event.event_name,
        mode=PayrollMode(event.payroll_mode or PayrollMode.TIME),
        gross=Decimal(str(event.total_value_auec)),
        expenses=expense_total,
        org_cut_percent=Decimal(str(event.org_cut_percent or 0)),
        org_cut=Decimal(str(event.org_cut_auec or 0)),
        pot=sum((s.share for s in shares), ZERO),
        min_seconds=0,
        shares=shares,
        committed=True,
    )


# -- payouts -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PayoutLine:
    id: int
    user_id: int
    name: str
    seconds: int
    share: Decimal
    reimbursed: Decimal
    amount: Decimal
    donated: bool
    status: PayoutStatus
    paid_at: datetime | None


async def payouts(guild_id: int, event_id: int) -> list[PayoutLine]:
    rows = (
        await MiningPayout.filter(event_id=event_id, event__guild_id=guild_id)
        .order_by("-seconds", "id")
        .values_list(
            "id",
            "user_id",
            "user__display_name",
            "user__username",
            "seconds",
            "share_auec",
            "reimbursed_auec",
            "amount_auec",
            "donated",
            "status",
            "paid_at",
        )
    )
    return [
        PayoutLine(
            id=row[0],
            user_id=row[1],
            name=plain_name(row[1], row[2], row[3]),
            seconds=row[4],
            share=Decimal(str(row[5])),
            reimbursed=Decimal(str(row[6])),
            amount=Decimal(str(row[7])),
            donated=bool(row[8]),
            status=PayoutStatus(row[9]),
            paid_at=row[10],
        )
        for row in rows
    ]


@dataclass(frozen=True, kw_only=True)
class MemberPayout:
    """One of a member's payouts, with the event it came from."""

    event_id: int
    event_name: str
    event_date: date
    seconds: int
    share: Decimal
    reimbursed: Decimal
    amount: Decimal
    donated: bool
    status: PayoutStatus
    paid_at: datetime | None


async def member_payouts(guild_id: int, user_id: int, *, limit: int = 50) -> list[MemberPayout]:
    """A member's own payouts in this guild, newest event first (one query)."""
    rows = (
        await MiningPayout.filter(event__guild_id=guild_id, user_id=user_id)
        .order_by("-event__event_time", "-event_id")
        .limit(limit)
        .values_list(
            "event_id",
            "event__event_name",
            "event__event_date",
            "seconds",
            "share_auec",
            "reimbursed_auec",
            "amount_auec",
            "donated",
            "status",
            "paid_at",
        )
    )
    return [
        MemberPayout(
            event_id=row[0],
            event_name=row[1],
            event_date=row[2],
            seconds=row[3],
            share=Decimal(str(row[4])),
            reimbursed=Decimal(str(row[5])),
            amount=Decimal(str(row[6])),
            donated=bool(row[7]),
            status=PayoutStatus(row[8]),
            paid_at=row[9],
        )
        for row in rows
    ]


async def mark_paid(
    guild_id: int,
    event_id: int,
    *,
    user_id: int | None = None,
    at: datetime,
    actor_id: int | None = None,
) -> list[PayoutLine]:
    """Mark one member's payout (or every owed one) of an event paid, posting each, once."""
    event = await get_event(guild_id, event_id)
    if not event.payroll_processed:
        raise InvalidState(f"Payroll of event #{event.id} has not been committed yet.")
    query = MiningPayout.filter(event_id=event.id)
    if user_id is not None:
        query = query.filter(user_id=user_id)
    owed = await query.filter(status=PayoutStatus.OWED).order_by("id")
    if not owed:
        if user_id is not None and not await query.exists():
            raise NotFound(MemberRef(user_id), f" has no payout in event #{event.id}.")
        if user_id is not None:
            raise InvalidState(
                MemberRef(user_id), f"'s payout of event #{event.id} is already paid."
            )
        raise InvalidState(f"Every payout of event #{event.id} is already paid.")
    paid_ids = []
    for payout in owed:
        async with in_transaction():
            changed = await MiningPayout.filter(id=payout.id, status=PayoutStatus.OWED).update(
                status=PayoutStatus.PAID, paid_at=at, paid_by_id=actor_id
            )
            if not changed:
                continue  # someone else marked it in the meantime
            amount = Decimal(str(payout.amount_auec))
            await ledger.post(
                guild_id,
                kind=ledger.TxKind.PAYOUT,
                memo=f"Mining payout: event #{event.id}",
                lines=[
                    ledger.Line(ledger.TREASURY, -amount),
                    ledger.Line(ledger.member(payout.user_id), amount),
                ],
                reference=f"mining:payout:{payout.id}",
                actor_id=actor_id,
                at=at,
            )
            paid_ids.append(payout.id)
    return [p for p in await payouts(guild_id, event.id) if p.id in paid_ids]


# -- donations ---------------------------------------------------------------------------------


async def set_donation(guild_id: int, event_id: int, user_id: int, donate: bool = True) -> bool:
    """A member gives their share of the event to the others (or takes it back) before payroll.

    Returns whether the member is donating now.
    """
    async with in_transaction():
        event = await get_event(guild_id, event_id, lock=True)
        if event.payroll_processed:
            raise InvalidState(f"Payroll of event #{event.id} is committed: too late to change.")
        if event.status == EventStatus.CANCELLED:
            raise InvalidState(f"Event #{event.id} is cancelled: there is nothing to donate.")
        if not await GuildMembership.exists(guild_id=guild_id, user_id=user_id):
            raise NotFound(MemberRef(user_id), " is not a member of this server known to the bot.")
        if donate:
            await MiningDonation.get_or_create(event_id=event.id, user_id=user_id)
        else:
            await MiningDonation.filter(event_id=event.id, user_id=user_id).delete()
    return donate
