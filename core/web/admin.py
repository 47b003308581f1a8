"""Core's own portal pages: which plugins are on in a guild, and an admin's switch for each.

They are declared as `Page`s like a plugin's, under core's name (`core.plugins.CORE_APP`, which
no plugin may take) and on in every guild, so the portal checks sign-in, membership, level and
CSRF for them exactly as for a plugin page, and the switch calls `Enablement.choose`, the same
service as `/plugins enable|disable`.
"""

from __future__ import annotations

from aiohttp import web

from core.errors import InvalidInput
from core.permissions import Level
from core.web.pages import Page, PageRequest


async def plugins_page(req: PageRequest) -> web.StreamResponse:
    statuses = await req.portal.enablement.statuses(req.guild_id)
    return req.render("plugins.html", title="Plugins", statuses=statuses)


async def choose_plugin(req: PageRequest) -> web.StreamResponse:
    form = await req.form()
    name, state = form.get("plugin", ""), form.get("on", "")
    if state not in ("0", "1"):
        raise InvalidInput("Say whether to turn the plugin on or off.")
    on = state == "1"
    statuses = await req.portal.enablement.choose(req.guild_id, name, on)
    now = next(s for s in statuses if s.name == name)
    note = "" if now.enabled == on else f" (still off: {now.reason})"
    req.flash(f"The {name} plugin is now {'on' if on else 'off'} in this server{note}.")
    return req.redirect("plugins")


def pages() -> list[Page]:
    """At the levels of `/plugins list` (anyone) and `/plugins enable|disable` (admin)."""
    return [
        Page("plugins", plugins_page, title="Plugins"),
        Page("plugins", choose_plugin, method="POST", level=Level.ADMIN),
    ]
