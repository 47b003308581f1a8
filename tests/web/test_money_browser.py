"""The economy and loans pages in a real browser: a treasurer approves a loan by clicking, the
finance report draws its charts, and screenshots of every page at desktop and phone width (in
/tmp/redlegion-shots/)."""

from __future__ import annotations

from plugins.loans.lending import request_loan
from plugins.loans.models import Loan, LoanStatus
from plugins.loans.settings import LoansSettings
from tests.web.test_money_pages import _books, base


async def test_a_treasurer_approves_a_loan_by_clicking(portal, page_as, screenshot):
    asked = await request_loan(
        portal.guild_id,
        portal.users["member"],
        "100",
        settings=LoansSettings(),
        at=portal.clock.now(),
    )
    page = await page_as("treasurer")
    await page.goto(portal.url + base(portal, "loans") + "requests")
    await page.get_by_role("link", name=f"#{asked.id}").first.click()
    await screenshot(page, "loans-loan-desktop")
    await page.get_by_role("button", name="Approve and pay out").click()
    await page.wait_for_load_state()
    assert (await Loan.get(id=asked.id)).status == LoanStatus.ACTIVE
    assert await page.get_by_role("button", name="Approve and pay out").count() == 0


async def test_the_finance_report_draws_its_charts(portal, page_as, screenshot):
    await _books(portal, entries=12)
    page = await page_as("officer")
    await page.goto(portal.url + base(portal, "economy") + "report")
    charts = page.locator("svg")
    assert await charts.count() >= 2
    box = await charts.first.bounding_box()
    assert box is not None and box["width"] > 200  # drawn, not collapsed
    await screenshot(page, "economy-report-desktop")


async def test_screenshots_of_every_money_page(portal, page_as, screenshot):
    await _books(portal, entries=12)
    await request_loan(
        portal.guild_id,
        portal.users["member"],
        "100",
        settings=LoansSettings(),
        at=portal.clock.now(),
    )
    pages = (
        ("economy", "", "balances"),
        ("economy", "me", "me"),
        ("economy", "ledger", "ledger"),
        ("economy", "report", "report"),
        ("economy", "prices", "prices"),
        ("economy", "trades", "trades"),
        ("loans", "", "loans"),
        ("loans", "requests", "requests"),
        ("loans", "overdue", "overdue"),
    )
    for width, label in ((1280, "desktop"), (390, "phone")):
        page = await page_as("treasurer", width=width)
        for plugin, path, name in pages:
            response = await page.goto(portal.url + base(portal, plugin) + path)
            assert response is not None and response.status == 200, (plugin, path)
            await screenshot(page, f"{plugin}-{name}-{label}")
