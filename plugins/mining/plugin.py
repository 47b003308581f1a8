"""Mining: events, participation from voice, yields, payroll and reports."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from core.hookspecs import hookimpl
from core.plugin_spec import PluginSpec
from plugins.mining.settings import MiningSettings
from plugins.mining.timeline import hms
from plugins.mining.voice import tracker_for

if TYPE_CHECKING:
    from collections.abc import Callable

    from discord import app_commands

    from core.bot import RedLegionBot
    from core.context import PluginContext
    from core.demo import DemoContext
    from core.events import GuildSnapshot, VoiceStateEvent
    from core.web.pages import Page


@hookimpl
def redlegion_plugin() -> PluginSpec:
    return PluginSpec(
        name="mining",
        version="0.1.0",
        description="Sunday mining ops from voice channels to payroll and PDF report",
        depends=("economy",),
        models="plugins.mining.models",
        migrations="plugins.mining.migrations",
        settings=MiningSettings,
    )


@hookimpl
def redlegion_app_commands(bot: RedLegionBot) -> list[app_commands.Group]:
    from plugins.mining.commands import MiningGroup

    return [MiningGroup()]


@hookimpl
async def redlegion_setup(bot: RedLegionBot, ctx: PluginContext[MiningSettings]) -> None:
    from plugins.mining.heartbeat import start_heartbeat

    def snapshot_of(guild_id: int) -> GuildSnapshot | None:
        guild = bot.get_guild(guild_id)
        return bot.snapshot(guild) if guild is not None else None

    # after a database outage, voice is reconciled against what the bot sees then
    tracker_for(bot).follow(snapshot_of, bot.is_closed)
    bot.changes.subscribe(tracker_for(bot).changed)
    start_heartbeat(bot, ctx)


@hookimpl
async def redlegion_guilds_available(bot: RedLegionBot, guilds: list[GuildSnapshot]) -> None:
    await tracker_for(bot).reconcile_many(guilds)


@hookimpl
async def redlegion_voice_state_update(bot: RedLegionBot, event: VoiceStateEvent) -> None:
    await tracker_for(bot).handle(event)


@hookimpl
def redlegion_web_pages() -> list[Page]:
    from plugins.mining.pages import pages

    return pages()


@hookimpl
def redlegion_web_filters() -> dict[str, Callable[[Any], str]]:
    return {"hms": hms}


@hookimpl
def redlegion_cli(subparsers: argparse._SubParsersAction[Any]) -> None:
    from plugins.mining.cli import add_commands

    add_commands(subparsers)


@hookimpl
async def redlegion_demo(demo: DemoContext) -> None:
    from plugins.mining.demo import play_sunday_op

    await play_sunday_op(demo)


@hookimpl
async def redlegion_export(guild_id: int) -> dict[str, list[dict[str, Any]]]:
    from plugins.mining.export import guild_tables

    return await guild_tables(guild_id)
