"""The one place the bot changes discord.py's module-wide state at run time.

discord.py takes Discord's endpoints from class attributes, not from the client: the REST base
is `discord.http.Route.BASE` and the gateway `DiscordWebSocket.DEFAULT_GATEWAY` (the gateway
URL Discord hands out at login replaces the latter only on reconnects). A bot pointed at a
local stand-in (`[discord] api_base`, `gateway_url`: the demo, the multi-process tests) must
change them before the client connects, and for the whole process.

When it can go: once `discord.Client` (or `HTTPClient`) takes a base URL and a gateway URL of
its own, pass them there and delete this module. Check a new discord.py with
`grep -n "BASE\\|DEFAULT_GATEWAY" discord/http.py discord/gateway.py`.

The stand-in's in-process helper (`fakediscord.server.discord_pointed_at`) sets and restores
the same two attributes for a test: it cannot import the bot, so it has its own copy.
"""

from __future__ import annotations

import yarl


def point_discord_at(api_base: str | None, gateway_url: str | None) -> None:
    """Send this process's discord.py to `api_base` (REST, …/api/v10) and `gateway_url`;
    nothing is changed for a value that is unset."""
    import discord  # here: `redlegion` commands that never talk to Discord do not load it

    if api_base:
        discord.http.Route.BASE = api_base.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
