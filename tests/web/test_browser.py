"""The portal in a real browser (headless Debian chromium): signing in through the stand-in,
the pages a person sees at desktop and phone width."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tests.web.conftest import PortalWorld, screenshot

PageAs = Callable[..., Awaitable[Any]]


async def test_sign_in_shows_only_my_servers_and_a_plugin_page(
    portal: PortalWorld, page_as: PageAs
) -> None:
    page = await page_as("officer")
    assert await page.get_by_role("heading", name="Your servers").is_visible()
    assert await page.get_by_role("link", name="Red Legion officer").count() == 1
    assert await page.get_by_text("Other Org").count() == 0
    await screenshot(page, "portal-guilds-desktop")
    await page.get_by_role("link", name="Red Legion officer").click()
    await screenshot(page, "portal-home-desktop")
    await page.get_by_role("link", name="Officers only").first.click()
    assert await page.get_by_role("heading", name="Probe").is_visible()
    await page.get_by_label("Text").fill("<b>bold</b> @everyone")
    await page.get_by_role("button", name="Say").click()
    assert await page.get_by_role("status").inner_text() == "Said <b>bold</b> @everyone"
    await screenshot(page, "portal-probe-desktop")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.reload()
    assert errors == []  # no CSP violation, no script error
    await page.get_by_role("button", name="Log out").click()
    assert await page.get_by_role("link", name="Sign in with Discord").is_visible()


async def test_phone_width_pages_fit(portal: PortalWorld, page_as: PageAs) -> None:
    page = await page_as("hostile", width=390, height=844)
    await screenshot(page, "portal-guilds-phone")
    await page.goto(f"{portal.url}/g/{portal.guild_id}/")
    await screenshot(page, "portal-home-phone")
    assert await page.get_by_text("<script>alert(1)</script> @everyone").count() == 1
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone
    await page.goto(f"{portal.url}/g/{portal.guild_id}/probe/")
    await screenshot(page, "portal-probe-phone")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
