"""What the portal asks Discord itself, with the bot's token: a server's voice channels.

The portal may run in a process of its own with no gateway, so what only Discord knows (which
of a server's channels are voice channels, which is its AFK channel) is read over REST when a
page needs it, the same facts `/mining channel add` takes from the gateway cache, so the same
service refuses the same channels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from core.config import Settings
from core.errors import DiscordUnavailable

TIMEOUT = aiohttp.ClientTimeout(total=10)
VOICE = 2  # Discord's channel type of a voice channel (discord.py's Guild.voice_channels)


@dataclass(frozen=True)
class VoiceChannels:
    names: dict[int, str]  # id → name, in Discord's order
    afk_channel_id: int | None


async def voice_channels(settings: Settings, guild_id: int) -> VoiceChannels:
    """The guild's voice channels and AFK channel, as Discord says now."""
    if settings.token is None:
        raise DiscordUnavailable(
            "The portal has no bot token (DISCORD_TOKEN or [discord] token), so it cannot ask "
            "Discord for this server's voice channels."
        )
    api = settings.web.api_base.rstrip("/")
    headers = {"Authorization": f"Bot {settings.token.get_secret_value()}"}
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT, headers=headers) as http:
            guild = await _get(http, f"{api}/guilds/{guild_id}")
            channels = await _get(http, f"{api}/guilds/{guild_id}/channels")
        found = sorted(
            (c for c in channels if c.get("type") == VOICE),
            key=lambda c: (int(c.get("position") or 0), int(c["id"])),
        )
        afk = guild.get("afk_channel_id")
        return VoiceChannels(
            {int(c["id"]): str(c.get("name") or c["id"]) for c in found},
            int(afk) if afk else None,
        )
    except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError, AttributeError):
        raise DiscordUnavailable(
            "Discord did not say which voice channels this server has; try again in a moment."
        ) from None


async def _get(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url) as resp:
        resp.raise_for_status()
        return await resp.json(content_type=None)
