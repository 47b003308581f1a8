"""The economy plugin's public service: what another plugin may ask of the org's books.

A plugin that declares `depends=("economy",)` gets it as `ctx.service("economy")`
(`core.context.PluginContext`): a member's balance and position, and a balanced posting to
the ledger with the same checks, idempotency and refusals as the economy's own postings. The
rest of `plugins.economy` (its models, statements, the ledger's internals) may change without
notice; this does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from plugins.economy import ledger, statements
from plugins.economy.ledger import AccountKind, AccountRef, Line, TxKind


class Economy:
    """Balances and postings of one bot's ledger, by guild."""

    # the accounts a posting names (`Line(economy.member(uid), Decimal("-10.00"))`)
    Line = Line
    AccountRef = AccountRef
    AccountKind = AccountKind
    TxKind = TxKind
    TREASURY = ledger.TREASURY
    INCOME = ledger.INCOME
    EXPENSES = ledger.EXPENSES

    @staticmethod
    def member(user_id: int) -> ledger.AccountRef:
        """A member's own account: credited (< 0) with what the org owes them."""
        return ledger.member(user_id)

    async def balance(self, guild_id: int, account: ledger.AccountRef) -> Decimal:
        """The account's debit-positive balance (zero for an account never posted to)."""
        return await ledger.balance(guild_id, account)

    async def position(self, guild_id: int, user_id: int) -> statements.MemberPosition:
        """What the org owes a member and what they owe it (their account and their loans)."""
        return await statements.member_position(guild_id, user_id)

    async def post(
        self,
        guild_id: int,
        *,
        memo: str,
        lines: Sequence[ledger.Line],
        kind: ledger.TxKind = ledger.TxKind.ADJUSTMENT,
        reference: str | None = None,
        actor_id: int | None = None,
        at: datetime | None = None,
    ) -> int:
        """Post a balanced transaction (lines summing to zero, two at least); its id.

        With a `reference` already posted in the guild (e.g. `myplugin:bounty:12`) nothing is
        written and that transaction's id is returned: a retry cannot pay twice. Refusals are
        `UserError`s naming the problem (unbalanced lines, an unknown member, a long memo),
        and a refused posting writes nothing.
        """
        posted = await ledger.post(
            guild_id,
            kind=kind,
            memo=memo,
            lines=lines,
            reference=reference,
            actor_id=actor_id,
            at=at,
        )
        return int(posted.id)


ECONOMY = Economy()
