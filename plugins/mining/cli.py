"""`redlegion mining …`: officer tasks from the shell (the event report as a PDF file)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.inputs import cli_row_id, cli_snowflake
from core.runtime import Runtime, add_database_option


async def cmd_report(args: argparse.Namespace, runtime: Runtime) -> int:
    from plugins.mining.report_pdf import write_event_report

    async with runtime.open_database(args.database_url):
        settings = runtime.settings.plugin_settings("mining", args.guild)
        out = Path(args.out)
        size = await write_event_report(args.guild, args.event_id, out, settings=settings)
    print(f"wrote {out} ({size:,} bytes)")
    return 0


def add_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    mining = subparsers.add_parser("mining", help="mining events: reports").add_subparsers(
        dest="mining_command", required=True, metavar="ACTION"
    )
    report = mining.add_parser("report", help="write an event's PDF report")
    report.add_argument("event_id", type=cli_row_id, help="the event's number (#12 → 12)")
    report.add_argument("--guild", type=cli_snowflake, required=True, help="the server (guild) id")
    report.add_argument("--out", required=True, help="PDF file to write")
    add_database_option(report)
    report.set_defaults(func=cmd_report)
