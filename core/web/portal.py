"""The portal: an aiohttp application beside the Discord adapter, over the same services.

Core owns everything a page could forget: sign-in (Discord OAuth2), server-side sessions,
CSRF on every POST, security headers, the guild and level check, per-guild enablement and the
error path. Plugins add `Page`s through the `redlegion_web_pages` hook.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from aiohttp import web

from clocks import utc
from core import money
from core.clock import Clock, SystemClock
from core.config import Settings
from core.enablement import Enablement
from core.errors import (
    DatabaseOutage,
    DiscordUnavailable,
    InvalidState,
    NotFound,
    PermissionDenied,
    PluginDisabled,
    UserError,
)
from core.models import WebSession
from core.permissions import Level
from core.plugins import CORE_APP, PluginManager
from core.web import access, admin
from core.web.attention import gather
from core.web.limits import SignInLimit
from core.web.oauth import CALLBACK_PATH, OAuthClient, SignInFailed
from core.web.pages import Page, PageRequest
from core.web.sessions import COOKIE, Sessions, csrf_ok
from storage.change_feed import ChangeFeed

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# a request body may be this large: core.uploads' own limit (8 MB) and a form around it
UPLOAD_LIMIT = 9 * 1024 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PORTAL_KEY = web.AppKey("portal", object)
SESSION = web.RequestKey("session", object)
USER = web.RequestKey("user", dict)
CSRF = web.RequestKey("csrf_token", str)
FLASHES = web.RequestKey("flashes", list)


def safe_next(path: str | None) -> str | None:
    """A same-origin path to go to after sign-in, or None (no scheme, host, `//` or `\\`)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in path):
        return None
    return path


def status_of(error: UserError) -> int:
    if isinstance(error, DatabaseOutage | DiscordUnavailable):
        return 503
    if isinstance(error, NotFound | PluginDisabled):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, InvalidState):
        return 409
    return 400


def fmt_dt(value: datetime | None) -> str:
    """An aware datetime as UTC text, `2026-01-04 18:00 UTC`."""
    if value is None:
        return "—"
    return utc(value, naive_is_utc=True).strftime("%Y-%m-%d %H:%M UTC")


def fmt_money(value: Decimal | int | str | None) -> str:
    if value is None:
        return "—"
    return money.fmt(value if type(value) is Decimal else Decimal(value))


CORE_FILTERS: dict[str, Callable[[Any], str]] = {"money": fmt_money, "dt": fmt_dt}


def _guild_in_path(request: web.Request) -> int | None:
    """The guild id of a `/g/{guild_id}/...` path; None elsewhere, and for an id no guild
    can have (beyond BIGINT: the database would refuse it rather than find nothing)."""
    text = request.match_info.get("guild_id")
    if text is None or not text.isdigit() or int(text) >= 2**63:
        return None
    return int(text)


class Portal:
    """One portal: settings, plugins, the clock, sessions; `app()` builds the aiohttp app."""

    def __init__(
        self,
        settings: Settings,
        plugins: PluginManager,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.plugins = plugins
        self.clock = clock or SystemClock()
        self.web = settings.web
        secret = self.web.session_secret.get_secret_value() if self.web.session_secret else ""
        self.sessions = Sessions(
            self.clock, timedelta(hours=self.web.session_hours), secret.encode()
        )
        self.oauth = OAuthClient(self.web)
        self.limit = SignInLimit(self.clock, self.web.sign_ins_per_minute)
        self.enablement = Enablement(settings, plugins)
        self.secure_cookie = self.web.base_url().startswith("https://")
        self.pages: dict[str, list[Page]] = {}
        loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(HERE / "templates")]
        self.static_dirs: dict[str, Path] = {"core": HERE / "static"}
        for name, loaded in plugins.plugins.items():
            folder = Path(getattr(loaded.module, "__file__", "") or ".").parent
            if (folder / "templates").is_dir():
                loaders.append(jinja2.FileSystemLoader(folder / "templates"))
            if (folder / "static").is_dir():
                self.static_dirs[name] = folder / "static"
        self.templates = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.globals.update(Level=Level, static=lambda path: f"/static/{path}")
        self.templates.filters.update(CORE_FILTERS)
        refused = self._add_filters(plugins)
        for name, pages in plugins.impls("redlegion_web_pages"):
            if name not in refused:
                self.pages[name] = list(pages() or [])
        self.pages[CORE_APP] = admin.pages()  # core's pages: in every guild

    def _add_filters(self, plugins: PluginManager) -> set[str]:
        """Each plugin's template filters; the plugins whose filter names were taken."""
        refused: set[str] = set()
        owners = dict.fromkeys(self.templates.filters, "Jinja or core")
        for name, filters in plugins.impls("redlegion_web_filters"):
            mine = dict(filters() or {})
            taken = sorted(key for key in mine if key in owners)
            if taken:
                log.error(
                    "plugin %s gets no portal pages: its template filter %s is already %s's",
                    name,
                    ", ".join(repr(key) for key in taken),
                    owners[taken[0]],
                )
                refused.add(name)
                continue
            owners.update(dict.fromkeys(mine, name))
            self.templates.filters.update(mine)
        return refused

    # -- rendering ---------------------------------------------------------------------------

    def render(
        self, template: str, request: web.Request, *, status: int = 200, **context: Any
    ) -> web.Response:
        context.setdefault("guild", None)
        context.setdefault("user", request.get(USER))
        context.setdefault("level", None)
        context.setdefault("csrf_token", request.get(CSRF, ""))
        context.setdefault("nav", [])
        context.setdefault("flashes", request.get(FLASHES, []))
        context.setdefault("url", lambda path="": path)
        context.setdefault("plugin", None)
        context.setdefault("now", self.clock.now())
        html = self.templates.get_template(template).render(**context)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    def error_page(self, request: web.Request, status: int, message: str) -> web.Response:
        titles = {
            400: "That did not work",
            403: "Not allowed",
            404: "Not found",
            409: "Not now",
            429: "Too many attempts",
            503: "Unavailable",
        }
        return self.render(
            "error.html",
            request,
            status=status,
            title=titles.get(status, "Something went wrong"),
            message=message,
        )

    # -- the application ---------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(
            middlewares=[self._headers, self._errors, self._session],
            client_max_size=UPLOAD_LIMIT,
        )
        app[PORTAL_KEY] = self
        app.cleanup_ctx.append(self._following_changes)
        app.router.add_get("/", self.index)
        app.router.add_get("/auth/login", self.login)
        app.router.add_get(CALLBACK_PATH, self.callback)
        app.router.add_post("/auth/logout", self.logout)
        app.router.add_get("/g/{guild_id:\\d+}/", self.guild_home)
        for name, folder in self.static_dirs.items():
            app.router.add_static(f"/static/{name}/", folder, append_version=False)
        for plugin, pages in self.pages.items():
            for page in pages:
                route = f"/g/{{guild_id:\\d+}}/{plugin}/{page.path}"
                app.router.add_route(page.method.upper(), route, self._page_handler(plugin, page))
        return app

    async def _following_changes(self, _app: web.Application) -> AsyncIterator[None]:
        """While the portal serves, a change feed keeps what it caches (each guild's plugin
        choices) true to changes from any process: the bot's `/plugins`, the CLI, another
        portal. Caching them saves a query on every page."""
        feed = ChangeFeed()
        feed.subscribe(self.enablement.changed)
        await feed.start()
        try:
            yield
        finally:
            await feed.stop()

    @web.middleware
    async def _headers(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers.update(SECURITY_HEADERS)
            if "Cache-Control" not in exc.headers:
                exc.headers["Cache-Control"] = "no-store"
            raise
        response.headers.update(SECURITY_HEADERS)
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPRedirection:
            raise
        except web.HTTPException as exc:
            if exc.status >= 400 and exc.content_type != "text/html":
                return self.error_page(request, exc.status, exc.reason)
            raise
        except UserError as exc:
            return self.error_page(request, status_of(exc), exc.message)
        except Exception:
            log.exception("portal: %s %s failed", request.method, request.path)
            return self.error_page(request, 500, "Something went wrong on our side.")

    @web.middleware
    async def _session(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Loads the signed-in session (if any); every POST must carry its CSRF token."""
        if request.path.startswith("/static/"):
            return await handler(request)
        session = await self.sessions.get(
            request.cookies.get(COOKIE), guild_id=_guild_in_path(request)
        )
        request[SESSION] = session
        if session is not None and session.user_id is not None:
            request[USER] = {"id": session.user_id, "name": self.sessions.user_name(session)}
            request[CSRF] = session.csrf_token
            request[FLASHES] = list(session.flashes)
        if request.path == "/auth/logout" and session is None:
            raise web.HTTPSeeOther("/")  # signed out already (expired, or another tab)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            sent = request.headers.get("X-CSRF-Token")
            if sent is None and request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                sent = (await request.post()).get("csrf_token")  # type: ignore[assignment]
            if session is None or not csrf_ok(session, sent if isinstance(sent, str) else None):
                return self.error_page(
                    request,
                    403,
                    "This form has expired or did not come from the portal: "
                    "reload the page and try again.",
                )
        response = await handler(request)
        shown = request.get(FLASHES)
        if shown and session is not None and response.content_type == "text/html":
            await self.sessions.shown(session.id, len(shown))  # a page showed them: drop them
        return response

    def _signed_in(self, request: web.Request) -> WebSession:
        session: WebSession | None = request.get(SESSION)
        if session is None or session.user_id is None:
            raise web.HTTPSeeOther("/auth/login?" + _next_query(request.path_qs))
        return session

    def _set_cookie(self, response: web.StreamResponse, session: WebSession, cookie: str) -> None:
        response.set_cookie(
            COOKIE,
            cookie,
            httponly=True,
            samesite="Lax",
            secure=self.secure_cookie,
            path="/",
            max_age=int((session.expires_at - self.clock.now()).total_seconds()),
        )

    # -- sign-in -----------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        session: WebSession | None = request.get(SESSION)
        if session is None or session.user_id is None:
            return self.render("signin.html", request, title="Sign in")
        guilds = await access.guilds_of(self.settings, session.user_id)
        return self.render("guilds.html", request, title="Your servers", guilds=guilds)

    async def login(self, request: web.Request) -> web.StreamResponse:
        if not self.limit.allow(request.remote or "?"):
            return self.error_page(
                request, 429, "Too many sign-in attempts from here; wait a minute and try again."
            )
        if not self.web.client_id:
            return self.error_page(
                request, 503, "Sign-in is not set up: the operator must set [web] client_id."
            )
        pending, cookie = await self.sessions.start_sign_in(safe_next(request.query.get("next")))
        response = web.HTTPSeeOther(self.oauth.authorize_url(pending.oauth_state or ""))
        self._set_cookie(response, pending, cookie)
        raise response

    async def callback(self, request: web.Request) -> web.StreamResponse:
        if not self.limit.allow(request.remote or "?"):
            return self.error_page(
                request, 429, "Too many sign-in attempts from here; wait a minute and try again."
            )
        state = request.query.get("state", "")
        code = request.query.get("code", "")
        if request.query.get("error"):
            return self.error_page(request, 400, "Sign-in was cancelled at Discord.")
        pending = await self.sessions.take_state(request.cookies.get(COOKIE), state)
        if pending is None or not code:
            return self.error_page(
                request,
                400,
                "This sign-in link is not the one this browser started (or it expired): "
                "start again from the sign-in page.",
            )
        try:
            user = await self.oauth.user_for_code(code)
        except SignInFailed as exc:
            return self.error_page(request, 400, str(exc))
        session, cookie = await self.sessions.sign_in(pending, user.id)
        response = web.HTTPSeeOther(safe_next(pending.next_path) or "/")
        self._set_cookie(response, session, cookie)
        raise response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        session: WebSession | None = request.get(SESSION)
        if session is not None:
            await self.sessions.end(session.id)
        response = web.HTTPSeeOther("/")
        response.del_cookie(COOKIE, path="/")
        raise response

    # -- guild pages -------------------------------------------------------------------------

    def _guild(self, request: web.Request) -> access.GuildAccess:
        """The signed-in user's access to the path's guild, read with their session."""
        guild_id = _guild_in_path(request)
        if guild_id is None:
            raise NotFound("There is no such server here.")
        return access.from_session(self.settings, request[SESSION], guild_id)

    async def _nav(self, guild: access.GuildAccess) -> tuple[list[str], list[dict[str, Any]]]:
        enabled = await self.enablement.enabled(guild.guild_id)
        nav = [
            {
                "plugin": plugin,
                "title": page.title,
                "url": f"/g/{guild.guild_id}/{plugin}/{page.path}",
            }
            for plugin, pages in self.pages.items()
            if plugin in enabled or plugin == CORE_APP
            for page in pages
            if page.title
            and page.method == "GET"
            and guild.level >= page.level
            and "{" not in page.path
        ]
        return enabled, nav

    async def guild_home(self, request: web.Request) -> web.StreamResponse:
        session = self._signed_in(request)
        assert session.user_id is not None
        guild = self._guild(request)
        enabled, nav = await self._nav(guild)
        attention = await gather(
            self.plugins,
            guild.guild_id,
            level=guild.level,
            now=self.clock.now(),
            enabled=enabled.__contains__,
        )
        return self.render(
            "home.html",
            request,
            title=guild.guild_name,
            guild={"id": guild.guild_id, "name": guild.guild_name},
            level=guild.level,
            nav=nav,
            attention=attention,
        )

    def _page_handler(self, plugin: str, page: Page) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            session = self._signed_in(request)
            assert session.user_id is not None
            guild = self._guild(request)
            enabled, nav = await self._nav(guild)
            if plugin not in enabled and plugin != CORE_APP:
                raise NotFound(f"The {plugin} plugin is off in this server.")
            if guild.level < page.level:
                raise PermissionDenied(
                    f"This page is for {page.level} and above; you are {guild.level} here."
                )
            req = PageRequest(
                request=request,
                portal=self,
                guild_id=guild.guild_id,
                guild_name=guild.guild_name,
                user_id=session.user_id,
                user_name=request[USER]["name"],
                level=guild.level,
                plugin=plugin,
                csrf_token=session.csrf_token,
                session_id=session.id,
                nav=nav,
                flashes=request.get(FLASHES, []),
            )
            try:
                response = await page.handler(req)
            except web.HTTPRedirection:
                await self.sessions.add_flashes(session.id, req.pending_flashes)
                raise
            except UserError as exc:
                if request.method != "POST":
                    raise
                await self.sessions.add_flashes(
                    session.id, [*req.pending_flashes, {"kind": "error", "text": exc.message}]
                )
                raise web.HTTPSeeOther(self._back(request, req)) from None
            await self.sessions.add_flashes(session.id, req.pending_flashes)
            if isinstance(response, web.HTTPException):  # `return req.redirect(...)`
                raise response
            return response

        return handle

    @staticmethod
    def _back(request: web.Request, req: PageRequest) -> str:
        """Where a refused POST returns: the page it came from when that is inside this
        plugin of this guild, else the plugin's index."""
        referer = request.headers.get("Referer", "")
        parts = urlsplit(referer)
        if parts.netloc == request.host and parts.path.startswith(req.url("")):
            return parts.path + (f"?{parts.query}" if parts.query else "")
        return req.url("")


def _next_query(path: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": path})
