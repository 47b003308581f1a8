"""Running the real Red Legion bot against the Discord stand-in, in this process, on the world's
clock: for the demo and the tests.

It lives on the bot's side: the stand-in (`fakediscord`) knows no bot code, so it can be read,
tested and reused alone, and the bot's layers never import back into it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from core.bot import RedLegionBot
from core.config import Settings
from core.plugins import PluginManager

if TYPE_CHECKING:
    from fakediscord.world import FakeDiscord


@contextlib.asynccontextmanager
async def running_bot(
    world: FakeDiscord,
    settings: Settings,
    plugins: PluginManager | None = None,
    *,
    allow_mapped_roles: bool = True,
    **options: Any,
) -> AsyncIterator[RedLegionBot]:
    """Build `RedLegionBot(settings, plugins, clock=world.clock)`, start it against the serving
    world, wait until it is ready (commands synced, guilds seen), yield it, close it.

    The database must already be open (the bot's models use Tortoise's global connections).
    `options` go to `discord.Client` (e.g. `intents`); `guild_ready_timeout` defaults to 0.05 s.
    With `allow_mapped_roles`, the roles `settings` maps to a level are allowed on the commands
    Discord hides from members, as the README tells a server admin to do (Integrations).
    """
    options.setdefault("guild_ready_timeout", 0.05)
    bot = RedLegionBot(settings, plugins or PluginManager(), clock=world.clock, **options)
    async with world.run_client(bot):
        if allow_mapped_roles:
            allow_roles_on_hidden_commands(world, settings)
        yield bot


def allow_roles_on_hidden_commands(world: FakeDiscord, settings: Settings) -> None:
    for guild_id, guild in settings.guilds.items():
        mapped = [*guild.roles.officer, *guild.roles.treasurer, *guild.roles.admin]
        for scope in (None, guild_id):
            for command in world.commands.list(scope):
                if command.get("default_member_permissions") is not None:
                    for role_id in mapped:
                        world.commands.allow_role(guild_id, command["name"], role_id)
