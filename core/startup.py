"""Before the bot opens its database: is the token good, and can Discord be reached?

A wrong token must be one line and an exit before anything is created or migrated; a
network failure (DNS, refused or dropped connection, Discord answering 5xx) is worth
retrying with backoff, a refused token is not.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aiohttp
import discord
from discord.http import HTTPClient

from core.errors import BadToken, DiscordUnreachable
from core.redaction import redact

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 60.0


def backoff_delays(attempts: int, first: float) -> list[float]:
    """Seconds to wait before each retry: first, twice that, … capped at a minute."""
    return [min(first * 2**i, MAX_BACKOFF_SECONDS) for i in range(max(attempts - 1, 0))]


async def check_login(
    token: str,
    *,
    attempts: int,
    backoff_seconds: float,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> str:
    """Log in over REST (`GET /users/@me`, what discord.py's own login asks) and log out.

    Returns the bot's user name. Raises BadToken on a 401 at once, DiscordUnreachable once
    `attempts` tries failed for the network or Discord's servers.
    """
    delays = backoff_delays(attempts, backoff_seconds)
    for attempt in range(1, attempts + 1):
        http = HTTPClient(asyncio.get_running_loop())
        try:
            user = await http.static_login(token)
            return str(user["username"])
        except discord.LoginFailure:
            raise BadToken(
                "Discord refused the bot token (401 Unauthorized): copy it again from the "
                "Developer Portal (Bot → Reset Token) into DISCORD_TOKEN or `token`"
            ) from None
        except (OSError, aiohttp.ClientError, TimeoutError, discord.DiscordServerError) as exc:
            reason = redact(str(exc) or type(exc).__name__, [token])
            if attempt == attempts:
                raise DiscordUnreachable(
                    f"cannot reach Discord at {discord.http.Route.BASE} after {attempts} "
                    f"attempt(s): {reason}"
                ) from None
            delay = delays[attempt - 1]
            log.warning(
                "cannot reach Discord (attempt %d of %d: %s); retrying in %.1f s",
                attempt,
                attempts,
                reason,
                delay,
            )
            await sleep(delay)
        finally:
            await http.close()
    raise AssertionError("unreachable")  # attempts >= 1
