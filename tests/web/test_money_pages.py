"""The economy and loans pages over HTTP, for each level, on both backends: what each sees,
filters and paging, actions through the same services, refusals that change nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from plugins.economy import ledger
from plugins.economy.ledger import EXPENSES, INCOME, TREASURY, Line, TxKind, member
from plugins.economy.models import Entry, Trade, Transaction
from plugins.loans.lending import issue_loan, request_loan
from plugins.loans.models import Loan, LoanRepayment, LoanStatus
from plugins.loans.settings import LoansSettings
from tests.web.conftest import PortalWorld

D = Decimal
HOSTILE = "<script>alert(1)</script> @everyone"


def base(portal: PortalWorld, plugin: str) -> str:
    return f"/g/{portal.guild_id}/{plugin}/"


async def _books(portal: PortalWorld, entries: int = 3) -> None:
    now = portal.clock.now()
    for i in range(entries):
        await ledger.post(
            portal.guild_id,
            kind=TxKind.SALE,
            memo=f"sale {i}",
            lines=[Line(TREASURY, D(100 + i)), Line(INCOME, D(-100 - i))],
            at=now - timedelta(days=entries - i),
        )
    await ledger.post(
        portal.guild_id,
        kind=TxKind.PAYROLL,
        memo=HOSTILE,
        lines=[Line(EXPENSES, D(50)), Line(member(portal.users["hostile"]), D(-50))],
        at=now - timedelta(hours=1),
    )


async def _snapshot() -> tuple:
    return (
        await Transaction.all().count(),
        await Entry.all().count(),
        await Trade.all().count(),
        sorted(await Loan.all().values_list("id", "status")),
        await LoanRepayment.all().count(),
    )


async def test_each_level_sees_its_economy_pages(portal, signed_in):
    await _books(portal)
    eco = base(portal, "economy")
    expect = {
        "member": {"": 303, "me": 200, "ledger": 403, "report": 403, "trades": 403, "prices": 200},
        "officer": {"": 303, "me": 200, "ledger": 403, "report": 200, "trades": 200},
        "treasurer": {"": 200, "ledger": 200, "report": 200, "accounts/treasury": 200},
    }
    for who, pages in expect.items():
        client = await signed_in(who)
        for path, status in pages.items():
            async with client.get(eco + path) as resp:
                assert resp.status == status, (who, path, resp.status)
    stranger = await signed_in("stranger")
    async with stranger.get(eco + "ledger") as resp:
        assert resp.status == 404


async def test_names_and_memos_are_escaped_never_mentions(portal, signed_in):
    await _books(portal)
    treasurer = await signed_in("treasurer")
    for path in ("", "ledger", f"accounts/{portal.users['hostile']}"):
        async with treasurer.get(base(portal, "economy") + path) as resp:
            html = await resp.text()
        assert resp.status == 200
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
        assert "<@" not in html


async def test_ledger_filters_and_pages(portal, signed_in):
    await _books(portal, entries=60)
    treasurer = await signed_in("treasurer")
    url = base(portal, "economy") + "ledger"
    async with treasurer.get(url, params={"account": "treasury"}) as resp:
        html = await resp.text()
    assert "60 entries" in html and "page 1 of 2" in html and "sale 59" in html
    assert "sale 9<" not in html
    async with treasurer.get(url, params={"account": "treasury", "page": "2"}) as resp:
        html = await resp.text()
    assert "sale 9<" in html and "sale 59" not in html
    async with treasurer.get(url, params={"kind": "payroll"}) as resp:
        html = await resp.text()
    assert "2 entries" in html and "sale 1<" not in html
    for bad, message in (
        ({"kind": "bribe"}, "unknown transaction kind"),
        ({"page": "0"}, "not a page number"),
        ({"from": "2026-13-01"}, "is not a date"),
        ({"account": "member"}, "choose the member"),
    ):
        async with treasurer.get(url, params=bad) as resp:
            assert resp.status == 400, bad
            assert message in await resp.text()


async def test_a_member_sees_only_their_own_account(portal, signed_in):
    await _books(portal)
    hostile = await signed_in("hostile")
    async with hostile.get(base(portal, "economy") + "me") as resp:
        html = await resp.text()
    assert "The org owes you" in html and "50.00 aUEC" in html
    async with hostile.get(base(portal, "economy") + f"accounts/{portal.users['treasurer']}") as r:
        assert r.status == 403


async def test_report_page_charts_and_downloads(portal, signed_in):
    await _books(portal)
    officer = await signed_in("officer")
    eco = base(portal, "economy")
    async with officer.get(eco + "report") as resp:
        html = await resp.text()
    assert resp.status == 200
    assert html.count("<svg") == 2 and "Treasury at end" in html and "303.00 aUEC" in html
    async with officer.get(eco + "report.csv") as resp:
        body = await resp.read()
        assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert b"Treasury at end" in body
    async with officer.get(eco + "report.pdf") as resp:
        assert (await resp.read()).startswith(b"%PDF")
    async with officer.get(eco + "report", params={"from": "2026-02-01", "to": "2026-01-01"}) as r:
        assert r.status == 400 and "starts" in await r.text()


async def test_prices_and_a_price_history(portal, signed_in):
    client = await signed_in("member")
    eco = base(portal, "economy")
    async with client.get(eco + "prices") as resp:
        html = await resp.text()
    assert "Quantainium" in html
    async with client.get(eco + "prices/1") as resp:
        assert resp.status == 200 and "<svg" in await resp.text()
    async with client.get(eco + "prices/999999") as resp:
        assert resp.status == 404


async def test_record_a_trade_once_and_refusals_change_nothing(portal, signed_in):
    officer = await signed_in("officer")
    url = base(portal, "economy") + "trades"
    form = {"csrf_token": officer.csrf, "side": "sell", "material": "Gold", "scu": "2"}
    before = await _snapshot()
    for bad in ({}, {"price_per_scu": "10", "total": "20"}, {"price_per_scu": "-1"}):
        async with officer.post(url, {**form, **bad}, headers={"Referer": portal.url + url}) as r:
            assert r.status == 303
        assert await _snapshot() == before
    async with officer.post(url, {**form, "price_per_scu": "10"}) as resp:
        assert resp.status == 303
    trade = await Trade.get(guild_id=portal.guild_id)
    assert (trade.total, trade.actor_id) == (D("20.00"), portal.users["officer"])
    member = await signed_in("member")
    async with member.post(url, {**form, "csrf_token": member.csrf, "total": "5"}) as resp:
        assert resp.status == 403
    assert await Trade.filter(guild_id=portal.guild_id).count() == 1


def _terms() -> LoansSettings:
    return LoansSettings()


async def test_loan_approval_through_the_page_once(portal, signed_in):
    settings = _terms()
    now = portal.clock.now()
    asked = await request_loan(
        portal.guild_id, portal.users["member"], "100", settings=settings, at=now
    )
    loans = base(portal, "loans")
    treasurer = await signed_in("treasurer")
    async with treasurer.get(loans + "requests") as resp:
        assert f"#{asked.id}" in await resp.text()
    officer = await signed_in("officer")
    before = await _snapshot()
    async with officer.post(f"{loans}{asked.id}/approve", {"csrf_token": officer.csrf}) as resp:
        assert resp.status == 403
    assert await _snapshot() == before
    async with treasurer.post(f"{loans}{asked.id}/approve", {"csrf_token": treasurer.csrf}) as r:
        assert r.status == 303
    assert (await Loan.get(id=asked.id)).status == LoanStatus.ACTIVE
    after = await _snapshot()
    referer = {"Referer": f"{portal.url}{loans}{asked.id}"}
    async with treasurer.post(
        f"{loans}{asked.id}/approve", {"csrf_token": treasurer.csrf}, headers=referer
    ) as resp:
        assert resp.status == 303
    assert await _snapshot() == after  # approved once
    async with treasurer.get(f"{loans}{asked.id}") as resp:
        assert "not waiting for a decision" in await resp.text()


async def test_loan_reject_repay_and_who_sees_a_loan(portal, signed_in):
    settings = _terms()
    now = portal.clock.now()
    loans = base(portal, "loans")
    asked = await request_loan(
        portal.guild_id, portal.users["member"], "100", settings=settings, at=now
    )
    treasurer = await signed_in("treasurer")
    async with treasurer.post(
        f"{loans}{asked.id}/reject", {"csrf_token": treasurer.csrf, "reason": HOSTILE}
    ) as resp:
        assert resp.status == 303
    loan = await Loan.get(id=asked.id)
    assert (loan.status, loan.decision_note) == (LoanStatus.REJECTED, HOSTILE)
    async with treasurer.get(f"{loans}{asked.id}") as resp:
        html = await resp.text()
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    lent = await issue_loan(
        portal.guild_id,
        portal.users["member"],
        "100",
        officer_id=portal.users["officer"],
        settings=settings,
        at=now,
    )
    member = await signed_in("member")
    other = await signed_in("hostile")
    async with other.get(f"{loans}{lent.id}") as resp:
        assert resp.status == 404
    before = await _snapshot()
    async with other.post(
        f"{loans}{lent.id}/repay", {"csrf_token": other.csrf, "amount": "5"}
    ) as r:
        assert r.status == 303
    async with member.post(
        f"{loans}{lent.id}/repay", {"csrf_token": member.csrf, "amount": "9999"}
    ) as r:
        assert r.status == 303
    assert await _snapshot() == before
    async with member.post(
        f"{loans}{lent.id}/repay", {"csrf_token": member.csrf, "amount": "10"}
    ) as r:
        assert r.status == 303
    assert await LoanRepayment.filter(loan_id=lent.id).count() == 1
    async with member.get(loans + "mine") as resp:
        assert f"#{lent.id}" in await resp.text()
    async with member.get(loans) as resp:
        assert resp.status == 303
    portal.clock.advance(days=settings.default_term_days + 1)
    officer = await signed_in("officer")
    async with officer.get(loans + "overdue") as resp:
        assert f"#{lent.id}" in await resp.text()
