"""`/loan …`: the Discord face of the loans services. Thin: parse, call, format the reply.

Levels: anyone may ask (the service checks org membership, as configured); officers issue
directly and list everyone's loans; treasurers approve, reject and forgive. `/loan repay` is
the borrower's, or a treasurer's recording it for them; `/loan show` is the borrower's or an
officer's.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import discord
from discord import app_commands

from core import confirm
from core.bot import RedLegionBot
from core.errors import InvalidInput, PermissionDenied
from core.mentions import about
from core.money import fmt
from core.permissions import Level, requires
from plugins.loans.defaults import forgivable, forgive_loan
from plugins.loans.lending import approve_loan, issue_loan, reject_loan, request_loan
from plugins.loans.models import REPAYABLE_STATUSES, Loan, LoanStatus
from plugins.loans.repayments import repay as record_repayment
from plugins.loans.settings import LoansSettings
from plugins.loans.statements import Statement, list_loans, statement
from plugins.loans.terms import Balance

Interaction = discord.Interaction[RedLegionBot]
STATUS_CHOICES = [app_commands.Choice(name=s.value, value=s.value) for s in LoanStatus]


def _settings(interaction: Interaction) -> LoansSettings:
    return interaction.client.settings.plugin_settings("loans", interaction.guild_id)


def _guild(interaction: Interaction) -> int:
    assert interaction.guild_id is not None  # core's check allows guild commands only
    return interaction.guild_id


def rate_text(rate: Decimal) -> str:
    return f"{rate * 100:.2f} %"


def day(at: datetime | None) -> str:
    return discord.utils.format_dt(at, "D") if at else "—"


def terms_line(loan: Loan, settings: LoansSettings) -> str:
    basis = "for the term" if settings.interest_basis == "term" else "a year"
    return (
        f"{fmt(loan.amount_auec)} for {loan.term_days} days at {rate_text(loan.interest_rate)} "
        f"{basis}: interest {fmt(loan.interest_auec)}, "
        f"{fmt(loan.amount_auec + loan.interest_auec)} to repay"
    )


def summary_line(loan: Loan, balance: Balance) -> str:
    due = f", due {day(loan.due_date)}" if loan.due_date else ""
    owed = f", owed {fmt(balance.owed)}" if loan.status in REPAYABLE_STATUSES else ""
    return (
        f"**#{loan.id}** <@{loan.borrower_id}> · {loan.status} · {fmt(loan.amount_auec)}{owed}{due}"
    )


def statement_text(shown: Statement, settings: LoansSettings) -> str:
    loan, balance = shown.loan, shown.balance
    lines = [
        f"**Loan #{loan.id}** · <@{loan.borrower_id}> · {loan.status}",
        terms_line(loan, settings),
    ]
    if loan.reason:
        lines.append(f"Reason: {loan.reason}")
    lines.append(f"Requested {day(loan.requested_at)}")
    if loan.status == LoanStatus.REJECTED:
        note = f": {loan.decision_note}" if loan.decision_note else ""
        lines.append(f"Rejected by <@{loan.decided_by_id}> {day(loan.decided_at)}{note}")
    if loan.issued_date:
        lines.append(
            f"Issued {day(loan.issued_date)} by <@{loan.decided_by_id}> · due "
            f"{day(loan.due_date)} · defaults after {day(shown.grace_until)}"
        )
    if shown.repayments:
        lines.append(
            f"Repaid {fmt(balance.repaid)} (interest {fmt(balance.interest_repaid)}, "
            f"principal {fmt(balance.principal_repaid)}) in {len(shown.repayments)} payment(s):"
        )
        lines += [f"• {day(p.paid_at)} {fmt(p.amount_auec)}" for p in shown.repayments]
    if loan.paid_date:
        lines.append(f"Paid off {day(loan.paid_date)}")
    if loan.defaulted_date:
        lines.append(f"Defaulted {day(loan.defaulted_date)}")
    if loan.forgiven_date:
        lines.append(f"Forgiven by <@{loan.forgiven_by_id}> {day(loan.forgiven_date)}")
    if loan.written_off_auec:
        lines.append(f"Written off: {fmt(loan.written_off_auec)}")
    if loan.status in REPAYABLE_STATUSES:
        lines.append(f"**Owed: {fmt(balance.owed)}**")
    return "\n".join(lines)


class LoanGroup(app_commands.Group, name="loan", description="Borrow aUEC from the org"):
    @app_commands.command(name="request", description="Ask the org for a loan")
    @app_commands.describe(
        amount="aUEC to borrow, e.g. 250000 or 1,250.50",
        term_days="days until it is due (default: the server's usual term)",
        reason="what it is for",
    )
    async def request(
        self,
        interaction: Interaction,
        amount: str,
        term_days: int | None = None,
        reason: str | None = None,
    ) -> None:
        settings = _settings(interaction)
        loan = await request_loan(
            _guild(interaction),
            interaction.user.id,
            amount,
            settings=settings,
            at=interaction.client.clock.now(),
            term_days=term_days,
            reason=reason,
        )
        await interaction.response.send_message(
            f"Loan **#{loan.id}** requested by {interaction.user.mention}: "
            f"{terms_line(loan, settings)}. A treasurer can approve it with "
            f"`/loan approve id:{loan.id}`.",
        )

    @requires(Level.TREASURER)
    @app_commands.command(name="approve", description="Approve a requested loan and pay it out")
    @app_commands.rename(loan_id="id")
    @app_commands.describe(loan_id="the loan's number")
    async def approve(self, interaction: Interaction, loan_id: int) -> None:
        loan = await approve_loan(
            _guild(interaction),
            loan_id,
            approver_id=interaction.user.id,
            settings=_settings(interaction),
            at=interaction.client.clock.now(),
        )
        await interaction.response.send_message(
            f"Loan **#{loan.id}** approved: {fmt(loan.amount_auec)} paid out to "
            f"<@{loan.borrower_id}>, {fmt(loan.amount_auec + loan.interest_auec)} due "
            f"{day(loan.due_date)}.",
            allowed_mentions=about(loan.borrower_id),
        )

    @requires(Level.TREASURER)
    @app_commands.command(name="reject", description="Turn a loan request down")
    @app_commands.rename(loan_id="id")
    @app_commands.describe(loan_id="the loan's number", reason="why, for the member")
    async def reject(
        self, interaction: Interaction, loan_id: int, reason: str | None = None
    ) -> None:
        loan = await reject_loan(
            _guild(interaction),
            loan_id,
            actor_id=interaction.user.id,
            at=interaction.client.clock.now(),
            note=reason,
        )
        why = f": {loan.decision_note}" if loan.decision_note else "."
        await interaction.response.send_message(
            f"Loan **#{loan.id}** of <@{loan.borrower_id}> was rejected{why}",
            allowed_mentions=about(loan.borrower_id),
        )

    @requires(Level.OFFICER)
    @app_commands.command(name="issue", description="Lend to a member directly")
    @app_commands.describe(
        member="who borrows",
        amount="aUEC to lend",
        term_days="days until it is due (default: the server's usual term)",
        rate="interest rate, e.g. 0.05 or 5% (default: the server's rate)",
        reason="what it is for",
    )
    async def issue(
        self,
        interaction: Interaction,
        member: discord.Member,
        amount: str,
        term_days: int | None = None,
        rate: str | None = None,
        reason: str | None = None,
    ) -> None:
        if member.bot:
            raise InvalidInput("bots don't borrow: pick a member")
        guild_id = _guild(interaction)
        await interaction.client.remember(member)
        settings = _settings(interaction)
        loan = await issue_loan(
            guild_id,
            member.id,
            amount,
            officer_id=interaction.user.id,
            settings=settings,
            at=interaction.client.clock.now(),
            term_days=term_days,
            rate=rate,
            reason=reason,
        )
        await interaction.response.send_message(
            f"Loan **#{loan.id}** issued to {member.mention}: {terms_line(loan, settings)}, "
            f"due {day(loan.due_date)}.",
            allowed_mentions=about(member.id),
        )

    @app_commands.command(name="repay", description="Pay a loan back, in part or in full")
    @app_commands.rename(loan_id="id")
    @app_commands.describe(loan_id="the loan's number", amount="aUEC paid")
    async def repay(self, interaction: Interaction, loan_id: int, amount: str) -> None:
        assert isinstance(interaction.user, discord.Member)
        level = await interaction.client.level_of(interaction.user)
        done = await record_repayment(
            _guild(interaction),
            loan_id,
            amount,
            payer_id=interaction.user.id,
            at=interaction.client.clock.now(),
            for_others=level >= Level.TREASURER,
        )
        loan, payment = done.loan, done.payment
        if loan.status == LoanStatus.PAID:
            left = "The loan is paid off."
        else:
            left = f"{fmt(done.balance.owed)} left to repay."
        await interaction.response.send_message(
            f"Payment of {fmt(payment.amount_auec)} on loan **#{loan.id}** of "
            f"<@{loan.borrower_id}> recorded (interest {fmt(payment.interest_auec)}, principal "
            f"{fmt(payment.principal_auec)}). {left}",
        )

    @requires(Level.TREASURER)
    @app_commands.command(name="forgive", description="Forgive what is left of a loan")
    @app_commands.rename(loan_id="id")
    @app_commands.describe(loan_id="the loan's number")
    async def forgive(self, interaction: Interaction, loan_id: int) -> None:
        guild_id = _guild(interaction)
        loan, balance = await forgivable(guild_id, loan_id, actor_id=interaction.user.id)

        async def forgive_it(press: Interaction) -> confirm.Done:
            closed = await forgive_loan(
                guild_id, loan_id, actor_id=press.user.id, at=press.client.clock.now()
            )
            return confirm.Done(
                f"Loan **#{closed.loan.id}** of <@{closed.loan.borrower_id}> is forgiven "
                f"({fmt(closed.balance.owed)} was owed); {fmt(closed.written_off)} written off.",
                about=(closed.loan.borrower_id,),
            )

        question = (
            f"Forgive loan **#{loan.id}** of <@{loan.borrower_id}>? {fmt(balance.owed)} is "
            f"owed; {fmt(balance.receivable)} of principal would be written off. This cannot "
            "be undone."
        )
        await confirm.ask(interaction, question, forgive_it)

    @requires(Level.OFFICER)
    @app_commands.command(name="list", description="Loans in this server, newest first")
    @app_commands.describe(member="only this member's", status="only loans in this state")
    @app_commands.choices(status=STATUS_CHOICES)
    async def list_(
        self,
        interaction: Interaction,
        member: discord.Member | None = None,
        status: app_commands.Choice[str] | None = None,
    ) -> None:
        found = await list_loans(
            _guild(interaction),
            borrower_id=member.id if member else None,
            status=status.value if status else None,
        )
        lines = [summary_line(loan, balance) for loan, balance in found]
        await interaction.response.send_message(
            "\n".join(lines) or "No loans match.", ephemeral=True
        )

    @app_commands.command(name="show", description="A loan's terms, schedule and payments")
    @app_commands.rename(loan_id="id")
    @app_commands.describe(loan_id="the loan's number")
    async def show(self, interaction: Interaction, loan_id: int) -> None:
        assert isinstance(interaction.user, discord.Member)
        settings = _settings(interaction)
        shown = await statement(_guild(interaction), loan_id, grace_days=settings.grace_days)
        mine = shown.loan.borrower_id == interaction.user.id
        if not mine and await interaction.client.level_of(interaction.user) < Level.OFFICER:
            raise PermissionDenied(f"loan #{loan_id} is not yours: officers see every loan")
        await interaction.response.send_message(statement_text(shown, settings), ephemeral=True)

    @app_commands.command(name="mine", description="Your loans and what you owe")
    async def mine(self, interaction: Interaction) -> None:
        found = await list_loans(_guild(interaction), borrower_id=interaction.user.id)
        if not found:
            text = "You have no loans here. Ask for one with `/loan request`."
        else:
            owed = sum(
                (b.owed for loan, b in found if loan.status in REPAYABLE_STATUSES), Decimal("0.00")
            )
            lines = [summary_line(loan, balance) for loan, balance in found]
            text = "\n".join([*lines, f"**You owe {fmt(owed)} in all.**"])
        await interaction.response.send_message(text, ephemeral=True)
