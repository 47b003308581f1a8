"""The bot's sign of life on active events, so a restart knows when it last saw the channels."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.errors import DatabaseOutage
from plugins.mining.voice import heartbeat, tracker_for

if TYPE_CHECKING:
    from core.bot import RedLegionBot
    from core.context import PluginContext
    from plugins.mining.settings import MiningSettings

log = logging.getLogger(__name__)


async def beat(bot: RedLegionBot) -> None:
    """Stamp the active events of the guilds this bot watches (every `heartbeat_seconds`).

    A guild counts once reconciled after start: before that, the bot has not seen its voice.
    A guild whose voice changes went unrecorded in a database outage does not count until it
    is reconciled: a beat then would pass for a sign of life the bot never wrote down.
    """
    if bot.is_closed():
        return
    guilds = tracker_for(bot).beating()
    log.debug("mining heartbeat in guilds %s", sorted(guilds))
    try:
        await heartbeat(guilds, bot.clock.now())
    except DatabaseOutage:
        log.warning("mining heartbeat not recorded: the database is unavailable")
    except Exception:
        log.exception("mining heartbeat failed")


def start_heartbeat(bot: RedLegionBot, ctx: PluginContext[MiningSettings]) -> None:
    ctx.every(ctx.settings().heartbeat_seconds, lambda: beat(bot), name="mining-heartbeat")
