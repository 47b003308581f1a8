"""The bot's sign of life on active events, so a restart knows when it last saw the channels."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from core.errors import DatabaseOutage
from plugins.mining.voice import heartbeat, tracker_for

if TYPE_CHECKING:
    from core.bot import RedLegionBot

log = logging.getLogger(__name__)

_tasks: set[asyncio.Task[None]] = set()


async def beat_forever(bot: RedLegionBot) -> None:
    """Every `heartbeat_seconds`, stamp the active events of the guilds this bot watches.

    A guild counts once reconciled after start: before that, the bot has not seen its voice.
    A guild whose voice changes went unrecorded in a database outage does not count until it
    is reconciled: a beat then would pass for a sign of life the bot never wrote down.
    """
    interval = bot.settings.plugin_settings("mining").heartbeat_seconds
    while not bot.is_closed():
        await asyncio.sleep(interval)
        if bot.is_closed():
            return
        try:
            await heartbeat(tracker_for(bot).beating(), bot.clock.now())
        except DatabaseOutage:
            log.warning("mining heartbeat not recorded: the database is unavailable")
        except Exception:
            log.exception("mining heartbeat failed")


def start_heartbeat(bot: RedLegionBot) -> asyncio.Task[None]:
    task = asyncio.get_running_loop().create_task(beat_forever(bot), name="mining-heartbeat")
    _tasks.add(task)  # keep a reference until it ends
    task.add_done_callback(_tasks.discard)
    return task
