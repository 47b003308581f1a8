"""The mining pages in a real browser: the live monitor redrawing itself after a voice join
(no reload), the payroll commit behind its confirmation, and screenshots of every page at
desktop and phone width (in /tmp/redlegion-shots/)."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import expect

from plugins.mining import events
from plugins.mining.voice import VoiceTracker
from tests.web.test_mining_pages import ROCKS, base, completed, mining, voice

__all__ = ["mining"]


async def test_the_live_monitor_shows_a_join_without_a_reload(mining, page_as, screenshot):
    event = await events.create_event(mining.guild_id, at=mining.clock.now(), name="Sunday op")
    await events.start_event(mining.guild_id, event.id, at=mining.clock.now())
    move = voice(mining, VoiceTracker())
    await move("treasurer", None, ROCKS)
    page = await page_as("member")
    await page.goto(mining.url + base(mining) + f"events/{event.id}/live")
    channel = page.locator("#live-channels")
    await channel.get_by_text("Tess").wait_for()
    await page.evaluate("window.notReloaded = true")
    mining.clock.advance(timedelta(minutes=2))
    await move("officer", None, ROCKS)  # the bot writes the session; the page polls
    await channel.get_by_text("Ollie").wait_for(timeout=6000)
    assert await page.evaluate("window.notReloaded") is True
    assert await page.locator("#live-count").text_content() == "2"
    await screenshot(page, "mining-live-desktop")
    await page.set_viewport_size({"width": 390, "height": 844})
    await screenshot(page, "mining-live-phone")


async def test_a_treasurer_commits_payroll_after_confirming(mining, page_as, screenshot):
    event = await completed(mining, {"member": 30, "officer": 10})
    page = await page_as("treasurer")
    await page.goto(mining.url + base(mining) + f"events/{event}/payroll")
    await screenshot(page, "mining-payroll-desktop")
    await page.get_by_role("link", name="Commit…").click()
    await page.get_by_role("button", name="Confirm: commit this payroll").wait_for()
    await screenshot(page, "mining-confirm-desktop")
    await page.get_by_role("button", name="Confirm: commit this payroll").click()
    await page.get_by_text("committed: 2 payout(s) owed").wait_for()
    await screenshot(page, "mining-event-committed-desktop")
    await page.set_viewport_size({"width": 390, "height": 900})
    await screenshot(page, "mining-event-committed-phone")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 391
    await page.set_viewport_size({"width": 1280, "height": 900})
    # one row's own button (the rows share one form, each button sends its member)
    row_buttons = page.get_by_role("button", name=re.compile(r"^Mark .+'s payout paid$"))
    await row_buttons.first.click()
    await expect(row_buttons).to_have_count(1)  # (retried until the page is back)
    await expect(page.get_by_text("Marked 1 payout(s) paid")).to_be_visible()
    await page.get_by_role("button", name="Mark every owed payout paid").click()
    await expect(row_buttons).to_have_count(0)
    await expect(page.get_by_text("Marked 1 payout(s) paid")).to_be_visible()


async def test_screenshots_of_every_page(mining, page_as, screenshot):
    event = await completed(mining, {"member": 30, "hostile": 10})
    mining.world.guilds[mining.guild_id].voice("Deep <b>Core</b> @everyone")  # to approve
    for width, label in ((1280, "desktop"), (390, "phone")):
        page = await page_as("treasurer", width=width)
        for path, name in (
            ("", "events"),
            (f"events/{event}", "event"),
            (f"events/{event}/payroll", "payroll"),
            ("channels", "channels"),
            ("payouts", "payouts"),
        ):
            await page.goto(mining.url + base(mining) + path)
            await screenshot(page, f"mining-{name}-{label}")
            width_used = await page.evaluate("document.documentElement.scrollWidth")
            assert width_used <= width + 1, f"{name} overflows at {width}px"


async def test_an_admin_turns_loans_off_by_clicking_and_its_link_goes(mining, page_as, screenshot):
    """Core's Plugins page in the browser, at both widths: the switch is a labelled button,
    and the nav loses the plugin as soon as the page comes back."""
    for width, label in ((1280, "desktop"), (390, "phone")):
        page = await page_as("admin", width=width)
        await page.goto(mining.url + f"/g/{mining.guild_id}/core/plugins")
        await screenshot(page, f"core-plugins-{label}")
        assert await page.evaluate("document.documentElement.scrollWidth") <= width + 1
        if label == "desktop":
            nav = page.get_by_role("navigation")
            assert await nav.get_by_role("link", name="Loans", exact=True).count() == 1
            await page.get_by_role("button", name="Turn loans off").click()
            await page.get_by_text("The loans plugin is now off in this server.").wait_for()
            await screenshot(page, "core-plugins-switched-desktop")
            assert await nav.get_by_role("link", name="Loans", exact=True).count() == 0
            await page.get_by_role("button", name="Turn loans on").click()
            await page.get_by_text("The loans plugin is now on in this server.").wait_for()
            assert await nav.get_by_role("link", name="Loans", exact=True).count() == 1
