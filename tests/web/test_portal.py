"""The portal's core over HTTP: sign-in, sessions, CSRF, headers, guild access, plugin pages."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
import yarl

from core.enablement import Enablement
from core.models import GuildMembership, RoleLevel, WebSession
from core.permissions import Level, set_role_level
from core.web.sessions import Sessions
from tests.web import probe_plugin
from tests.web.conftest import Client, PortalWorld, oauth_sign_in, portal_plugins

SignedIn = Callable[[str | int], Awaitable[Client]]


async def test_anonymous_sees_sign_in_and_pages_send_to_it(
    portal: PortalWorld, anonymous: Callable[[], Client]
) -> None:
    client = anonymous()
    async with client.get("/") as resp:
        assert resp.status == 200
        assert "Sign in with Discord" in await resp.text()
    async with client.get(f"/g/{portal.guild_id}/probe/") as resp:
        assert resp.status == 303
        assert resp.headers["Location"].startswith("/auth/login?next=")


async def test_member_signs_in_and_sees_only_their_guilds(
    portal: PortalWorld, signed_in: SignedIn
) -> None:
    client = await signed_in("member")
    async with client.get("/") as resp:
        text = await resp.text()
    assert "Red Legion" in text and "Other Org" not in text
    async with client.get(f"/g/{portal.guild_id}/") as resp:
        assert resp.status == 200
        text = await resp.text()
    assert "Probe" in text and "Officers only" not in text  # nav follows the level
    async with client.get(f"/g/{portal.other_guild_id}/") as resp:
        assert resp.status == 404
    async with client.get(f"/g/{portal.other_guild_id}/probe/") as resp:
        assert resp.status == 404
    async with client.get("/g/99999999999999999999/") as resp:
        assert resp.status == 404


async def test_access_follows_the_membership_and_role_mapping_at_once(
    portal: PortalWorld, signed_in: SignedIn
) -> None:
    """Read with the session on every request: a demotion or a member leaving counts at the
    next page, in the session already signed in."""
    officer = await signed_in("officer")
    officers = f"/g/{portal.guild_id}/probe/officers"
    async with officer.get(officers) as resp:
        assert resp.status == 200
    officer_role = next(
        r.id for r in portal.world.guilds[portal.guild_id].roles.values() if r.name == "Officer"
    )
    await RoleLevel.filter(guild_id=portal.guild_id, role_id=officer_role).delete()
    async with officer.get(officers) as resp:
        assert resp.status == 403 and "you are member here" in await resp.text()
    await set_role_level(portal.guild_id, officer_role, Level.OFFICER)
    async with officer.get(officers) as resp:
        assert resp.status == 200
    await GuildMembership.filter(guild_id=portal.guild_id, user_id=portal.user("officer")).update(
        is_active=False
    )
    for path in (f"/g/{portal.guild_id}/", officers):
        async with officer.get(path) as resp:
            assert resp.status == 404 and "no such server" in await resp.text()


async def test_plugin_page_mounts_with_level_and_placeholders(
    portal: PortalWorld, signed_in: SignedIn
) -> None:
    member, officer = await signed_in("member"), await signed_in("officer")
    async with member.get(f"/g/{portal.guild_id}/probe/") as resp:
        assert resp.status == 200
        assert portal.clock.now().strftime("%Y-%m-%d %H:%M UTC") in await resp.text()
    async with member.get(f"/g/{portal.guild_id}/probe/officers") as resp:
        assert resp.status == 403
        assert "officer" in await resp.text()
    async with officer.get(f"/g/{portal.guild_id}/probe/officers") as resp:
        assert resp.status == 200
    async with member.get(f"/g/{portal.guild_id}/probe/items/42") as resp:
        assert (await resp.json())["item"] == "42"
    admin = await signed_in("admin")  # Manage Server, no mapped role: admin
    async with admin.get(f"/g/{portal.guild_id}/") as resp:
        assert "admin" in await resp.text()


async def test_post_needs_the_sessions_csrf_token(portal: PortalWorld, signed_in: SignedIn) -> None:
    client = await signed_in("member")
    path = f"/g/{portal.guild_id}/probe/say"
    before = len(probe_plugin.SAID)
    async with client.post(path, {"text": "hi"}) as resp:
        assert resp.status == 403
    async with client.post(path, {"text": "hi", "csrf_token": "forged"}) as resp:
        assert resp.status == 403
    other = await signed_in("officer")
    async with client.post(path, {"text": "hi", "csrf_token": other.csrf}) as resp:
        assert resp.status == 403
    assert len(probe_plugin.SAID) == before
    async with client.post(path, {"text": "hi", "csrf_token": client.csrf}) as resp:
        assert resp.status == 303
        assert resp.headers["Location"] == f"/g/{portal.guild_id}/probe/"
    async with client.post(path, {"text": "header"}, headers={"X-CSRF-Token": client.csrf}) as r:
        assert r.status == 303
    async with client.get(f"/g/{portal.guild_id}/probe/") as resp:
        text = await resp.text()
    assert "Said hi" in text and "Said header" in text  # flashed once, on the next page
    async with client.get(f"/g/{portal.guild_id}/probe/") as resp:
        assert "Said hi" not in await resp.text()


async def test_refused_post_flashes_the_error_and_goes_back(
    portal: PortalWorld, signed_in: SignedIn
) -> None:
    client = await signed_in("member")
    back = f"{portal.url}/g/{portal.guild_id}/probe/?x=1"
    data = {"text": " ", "csrf_token": client.csrf}
    async with client.post(f"/g/{portal.guild_id}/probe/say", data, headers={"Referer": back}) as r:
        assert r.status == 303
        assert r.headers["Location"] == f"/g/{portal.guild_id}/probe/?x=1"
    evil = {"Referer": "https://evil.example/g/1/probe/"}
    async with client.post(f"/g/{portal.guild_id}/probe/say", data, headers=evil) as r:
        assert r.headers["Location"] == f"/g/{portal.guild_id}/probe/"
    async with client.get(f"/g/{portal.guild_id}/probe/") as resp:
        assert "Say something first." in await resp.text()


async def test_plugin_off_in_guild_has_no_pages(portal: PortalWorld, signed_in: SignedIn) -> None:
    admin = await signed_in("admin")
    await Enablement(portal.settings, portal_plugins()).choose(portal.guild_id, "probe", False)
    async with admin.get(f"/g/{portal.guild_id}/probe/") as resp:
        assert resp.status == 404
    async with admin.get(f"/g/{portal.guild_id}/") as resp:
        assert "Probe" not in await resp.text()


async def test_security_headers_and_cookie_flags(
    portal: PortalWorld, anonymous: Callable[[], Client]
) -> None:
    client = anonymous()
    for path in ("/", "/static/core/portal.css", "/nowhere"):
        async with client.get(path) as resp:
            csp = resp.headers["Content-Security-Policy"]
            assert "default-src 'self'" in csp and "script-src 'self'" in csp
            assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
            assert resp.headers["Referrer-Policy"] == "same-origin"
    async with client.get("/auth/login") as resp:
        cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


async def test_secure_cookie_when_public_url_is_https(portal: PortalWorld) -> None:
    from core.web.portal import Portal

    settings = portal.settings.model_copy(
        update={"web": portal.settings.web.model_copy(update={"public_url": "https://x.example"})}
    )
    assert Portal(settings, portal_plugins()).secure_cookie


async def test_wrong_state_code_or_redirect_is_refused(
    portal: PortalWorld, anonymous: Callable[[], Client]
) -> None:
    client = anonymous()
    async with client.get("/auth/login") as resp:
        authorize = yarl.URL(resp.headers["Location"])
    state = authorize.query["state"]
    redirect = authorize.query["redirect_uri"]
    good = portal.world.oauth.grant(portal.users["member"], redirect)
    async with client.get(f"/auth/callback?code={good}&state=wrong") as resp:
        assert resp.status == 400
    async with client.get(f"/auth/callback?code=bogus&state={state}") as resp:
        assert resp.status == 400  # the state is used up even so
    # a code issued for another redirect URI is refused by the token endpoint
    client2 = anonymous()
    async with client2.get("/auth/login") as resp:
        state2 = yarl.URL(resp.headers["Location"]).query["state"]
    elsewhere = portal.world.oauth.grant(portal.users["member"], "http://evil.example/cb")
    async with client2.get(f"/auth/callback?code={elsewhere}&state={state2}") as resp:
        assert resp.status == 400
    # a state from another browser's session is refused
    client3, client4 = anonymous(), anonymous()
    async with client3.get("/auth/login") as resp:
        state3 = yarl.URL(resp.headers["Location"]).query["state"]
    async with client4.get("/auth/login"):
        pass
    code = portal.world.oauth.grant(portal.users["member"], redirect)
    async with client4.get(f"/auth/callback?code={code}&state={state3}") as resp:
        assert resp.status == 400
    assert await WebSession.filter(user_id__not_isnull=True).count() == 0


async def test_reused_code_is_refused(portal: PortalWorld, anonymous: Callable[[], Client]) -> None:
    first = anonymous()
    async with first.get("/auth/login") as resp:
        authorize = yarl.URL(resp.headers["Location"])
    code = portal.world.oauth.grant(portal.users["member"], authorize.query["redirect_uri"])
    async with first.get(f"/auth/callback?code={code}&state={authorize.query['state']}") as r:
        assert r.status == 303
    second = anonymous()
    async with second.get("/auth/login") as resp:
        state = yarl.URL(resp.headers["Location"]).query["state"]
    async with second.get(f"/auth/callback?code={code}&state={state}") as r:
        assert r.status == 400


async def test_next_goes_only_to_same_origin_paths(
    portal: PortalWorld, anonymous: Callable[[], Client]
) -> None:
    for target, expected in [
        (f"/g/{portal.guild_id}/probe/", f"/g/{portal.guild_id}/probe/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
    ]:
        client = anonymous()
        async with client.get("/auth/login", params={"next": target}) as resp:
            authorize = yarl.URL(resp.headers["Location"])
        form = {**authorize.query, "user_id": str(portal.users["member"])}
        picked = client.http.post(authorize.with_query(None), data=form, allow_redirects=False)
        async with picked as r:
            callback = r.headers["Location"]
        async with client.http.get(callback, allow_redirects=False) as r:
            assert r.headers["Location"] == expected, target


async def test_log_out_revokes_the_session(portal: PortalWorld, signed_in: SignedIn) -> None:
    client = await signed_in("member")
    session_id, cookie = client.session_id(), client.cookie()
    assert await WebSession.filter(id=session_id).count() == 1
    async with client.post("/auth/logout", {"csrf_token": client.csrf}) as resp:
        assert resp.status == 303
    assert await WebSession.filter(id=session_id).count() == 0
    client.http.cookie_jar.update_cookies({"redlegion_session": cookie or ""}, yarl.URL(portal.url))
    async with client.get(f"/g/{portal.guild_id}/") as resp:
        assert resp.status == 303  # back to sign-in: the old cookie is worth nothing


async def test_the_table_holds_no_cookie(portal: PortalWorld, signed_in: SignedIn) -> None:
    client = await signed_in("member")
    assert await WebSession.filter(id=client.cookie()).count() == 0  # a backup signs nobody in
    keyed = Sessions(portal.clock, timedelta(hours=1), b"secret")
    assert keyed.key("abc") != Sessions(portal.clock, timedelta(hours=1)).key("abc")


async def test_session_expires_on_the_clock(portal: PortalWorld, signed_in: SignedIn) -> None:
    client = await signed_in("member")
    portal.clock.advance(hours=11, minutes=59)
    async with client.get(f"/g/{portal.guild_id}/") as resp:
        assert resp.status == 200
    portal.clock.advance(minutes=2)
    async with client.get(f"/g/{portal.guild_id}/") as resp:
        assert resp.status == 303
    forged = await signed_in("member")
    forged.http.cookie_jar.update_cookies(
        {"redlegion_session": "forged-" + "x" * 40}, yarl.URL(portal.url)
    )
    async with forged.get(f"/g/{portal.guild_id}/") as resp:
        assert resp.status == 303


async def test_sign_in_attempts_are_bounded(
    portal: PortalWorld, anonymous: Callable[[], Client]
) -> None:
    client = anonymous()
    statuses = []
    for _ in range(portal.settings.web.sign_ins_per_minute + 1):
        async with client.get("/auth/login") as resp:
            statuses.append(resp.status)
    assert statuses[:-1] == [303] * portal.settings.web.sign_ins_per_minute
    assert statuses[-1] == 429
    portal.clock.advance(timedelta(minutes=1))
    async with client.get("/auth/login") as resp:
        assert resp.status == 303


async def test_user_names_are_escaped(portal: PortalWorld, signed_in: SignedIn) -> None:
    client = await signed_in("hostile")
    async with client.get(f"/g/{portal.guild_id}/") as resp:
        text = await resp.text()
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; @everyone" in text


async def test_stand_in_token_endpoint_refusals(portal: PortalWorld) -> None:
    import aiohttp

    oauth = portal.world.oauth
    redirect = f"{portal.url}/auth/callback"
    token_url = f"{portal.world.api_base}/oauth2/token"
    async with aiohttp.ClientSession() as http:
        for secret, code_for, sent_redirect, status in [
            ("wrong", redirect, redirect, 401),
            (oauth.client_secret, redirect, "http://other/cb", 400),
            (oauth.client_secret, redirect, redirect, 200),
        ]:
            code = oauth.grant(portal.users["member"], code_for)
            form = {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": sent_redirect,
                "client_id": str(oauth.client_id),
                "client_secret": secret,
            }
            async with http.post(token_url, data=form) as resp:
                assert resp.status == status
                if status == 200:
                    token = (await resp.json())["access_token"]
                    async with http.post(token_url, data=form) as again:
                        assert again.status == 400  # reused code
        async with http.get(
            f"{portal.world.api_base}/users/@me", headers={"Authorization": f"Bearer {token}"}
        ) as resp:
            assert (await resp.json())["id"] == str(portal.users["member"])
        async with http.get(
            f"{portal.world.api_base}/users/@me", headers={"Authorization": "Bearer nope"}
        ) as resp:
            assert resp.status == 401


async def test_sign_in_through_the_authorize_page(
    portal: PortalWorld, anonymous: Callable[[], Client]
) -> None:
    client = anonymous()
    async with client.get("/auth/login") as resp:
        location = resp.headers["Location"]
    async with client.http.get(location) as resp:
        page = await resp.text()
    assert "Ollie" in page and "&lt;script&gt;" in page and "Red Legion Bot" not in page
    resp = await oauth_sign_in(client, portal.world, portal.users["officer"])
    assert resp.status == 303 and resp.headers["Location"] == "/"


async def test_errors_become_pages_without_details(
    portal: PortalWorld, signed_in: SignedIn, caplog: pytest.LogCaptureFixture
) -> None:
    client = await signed_in("member")
    base = f"/g/{portal.guild_id}/probe"
    async with client.get(f"{base}/busy") as resp:
        assert resp.status == 409
        assert "The op is already running." in await resp.text()
    async with client.get(f"{base}/outage") as resp:
        assert resp.status == 503
        assert "The database is unavailable right now" in await resp.text()
    with caplog.at_level(logging.ERROR, logger="core.web.portal"):
        async with client.get(f"{base}/boom") as resp:
            assert resp.status == 500
            text = await resp.text()
    assert "hunter2" not in text and "Traceback" not in text
    assert "RuntimeError" in caplog.text  # logged with its traceback
    async with client.get(f"{base}/nowhere") as resp:
        assert resp.status == 404
        assert "Content-Security-Policy" in resp.headers


async def test_config_check_masks_the_web_secrets(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "REDLEGION_CONFIG": str(tmp_path / "none.toml"),
        "REDLEGION_WEB_CLIENT_SECRET": "client-s3cret",
        "REDLEGION_WEB_SESSION_SECRET": "session-s3cret",
    }
    (tmp_path / "none.toml").write_text("[web]\nclient_id = 42\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "core.cli", "config", "check",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out = (await proc.communicate())[0].decode()
    assert proc.returncode == 0, out
    assert "client_id 42, client_secret ***, session_secret ***" in out
    assert "s3cret" not in out


async def test_home_shows_attention_by_level(portal: PortalWorld, signed_in: SignedIn) -> None:
    member, officer = await signed_in("member"), await signed_in("officer")
    async with member.get(f"/g/{portal.guild_id}/") as resp:
        assert "The treasury holds" not in await resp.text()
    async with officer.get(f"/g/{portal.guild_id}/") as resp:
        assert "The treasury holds" in await resp.text()  # economy's item is for officers and up


async def test_log_out_when_already_signed_out_goes_home(
    portal: PortalWorld, anonymous: Callable[[], Client]
) -> None:
    async with anonymous().post("/auth/logout") as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/"
