"""Running the real Red Legion bot against the stand-in, in this process, on the world's clock."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.bot import RedLegionBot
    from core.config import Settings
    from core.plugins import PluginManager
    from fakediscord.world import FakeDiscord


@contextlib.asynccontextmanager
async def running_bot(
    world: FakeDiscord,
    settings: Settings,
    plugins: PluginManager | None = None,
    **options: Any,
) -> AsyncIterator[RedLegionBot]:
    """Build `RedLegionBot(settings, plugins, clock=world.clock)`, start it against the serving
    world, wait until it is ready (commands synced, guilds seen), yield it, close it.

    The database must already be open (the bot's models use Tortoise's global connections).
    `options` go to `discord.Client` (e.g. `intents`); `guild_ready_timeout` defaults to 0.05 s.
    """
    from core.bot import RedLegionBot
    from core.plugins import PluginManager

    options.setdefault("guild_ready_timeout", 0.05)
    bot = RedLegionBot(settings, plugins or PluginManager(), clock=world.clock, **options)
    async with world.run_client(bot):
        yield bot
