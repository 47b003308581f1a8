"""`redlegion loans …`: the overdue check from the shell (cron, or a bot that is down)."""

from __future__ import annotations

import argparse
from typing import Any

from core.clock import SystemClock
from core.enablement import Enablement
from core.inputs import cli_snowflake
from core.money import fmt
from core.runtime import Runtime, add_database_option
from plugins.loans.defaults import guilds_with_active_loans, mark_overdue


async def cmd_check_overdue(args: argparse.Namespace, runtime: Runtime) -> int:
    """Default loans past due + grace in one guild or all; the bot announces them later."""
    enablement = Enablement(runtime.settings, runtime.plugins)
    now = SystemClock().now()
    total = 0
    async with runtime.open_database(args.database_url):
        guild_ids = [args.guild] if args.guild is not None else await guilds_with_active_loans()
        for guild_id in guild_ids:
            if not await enablement.is_enabled("loans", guild_id):
                print(f"guild {guild_id}: loans are off there, skipped")
                continue
            settings = runtime.settings.plugin_settings("loans", guild_id)
            for closed in await mark_overdue(guild_id, settings=settings, at=now):
                total += 1
                loan = closed.loan
                print(
                    f"guild {guild_id}: loan #{loan.id} of user {loan.borrower_id} defaulted, "
                    f"{fmt(closed.balance.owed)} unpaid, {fmt(closed.written_off)} written off"
                )
    print(f"{total} loan(s) defaulted")
    return 0


def add_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    loans = subparsers.add_parser("loans", help="member loans: overdue check").add_subparsers(
        dest="loans_command", required=True, metavar="ACTION"
    )
    check = loans.add_parser(
        "check-overdue",
        help="mark loans past due + grace as defaulted (and write them off, per config)",
    )
    check.add_argument("--guild", type=cli_snowflake, help="only this server (guild) id")
    add_database_option(check)
    check.set_defaults(func=cmd_check_overdue)
