"""Loans: member loans with interest, repayments and defaults, posted to the ledger."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.hookspecs import hookimpl
from core.plugin_spec import PluginSpec
from plugins.loans.settings import LoansSettings

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
        name="loans",
        version="0.1.0",
        description="Member loans with interest, repayments and defaults",
        depends=("economy",),
        models="plugins.loans.models",
        migrations="plugins.loans.migrations",
        settings=LoansSettings,
    )


@hookimpl
def redlegion_app_commands(bot: RedLegionBot) -> list[app_commands.Group]:
    from plugins.loans.commands import LoanGroup

    return [LoanGroup()]


@hookimpl
async def redlegion_setup(bot: RedLegionBot, ctx: PluginContext[LoansSettings]) -> None:
    from plugins.loans.watch import start_watch

    start_watch(bot, ctx)


@hookimpl
def redlegion_cli(subparsers: argparse._SubParsersAction[Any]) -> None:
    from plugins.loans.cli import add_commands

    add_commands(subparsers)


@hookimpl
async def redlegion_demo(demo: DemoContext) -> None:
    from plugins.loans.demo import scene

    await scene(demo)


@hookimpl
async def redlegion_export(guild_id: int) -> dict[str, list[dict[str, Any]]]:
    from plugins.loans.export import guild_tables

    return await guild_tables(guild_id)


@hookimpl
async def redlegion_web_attention(guild_id: int, now: datetime) -> list[Attention]:
    from plugins.loans.attention import items

    return await items(guild_id, now)


@hookimpl
def redlegion_web_pages() -> list[Page]:
    from plugins.loans.pages import pages

    return pages()
