"""The loans plugin's portal pages: requests to decide, active and overdue loans, a loan with
its repayments, a member's own loans.

The web face of the same services `/loan …` calls, at the same levels: approve and reject are
for treasurers, the lists for officers, a loan's page for its borrower and officers; anyone may
record a payment on their own loan, a treasurer on anyone's (`for_others`), as `/loan repay`.
Core has checked sign-in, membership, enablement, level and CSRF; a refused action raises the
service's `UserError`, shown on the page, and leaves the data as it was.
"""

from __future__ import annotations

from aiohttp import web

from core.errors import InvalidInput, NotFound
from core.names import member_names
from core.permissions import Level
from core.web.pages import Page, PageRequest
from plugins.loans.lending import approve_loan, reject_loan
from plugins.loans.models import REPAYABLE_STATUSES, LoanStatus
from plugins.loans.repayments import repay
from plugins.loans.settings import LoansSettings
from plugins.loans.statements import MAX_LOAN_ID, list_loans, statement

LIST_LIMIT = 100
LOAN = "{loan_id:\\d+}"


def _settings(req: PageRequest) -> LoansSettings:
    return req.plugin_settings()  # type: ignore[no-any-return]


def _loan_id(req: PageRequest) -> int:
    text = req.match["loan_id"]
    if len(text) > 10 or not 1 <= int(text) <= MAX_LOAN_ID:
        raise NotFound(f"there is no loan #{text} in this server")
    return int(text)


async def _render_list(req: PageRequest, title: str, found, note: str = "") -> web.StreamResponse:  # type: ignore[no-untyped-def]
    return req.render(
        "loans/list.html",
        title=title,
        loans=found,
        names=await member_names(loan.borrower_id for loan, _ in found),
        statuses=[s.value for s in LoanStatus],
        chosen_status=req.query.get("status", ""),
        note=note,
        limit=LIST_LIMIT,
        repayable=REPAYABLE_STATUSES,
    )


async def loans_page(req: PageRequest) -> web.StreamResponse:
    """Officers: every loan, by status (`/loan list`); anyone else: their own (`/loan mine`)."""
    if req.level < Level.OFFICER:
        return req.redirect("mine")
    status = (req.query.get("status") or "").strip() or None
    found = await list_loans(req.guild_id, status=status, limit=LIST_LIMIT)
    return await _render_list(req, "Loans", found)


async def requests_page(req: PageRequest) -> web.StreamResponse:
    found = await list_loans(req.guild_id, status=LoanStatus.REQUESTED.value, limit=LIST_LIMIT)
    return await _render_list(req, "Loan requests", found)


async def overdue_page(req: PageRequest) -> web.StreamResponse:
    found = await list_loans(req.guild_id, overdue_at=req.now(), limit=LIST_LIMIT)
    grace = _settings(req).grace_days
    note = f"Active loans past their due date; they default {grace} days after it."
    return await _render_list(req, "Overdue loans", found, note)


async def my_loans(req: PageRequest) -> web.StreamResponse:
    found = await list_loans(req.guild_id, borrower_id=req.user_id, limit=LIST_LIMIT)
    return await _render_list(req, "My loans", found)


async def loan_page(req: PageRequest) -> web.StreamResponse:
    """A loan's terms, state and repayments: its borrower's, or any for officers (`/loan show`)."""
    settings = _settings(req)
    shown = await statement(req.guild_id, _loan_id(req), grace_days=settings.grace_days)
    loan = shown.loan
    if loan.borrower_id != req.user_id and req.level < Level.OFFICER:
        raise NotFound(f"there is no loan #{loan.id} of yours in this server")
    people = {loan.borrower_id, loan.decided_by_id, loan.forgiven_by_id}
    people |= {p.recorded_by_id for p in shown.repayments}
    return req.render(
        "loans/loan.html",
        shown=shown,
        loan=loan,
        balance=shown.balance,
        names=await member_names(uid for uid in people if uid is not None),
        settings=settings,
        can_decide=loan.status == LoanStatus.REQUESTED and req.level >= Level.TREASURER,
        can_repay=loan.status in REPAYABLE_STATUSES
        and not shown.balance.written_off
        and (loan.borrower_id == req.user_id or req.level >= Level.TREASURER),
    )


async def approve(req: PageRequest) -> web.StreamResponse:
    loan = await approve_loan(
        req.guild_id,
        _loan_id(req),
        approver_id=req.user_id,
        settings=_settings(req),
        at=req.now(),
    )
    req.flash(f"Loan #{loan.id} approved and paid out.")
    return req.redirect(f"{loan.id}")


async def reject(req: PageRequest) -> web.StreamResponse:
    form = await req.form()
    loan = await reject_loan(
        req.guild_id,
        _loan_id(req),
        actor_id=req.user_id,
        at=req.now(),
        note=(form.get("reason") or "").strip() or None,
    )
    req.flash(f"Loan #{loan.id} rejected.")
    return req.redirect(f"{loan.id}")


async def record_payment(req: PageRequest) -> web.StreamResponse:
    form = await req.form()
    amount = (form.get("amount") or "").strip()
    if not amount:
        raise InvalidInput("give the amount paid")
    done = await repay(
        req.guild_id,
        _loan_id(req),
        amount,
        payer_id=req.user_id,
        at=req.now(),
        for_others=req.level >= Level.TREASURER,
    )
    left = (
        "The loan is paid off."
        if done.loan.status == LoanStatus.PAID
        else f"{done.balance.owed:,.2f} aUEC left to repay."
    )
    req.flash(
        f"Payment of {done.payment.amount_auec:,.2f} aUEC on loan #{done.loan.id} recorded. {left}"
    )
    return req.redirect(f"{done.loan.id}")


def pages() -> list[Page]:
    """Every loans page, at the level of the slash command that does the same."""
    officer, treasurer = Level.OFFICER, Level.TREASURER
    return [
        Page("", loans_page, title="Loans"),
        Page("mine", my_loans, title="My loans"),
        Page("requests", requests_page, level=treasurer, title="Loan requests"),
        Page("overdue", overdue_page, level=officer, title="Overdue loans"),
        Page(LOAN, loan_page),
        Page(f"{LOAN}/approve", approve, method="POST", level=treasurer),
        Page(f"{LOAN}/reject", reject, method="POST", level=treasurer),
        Page(f"{LOAN}/repay", record_payment, method="POST"),
    ]
