"""What a plugin may do. Each hook is optional; a plugin implements the ones it needs, and
an implementation takes only the arguments it uses. A hook that runs inside the bot gets the
bot (for Discord itself) and `ctx`, the plugin's own `core.context.PluginContext`.

Event hooks are `async def` and core awaits them. Core calls an event hook only for plugins
enabled in that event's guild, so a plugin never checks enablement itself.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from discord import app_commands

    from core.bot import RedLegionBot
    from core.context import PluginContext
    from core.demo import DemoContext
    from core.events import GuildSnapshot, MemberEvent, VoiceStateEvent
    from core.plugin_spec import PluginSpec
    from core.web.attention import Attention
    from core.web.pages import Page

PROJECT = "redlegion"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def redlegion_plugin() -> PluginSpec:
    """Declare the plugin: name, version, dependencies, models, migrations, settings."""


@hookspec
def redlegion_app_commands(
    bot: RedLegionBot, ctx: PluginContext[Any]
) -> list[app_commands.Group | app_commands.Command[Any, ..., Any]]:
    """Return the slash command groups (fresh instances) this plugin adds to the bot."""


@hookspec
def redlegion_cli(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `redlegion` subcommands; a command's handler is stored as `set_defaults(func=...)`."""


@hookspec
async def redlegion_setup(bot: RedLegionBot, ctx: PluginContext[Any]) -> None:
    """Called once the database is open and commands are registered: start background work
    with `ctx.every` / `ctx.spawn` (stopped on close). `ctx` is this plugin's own context
    (`core.context`); take only the arguments you use."""


@hookspec
async def redlegion_guild_available(
    bot: RedLegionBot, ctx: PluginContext[Any], guild: GuildSnapshot
) -> None:
    """The bot is ready in a guild (start-up, reconnect or newly joined): reconcile state.

    Called once per guild for a plugin that does not implement `redlegion_guilds_available`.
    """


@hookspec
async def redlegion_guilds_available(
    bot: RedLegionBot, ctx: PluginContext[Any], guilds: list[GuildSnapshot]
) -> None:
    """The bot is ready in these guilds (a batch of start-up, or one guild joined later),
    the plugin on in each: reconcile their state in as few queries as the batch allows.

    A plugin implementing this one is not called with `redlegion_guild_available`: at start
    Discord announces every guild together, and one query for a hundred guilds costs little
    more than one for a single guild.
    """


@hookspec
async def redlegion_voice_state_update(
    bot: RedLegionBot, ctx: PluginContext[Any], event: VoiceStateEvent
) -> None:
    """A member joined, left or moved between voice channels (events of a guild in order)."""


@hookspec
async def redlegion_member_update(
    bot: RedLegionBot, ctx: PluginContext[Any], event: MemberEvent
) -> None:
    """A member joined the guild, changed (roles, name) or left it."""


@hookspec
async def redlegion_export(guild_id: int) -> dict[str, list[dict[str, Any]]]:
    """Return this plugin's records of one guild as named tables of rows (`redlegion export`)."""


@hookspec
async def redlegion_demo(demo: DemoContext) -> None:
    """Play this plugin's part of `redlegion demo` through the local Discord stand-in."""


@hookspec
async def redlegion_web_attention(guild_id: int, now: datetime) -> list[Attention]:
    """What in this guild needs attention now (the portal's guild home), each item with the
    least level that sees it; core asks only plugins that are on in the guild."""


@hookspec
def redlegion_web_pages() -> list[Page]:
    """The pages this plugin adds to the portal (shown only in guilds where it is on)."""


@hookspec
def redlegion_web_filters() -> dict[str, Callable[[Any], str]]:
    """Jinja filters this plugin's templates format its own values with (`{{ p.seconds|hms }}`).

    Filters, not functions in each page's context: Jinja calls a filter directly, a function
    through the context's checks, which costs a microsecond a row in a long table. Core has
    `money` and `dt`; a plugin whose filter takes a name core or an earlier plugin has gets
    no pages (logged by name)."""
