"""What a plugin gives the portal (`Page`) and what its handler gets (`PageRequest`).

A page is declared like a slash command: a path, a handler, the least level it needs. Core
checks sign-in, guild membership, the plugin's enablement in that guild, the level and (for a
POST) the CSRF token before the handler runs, so a handler only reads input, calls the same
service a command calls, and renders or redirects.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from multidict import MultiMapping

from core.permissions import Level

if TYPE_CHECKING:
    from core.web.portal import Portal


@dataclass(frozen=True)
class Page:
    # relative to the plugin's root /g/{guild_id}/{plugin}/; "" is its index; aiohttp
    # placeholders allowed ("events/{event_id}")
    path: str
    handler: Callable[[PageRequest], Awaitable[web.StreamResponse]]
    method: str = "GET"  # "GET" or "POST"; every POST is CSRF-checked by core first
    level: Level = Level.MEMBER  # the least level; below it the caller gets a 403 page
    title: str | None = None  # a GET page with a title is listed in the guild's nav


@dataclass
class PageRequest:
    """One checked request to a plugin's page."""

    request: web.Request
    portal: Portal
    guild_id: int
    guild_name: str
    user_id: int
    user_name: str
    level: Level
    plugin: str
    csrf_token: str
    session_id: str
    nav: list[dict[str, Any]] = field(default_factory=list)
    # shown on this page (queued by the previous one)
    flashes: list[dict[str, str]] = field(default_factory=list)
    # queued by this handler for the next page; core stores them when the handler returns
    pending_flashes: list[dict[str, str]] = field(default_factory=list)

    @property
    def match(self) -> Mapping[str, str]:
        return self.request.match_info

    @property
    def query(self) -> MultiMapping[str]:
        return self.request.query

    async def form(self) -> Mapping[str, str]:
        """The POSTed fields as text (a file field is left to `.request.post()`)."""
        data = await self.request.post()
        return {k: v for k, v in data.items() if isinstance(v, str)}

    def now(self) -> datetime:
        return self.portal.clock.now()

    def plugin_settings(self) -> Any:
        """This plugin's settings as they apply in this guild."""
        return self.portal.settings.plugin_settings(self.plugin, self.guild_id)

    def url(self, path: str = "") -> str:
        """A plugin-relative path as an absolute portal path."""
        return f"/g/{self.guild_id}/{self.plugin}/{path.lstrip('/')}"

    def render(self, template: str, *, status: int = 200, **context: Any) -> web.Response:
        return self.portal.render(
            template,
            self.request,
            status=status,
            guild={"id": self.guild_id, "name": self.guild_name},
            user={"id": self.user_id, "name": self.user_name},
            level=self.level,
            csrf_token=self.csrf_token,
            nav=self.nav,
            flashes=self.flashes,
            url=self.url,
            plugin=self.plugin,
            **context,
        )

    def redirect(self, path: str = "") -> web.HTTPSeeOther:
        """A redirect inside this plugin (no scheme, host or `..`: never off the portal)."""
        if "://" in path or path.startswith("//") or ".." in path.split("/") or "\\" in path:
            raise ValueError(f"not a plugin-relative path: {path!r}")
        return web.HTTPSeeOther(self.url(path))

    def flash(self, message: str, kind: str = "ok") -> None:
        """A message shown on the next page this session sees ("ok" or "error")."""
        self.pending_flashes.append({"kind": "error" if kind == "error" else "ok", "text": message})
