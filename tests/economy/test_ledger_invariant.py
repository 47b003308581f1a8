"""Hypothesis drives the ledger through random operations; the books must always balance.

A rule-based state machine posts balanced and unbalanced transactions (with and without
references), replays references, reverses (twice, reversals, another guild's), and after every
step checks that all entries sum to exactly zero and that each account's balance equals a
model kept in Python. Each example uses fresh guilds in one database per backend.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from core import members
from core.errors import InvalidInput, InvalidState, NotFound
from core.money import MAX_AMOUNT
from plugins.economy import ledger
from plugins.economy.ledger import AccountKind, AccountRef, Line, TxKind
from plugins.economy.models import Entry, Transaction
from storage import Database
from tests.conftest import Backend, builtin_plugins

T = TypeVar("T")
ZERO = Decimal("0.00")
USERS = (501, 502, 503)
GUILD_IDS = itertools.count(10_000)

accounts = st.sampled_from(
    [AccountRef(k) for k in AccountKind if not k.per_member]
    + [AccountRef(k, u) for k in AccountKind if k.per_member for u in USERS]
)
amounts = st.one_of(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("3000000000000"), places=2),
    st.sampled_from([Decimal("0.01"), Decimal("0.10"), Decimal("0.20"), MAX_AMOUNT]),
)
kinds = st.sampled_from([k for k in TxKind if k is not TxKind.REVERSAL])
references = st.one_of(st.none(), st.sampled_from(["payroll:1", "loan:2", "trade:3"]))


@st.composite
def balanced_lines(draw: st.DrawFn) -> list[Line]:
    """Debits on some accounts, credits on others, adding up to the same total."""
    debits = draw(st.lists(st.tuples(accounts, amounts), min_size=1, max_size=3))
    while sum((a for _, a in debits), ZERO) > MAX_AMOUNT:
        debits.pop()  # one line alone is within range
    total = sum((a for _, a in debits), ZERO)
    lines = [Line(ref, a) for ref, a in debits]
    credit_accounts = draw(st.lists(accounts, min_size=1, max_size=2))
    if total < Decimal("0.02"):
        credit_accounts = credit_accounts[:1]
    if len(credit_accounts) == 2:
        first = draw(st.decimals(min_value=Decimal("0.01"), max_value=total - Decimal("0.01"),
                                 places=2))  # fmt: skip
        lines += [Line(credit_accounts[0], -first), Line(credit_accounts[1], first - total)]
    else:
        lines.append(Line(credit_accounts[0], -total))
    return draw(st.permutations(lines))


@st.composite
def unbalanced_lines(draw: st.DrawFn) -> list[Line]:
    lines = draw(balanced_lines())
    nudge = draw(st.sampled_from([Decimal("0.01"), Decimal("-0.01"), Decimal("1000")]))
    last = lines[-1]
    return [*lines[:-1], Line(last.account, last.amount + nudge)]


def is_valid(lines: list[Line]) -> bool:
    return (
        len(lines) >= 2
        and all(line.amount != 0 and abs(line.amount) <= MAX_AMOUNT for line in lines)
        and sum((line.amount for line in lines), ZERO) == 0
    )


def test_ledger_always_balances(backend: Backend) -> None:
    with asyncio.Runner() as runner:
        url = runner.run(backend.new_database())
        database = Database(url, builtin_plugins().specs())
        runner.run(database.open())
        try:
            Books.run = runner.run  # type: ignore[method-assign]
            run_state_machine_as_test(
                Books,
                settings=settings(
                    max_examples=30,
                    stateful_step_count=15,
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow],
                ),
            )
        finally:
            runner.run(database.close())
            runner.run(backend.drop(url))


class Books(RuleBasedStateMachine):
    """The ledger of two fresh guilds, and what their balances must be."""

    posted = Bundle("posted")

    def run(self, coro: Coroutine[Any, Any, T]) -> T:  # replaced by the test's event loop
        raise NotImplementedError

    def __init__(self) -> None:
        super().__init__()
        self.guild, self.other = next(GUILD_IDS), next(GUILD_IDS)
        self.run(self._setup())
        self.expected: dict[tuple[int, AccountRef], Decimal] = Counter()  # type: ignore[assignment]
        self.by_reference: dict[tuple[int, str], int] = {}
        self.transactions = 0
        self.reversed: set[int] = set()
        self.lines_of: dict[int, list[Line]] = {}

    async def _setup(self) -> None:
        for guild_id in (self.guild, self.other):
            await members.ensure_guild(guild_id, f"guild {guild_id}")
            await members.upsert_members(
                guild_id, [members.MemberInfo(u, f"user{u}", None) for u in USERS]
            )

    def _apply(self, guild_id: int, lines: list[Line], sign: int = 1) -> None:
        for line in lines:
            self.expected[(guild_id, line.account)] += sign * line.amount

    @rule(target=posted, kind=kinds, lines=balanced_lines(), reference=references,
          other_guild=st.booleans())  # fmt: skip
    def post_balanced(
        self, kind: TxKind, lines: list[Line], reference: str | None, other_guild: bool
    ) -> Any:
        guild_id = self.other if other_guild else self.guild
        tx = self.run(ledger.post(guild_id, kind=kind, memo="m", lines=lines, reference=reference))
        key = (guild_id, reference) if reference else None
        if key and key in self.by_reference:
            assert tx.id == self.by_reference[key]  # a replay: nothing new
            return multiple()
        if key:
            self.by_reference[key] = tx.id
        self.transactions += 1
        self._apply(guild_id, lines)
        self.lines_of[tx.id] = lines
        return (guild_id, tx.id)

    @rule(lines=st.one_of(unbalanced_lines(), st.lists(st.tuples(accounts, amounts), max_size=1)
                          .map(lambda pairs: [Line(r, a) for r, a in pairs])))  # fmt: skip
    def post_invalid(self, lines: list[Line]) -> None:
        assert not is_valid(lines)
        try:
            self.run(ledger.post(self.guild, kind=TxKind.ADJUSTMENT, memo="bad", lines=lines))
        except InvalidInput:
            return
        raise AssertionError("an invalid posting was accepted")

    @rule(posted=consumes(posted))
    def reverse(self, posted: tuple[int, int]) -> None:
        guild_id, tx_id = posted
        rev = self.run(ledger.reverse(guild_id, tx_id, memo="undo", actor_id=None))
        assert rev.reverses_id == tx_id
        self.transactions += 1
        self.reversed.add(tx_id)
        self._apply(guild_id, self.lines_of[tx_id], sign=-1)

    @rule(posted=posted)
    def reverse_refused(self, posted: tuple[int, int]) -> None:
        """Twice, or from the other guild: refused, nothing written."""
        guild_id, tx_id = posted
        if tx_id not in self.reversed:
            wrong = self.other if guild_id == self.guild else self.guild
            try:
                self.run(ledger.reverse(wrong, tx_id, memo="not mine", actor_id=None))
            except NotFound:
                return
            raise AssertionError("another guild's transaction was reversed")
        try:
            self.run(ledger.reverse(guild_id, tx_id, memo="again", actor_id=None))
        except InvalidState:
            return
        raise AssertionError("a transaction was reversed twice")

    @invariant()
    def books_balance(self) -> None:
        async def check() -> None:
            guilds = [self.guild, self.other]
            assert await ledger.sum_amounts(Entry.filter(guild_id__in=guilds)) == ZERO
            count = await Transaction.filter(guild_id__in=guilds).count()
            assert count == self.transactions
            for (guild_id, ref), amount in self.expected.items():
                assert await ledger.balance(guild_id, ref) == amount, (guild_id, ref)

        self.run(check())
