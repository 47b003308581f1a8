"""A plugin with pages only, proving a plugin's pages mount (and core's checks around them)."""

from __future__ import annotations

from aiohttp import web

from core.errors import DatabaseOutage, InvalidInput, InvalidState
from core.hookspecs import hookimpl
from core.permissions import Level
from core.plugin_spec import PluginSpec
from core.web.pages import Page, PageRequest

SAID: list[tuple[int, int, str]] = []  # (guild, user, text) of accepted posts


@hookimpl
def redlegion_plugin() -> PluginSpec:
    return PluginSpec(name="probe", version="0.1.0", description="Portal probe pages")


async def index(req: PageRequest) -> web.StreamResponse:
    return req.render("probe/index.html", said=[s for s in SAID if s[0] == req.guild_id])


async def officers(req: PageRequest) -> web.StreamResponse:
    return req.render("probe/index.html", said=[])


async def say(req: PageRequest) -> web.StreamResponse:
    text = (await req.form()).get("text", "").strip()
    if not text:
        raise InvalidInput("Say something first.")
    SAID.append((req.guild_id, req.user_id, text))
    req.flash(f"Said {text}")
    return req.redirect("")


async def item(req: PageRequest) -> web.StreamResponse:
    return web.json_response({"item": req.match["item_id"], "now": req.now().isoformat()})


async def busy(req: PageRequest) -> web.StreamResponse:
    raise InvalidState("The op is already running.")


async def outage(req: PageRequest) -> web.StreamResponse:
    raise DatabaseOutage()


async def boom(req: PageRequest) -> web.StreamResponse:
    raise RuntimeError("secret internals: password=hunter2")


@hookimpl
def redlegion_web_pages() -> list[Page]:
    return [
        Page("", index, title="Probe"),
        Page("busy", busy),
        Page("outage", outage),
        Page("boom", boom),
        Page("officers", officers, level=Level.OFFICER, title="Officers only"),
        Page("say", say, method="POST"),
        Page("items/{item_id}", item),
    ]
