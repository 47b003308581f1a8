"""Core's plugins page: everyone sees what is on; only an admin turns a plugin on or off, by
the same service and refusals as `/plugins enable|disable`; a refused switch changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from core.enablement import Enablement
from core.models import Guild
from storage import Database
from tests.feed_support import elsewhere
from tests.web.conftest import Client, PortalWorld, portal_plugins

SignedIn = Callable[[str | int], Awaitable[Client]]


async def choices(guild_id: int) -> dict[str, bool]:
    guild = await Guild.get(id=guild_id)
    return dict((guild.settings or {}).get("plugins", {}))


async def switch(client: Client, guild_id: int, plugin: str, on: str) -> tuple[int, str]:
    data = {"plugin": plugin, "on": on, "csrf_token": client.csrf}
    async with client.post(f"/g/{guild_id}/core/plugins", data) as resp:
        where = resp.headers.get("Location", "")
        status = resp.status
    if status != 303:
        return status, ""
    async with client.get(where) as page:
        return status, await page.text()


async def test_an_admin_turns_a_plugin_off_and_on_and_its_pages_follow(
    portal: PortalWorld, signed_in: SignedIn
) -> None:
    admin = await signed_in("admin")
    path = f"/g/{portal.guild_id}/core/plugins"
    async with admin.get(path) as resp:
        text = await resp.text()
    assert resp.status == 200 and "Turn probe off" in text and "plugin default" in text
    status, text = await switch(admin, portal.guild_id, "probe", "0")
    assert status == 303 and "The probe plugin is now off in this server." in text
    assert await choices(portal.guild_id) == {"probe": False}
    async with admin.get(f"/g/{portal.guild_id}/probe/") as resp:
        assert resp.status == 404, "a plugin that is off has no pages"
    async with admin.get(f"/g/{portal.guild_id}/") as resp:
        home = await resp.text()
    assert "Probe" not in home and f'href="{path}"' in home, "core's page stays in the nav"
    status, text = await switch(admin, portal.guild_id, "probe", "1")
    assert "now on" in text and "Turn probe off" in text
    async with admin.get(f"/g/{portal.guild_id}/probe/") as resp:
        assert resp.status == 200
    assert await Enablement(portal.settings, portal_plugins()).is_enabled("probe", portal.guild_id)


async def test_a_dependency_turned_off_takes_its_dependents_with_it(
    portal: PortalWorld, signed_in: SignedIn
) -> None:
    admin = await signed_in("admin")
    await switch(admin, portal.guild_id, "economy", "0")
    status, text = await switch(admin, portal.guild_id, "loans", "1")
    assert status == 303
    assert "The loans plugin is now on in this server (still off: needs economy" in text


async def test_below_admin_sees_the_list_but_cannot_switch(
    portal: PortalWorld, signed_in: SignedIn
) -> None:
    officer = await signed_in("officer")
    async with officer.get(f"/g/{portal.guild_id}/core/plugins") as resp:
        text = await resp.text()
    assert resp.status == 200 and "probe" in text and "Turn probe" not in text
    status, _ = await switch(officer, portal.guild_id, "probe", "0")
    assert status == 403
    assert await choices(portal.guild_id) == {}, "nothing changed"


async def test_another_guilds_admin_finds_nothing(portal: PortalWorld, signed_in: SignedIn) -> None:
    stranger = await signed_in("stranger")
    async with stranger.get(f"/g/{portal.guild_id}/core/plugins") as resp:
        assert resp.status == 404
    status, _ = await switch(stranger, portal.guild_id, "probe", "0")
    assert status == 404
    assert await choices(portal.guild_id) == {}


async def test_bad_switches_are_refused_by_name_and_change_nothing(
    portal: PortalWorld, signed_in: SignedIn
) -> None:
    admin = await signed_in("admin")
    status, text = await switch(admin, portal.guild_id, "<script>x</script>", "0")
    assert status == 303, "refused: back to the page, with the reason"
    assert "no plugin named" in text and "&lt;script&gt;x&lt;/script&gt;" in text
    assert "<script>x" not in text
    _, text = await switch(admin, portal.guild_id, "probe", "maybe")
    assert "Say whether to turn the plugin on or off." in text
    data = {"plugin": "probe", "on": "0"}  # no CSRF token
    async with admin.post(f"/g/{portal.guild_id}/core/plugins", data) as resp:
        assert resp.status == 403
    assert await choices(portal.guild_id) == {}


async def test_a_plugin_turned_off_by_another_process_loses_its_pages_within_a_second(
    portal: PortalWorld, signed_in: SignedIn, db: Database
) -> None:
    """The portal keeps each guild's plugin choices (no query per page for them) and the
    change feed drops them when any process changes them: here the CLI's or a bot's
    `Enablement.choose` in a process of its own."""
    admin = await signed_in("admin")
    loans = f"/g/{portal.guild_id}/loans/"
    async with admin.get(loans) as resp:
        assert resp.status == 200  # the choices are cached now
    await elsewhere(db.url, "plugin-off", portal.guild_id, "loans")
    status = 200
    for _ in range(20):  # within a second (SQLite's poll: half a second)
        async with admin.get(loans) as resp:
            status = resp.status
        if status == 404:
            break
        await asyncio.sleep(0.05)
    assert status == 404, "the portal still serves a plugin another process turned off"
