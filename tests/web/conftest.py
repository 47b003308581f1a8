"""Portal fixtures: a running portal on a migrated database (both backends) beside the Discord
stand-in's OAuth2 side, with a guild whose members hold each level, on a virtual clock.

- `portal`: the running portal (`PortalWorld`: its URL, the world, the guild ids, user ids).
- `signed_in(who)`: an HTTP client signed in through the real OAuth2 flow, with `.csrf`.
- `browser` / `page_as(who)`: headless Debian chromium through Playwright, signed in the way
  a person would; no chromium FAILS the test with the install command.
- `screenshot(page, name)`: `/tmp/redlegion-shots/NAME.png`, to look at.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
import yarl

from core import members
from core.clock import VirtualClock
from core.config import Settings
from core.models import WebSession
from core.permissions import Level, set_role_level
from core.plugins import PluginManager
from core.web.serve import serving
from core.web.sessions import COOKIE
from fakediscord.oauth import DEFAULT_CLIENT_SECRET
from fakediscord.world import FakeDiscord
from storage import Database
from tests.support import make_settings
from tests.web import probe_plugin

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path("/tmp/redlegion-shots")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def portal_plugins() -> PluginManager:
    """The built-in plugins and the probe plugin (pages only, no tables)."""
    return PluginManager(entry_point_group=None, extra=[probe_plugin])


@dataclass
class PortalWorld:
    url: str
    world: FakeDiscord
    clock: VirtualClock
    settings: Settings
    guild_id: int
    other_guild_id: int
    users: dict[str, int] = field(default_factory=dict)

    def user(self, who: str | int) -> int:
        return who if isinstance(who, int) else self.users[who]


def portal_settings(world: FakeDiscord, port: int, **web: Any) -> Settings:
    return make_settings(
        {
            "token": world.token,  # the portal asks Discord for a server's voice channels
            "web": {
                "host": "127.0.0.1",
                "port": port,
                "public_url": f"http://127.0.0.1:{port}",
                "client_id": world.application_id,
                "client_secret": DEFAULT_CLIENT_SECRET,
                "oauth_base": world.base_url,
                "api_base": world.api_base,
                **web,
            },
        },
        portal_plugins(),
    )


async def mirror_guild(world: FakeDiscord, guild_id: int, settings: Settings) -> None:
    """What member sync would store for this stand-in guild (no bot needed for the portal)."""
    guild = world.guilds[guild_id]
    await members.ensure_guild(guild.id, guild.name)
    infos = []
    for member in guild.members.values():
        if member.user.bot:
            continue
        role_ids = tuple(r.id for r in member.roles if r.id != guild.id)
        perms = discord.Permissions(0)
        for role in member.roles:
            perms.value |= role.permissions
        infos.append(
            members.MemberInfo(
                user_id=member.user.id,
                username=member.user.name,
                display_name=member.nick or member.user.name,
                role_ids=role_ids,
                is_org_member=True,
                is_guild_admin=perms.administrator or perms.manage_guild,
            )
        )
    await members.upsert_members(guild.id, infos)


@pytest.fixture
async def portal(db: Database) -> AsyncIterator[PortalWorld]:
    probe_plugin.SAID.clear()
    clock = VirtualClock()
    world = FakeDiscord(clock=clock)
    guild = world.guild("Red Legion")
    officer = guild.role("Officer")
    treasurer = guild.role("Treasurer")
    admin = guild.role("Admins", permissions=discord.Permissions(manage_guild=True))
    users = {
        "member": guild.member("Mia").user.id,
        "officer": guild.member("Ollie", roles=[officer]).user.id,
        "treasurer": guild.member("Tess", roles=[treasurer]).user.id,
        "admin": guild.member("Ada", roles=[admin]).user.id,
        "hostile": guild.member("<script>alert(1)</script> @everyone").user.id,
    }
    other = world.guild("Other Org")
    users["stranger"] = other.member(
        "Zed", roles=[other.role("Boss", permissions=discord.Permissions(administrator=True))]
    ).user.id
    port = free_port()
    async with world.serve(patch_discord=False):
        settings = portal_settings(world, port)
        await mirror_guild(world, guild.id, settings)
        await mirror_guild(world, other.id, settings)
        await set_role_level(guild.id, officer.id, Level.OFFICER)
        await set_role_level(guild.id, treasurer.id, Level.TREASURER)
        async with serving(settings, portal_plugins(), port=port, clock=clock) as url:
            yield PortalWorld(url, world, clock, settings, guild.id, other.id, users)


@dataclass
class Client:
    """An HTTP client of the portal with a session cookie; `csrf` is its session's token."""

    http: aiohttp.ClientSession
    base: str
    user_id: int | None = None
    csrf: str = ""

    def get(self, path: str, **kw: Any) -> Any:
        kw.setdefault("allow_redirects", False)
        return self.http.get(self.base + path, **kw)

    def post(self, path: str, data: dict[str, str] | None = None, **kw: Any) -> Any:
        kw.setdefault("allow_redirects", False)
        return self.http.post(self.base + path, data=data or {}, **kw)

    def cookie(self) -> str | None:
        cookie = self.http.cookie_jar.filter_cookies(yarl.URL(self.base)).get(COOKIE)
        return cookie.value if cookie else None

    def session_id(self) -> str | None:
        """The session's row id (the stored hash of the cookie)."""
        cookie = self.cookie()
        return hashlib.sha256(cookie.encode()).hexdigest() if cookie else None


async def oauth_sign_in(client: Client, world: FakeDiscord, user_id: int) -> aiohttp.ClientResponse:
    """The OAuth2 flow as a browser runs it, picking `user_id` on the stand-in's page."""
    async with client.get("/auth/login") as resp:
        assert resp.status == 303, await resp.text()
        authorize = yarl.URL(resp.headers["Location"])
    form = {**authorize.query, "user_id": str(user_id)}
    async with client.http.post(
        authorize.with_query(None), data=form, allow_redirects=False
    ) as resp:
        assert resp.status == 302, await resp.text()
        callback = resp.headers["Location"]
    async with client.http.get(callback, allow_redirects=False) as resp:
        await resp.read()
        return resp


@pytest.fixture
async def anonymous(portal: PortalWorld) -> AsyncIterator[Callable[[], Client]]:
    """Clients with no session (closed at the end of the test)."""
    opened: list[aiohttp.ClientSession] = []

    def make() -> Client:
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        opened.append(http)
        return Client(http, portal.url)

    yield make
    for http in opened:
        await http.close()


@pytest.fixture
async def signed_in(
    portal: PortalWorld, anonymous: Callable[[], Client]
) -> Callable[[str | int], Awaitable[Client]]:
    """`await signed_in("officer")` (or a user id): a client signed in through OAuth2."""

    async def sign_in(who: str | int) -> Client:
        client = anonymous()
        user_id = portal.user(who)
        resp = await oauth_sign_in(client, portal.world, user_id)
        assert resp.status == 303, f"sign-in failed: {resp.status}"
        session = await WebSession.get(id=client.session_id())
        client.user_id, client.csrf = user_id, session.csrf_token
        return client

    return sign_in


# -- the browser -------------------------------------------------------------------------------


@dataclass
class Chromium:
    """One headless chromium for the whole session; each test connects its own context."""

    process: subprocess.Popen[bytes]
    ws_endpoint: str


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"browser tests need Debian's chromium at {CHROMIUM}: "
            "apt-get update && apt-get install -y chromium"
        )
    profile = tmp_path_factory.mktemp("chromium")
    proc = subprocess.Popen(
        [CHROMIUM, "--headless", "--remote-debugging-port=0", f"--user-data-dir={profile}",
         *CHROMIUM_ARGS, "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    deadline = time.monotonic() + 30
    endpoint = ""
    while time.monotonic() < deadline and not endpoint:
        line = proc.stderr.readline().decode(errors="replace")
        if not line and proc.poll() is not None:
            break
        if "DevTools listening on " in line:
            endpoint = line.split("DevTools listening on ", 1)[1].strip()
    if not endpoint:
        proc.kill()
        pytest.fail(f"chromium did not start (exit {proc.poll()})")
    threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep its pipe drained
    try:
        yield Chromium(proc, endpoint)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
async def browser(chromium: Chromium) -> AsyncIterator[Any]:
    """The session's chromium, through Playwright (connected for this test)."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.fail("browser tests need Playwright: .venv/bin/pip install -e '.[dev]'")
    async with async_playwright() as p:
        connected = await p.chromium.connect_over_cdp(chromium.ws_endpoint)
        try:
            yield connected
        finally:
            for context in connected.contexts[1:]:
                await context.close()


@pytest.fixture
async def page_as(portal: PortalWorld, browser: Any) -> Callable[..., Awaitable[Any]]:
    """`await page_as("officer", width=390)`: a page signed in as that member through the
    stand-in's authorize page, as a person would click through it."""

    async def open_page(who: str | int, *, width: int = 1280, height: int = 900) -> Any:
        user = portal.world.users[portal.user(who)]
        context = await browser.new_context(viewport={"width": width, "height": height})
        page = await context.new_page()
        await page.goto(portal.url + "/")
        await page.get_by_role("link", name="Sign in with Discord").click()
        await page.get_by_role("button", name=user.name, exact=True).click()
        await page.wait_for_url(portal.url + "/")
        return page

    return open_page


async def screenshot(page: Any, name: str) -> Path:
    """Write the page to /tmp/redlegion-shots/NAME.png, to look at."""
    await asyncio.to_thread(SHOTS.mkdir, parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(name="screenshot")
def screenshot_fixture() -> Callable[[Any, str], Awaitable[Path]]:
    return screenshot
