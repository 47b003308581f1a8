"""Economy: materials and prices, trades, the org's double-entry ledger, financial reports."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.hookspecs import hookimpl
from core.plugin_spec import PluginSpec
from plugins.economy.service import ECONOMY
from plugins.economy.settings import EconomySettings

if TYPE_CHECKING:
    from discord import app_commands

    from core.bot import RedLegionBot
    from core.context import PluginContext
    from core.demo import DemoContext
    from core.web.attention import Attention
    from core.web.pages import Page


@hookimpl
def redlegion_plugin() -> PluginSpec:
    return PluginSpec(
        name="economy",
        version="0.1.0",
        description="Materials and market prices, trades, ledger and financial reports",
        models="plugins.economy.models",
        migrations="plugins.economy.migrations",
        settings=EconomySettings,
        service=ECONOMY,
    )


@hookimpl
def redlegion_app_commands(bot: RedLegionBot) -> list[app_commands.Group | app_commands.Command]:
    from plugins.economy.commands import economy_commands

    return economy_commands()


@hookimpl
async def redlegion_setup(ctx: PluginContext[EconomySettings]) -> None:
    from plugins.economy.market_watch import start_sync

    start_sync(ctx)


@hookimpl
def redlegion_cli(subparsers: argparse._SubParsersAction[Any]) -> None:
    from plugins.economy.cli import add_commands

    add_commands(subparsers)


@hookimpl
async def redlegion_demo(demo: DemoContext) -> None:
    from plugins.economy.demo import scene

    await scene(demo)


@hookimpl
async def redlegion_export(guild_id: int) -> dict[str, list[dict[str, Any]]]:
    from plugins.economy.export import guild_tables

    return await guild_tables(guild_id)


@hookimpl
async def redlegion_web_attention(guild_id: int, now: datetime) -> list[Attention]:
    from plugins.economy.attention import items

    return await items(guild_id, now)


@hookimpl
def redlegion_web_pages() -> list[Page]:
    from plugins.economy.pages import pages

    return pages()
