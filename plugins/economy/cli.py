"""`redlegion prices import|sync` and `redlegion report finances`: the operator's side of
economy."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from core.errors import NotFound
from core.inputs import cli_snowflake
from core.models import Guild
from core.runtime import add_database_option


async def cmd_prices_import(args: argparse.Namespace, runtime: Any) -> int:
    from core.clock import SystemClock
    from core.uploads import read_path
    from plugins.economy.prices import MAX_IMPORT_BYTES, import_prices, parse_prices

    path = Path(args.file)
    data = await asyncio.to_thread(read_path, path, limit=MAX_IMPORT_BYTES)
    rows = parse_prices(data, path.name)  # a malformed file stops here, before the database
    async with runtime.open_database(args.database_url):
        summary = await import_prices(
            rows, guild_id=args.guild, actor_id=None, at=SystemClock().now(), source="import"
        )
    scope = f"server {args.guild}" if args.guild is not None else "all servers (reference)"
    print(summary.describe(scope))
    return 0


async def cmd_prices_sync(args: argparse.Namespace, runtime: Any) -> int:
    from core.clock import SystemClock
    from plugins.economy.market import sync_now

    settings = runtime.settings.plugin_settings("economy")
    async with runtime.open_database(args.database_url):
        # a UEX failure raises a UexError: main prints its one line, exit 2, nothing changed
        report = await sync_now(settings, at=SystemClock().now(), accept_jumps=args.accept_jumps)
    print(report.describe())
    return 0


async def cmd_report_finances(args: argparse.Namespace, runtime: Any) -> int:
    from core.clock import SystemClock
    from plugins.economy import report_files, reports

    today = SystemClock().now().date()
    window = reports.day_window(
        reports.parse_day(args.start, "--from"), reports.parse_day(args.end, "--to"), today
    )
    out = Path(args.out)
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    async with runtime.open_database(args.database_url):
        guild = await Guild.get_or_none(id=args.guild)
        if guild is None:
            raise NotFound(f"server {args.guild} is not known to this database")
        report = await reports.finances(args.guild, *window)
    stem = out / report_files.file_stem(report)
    csv_path, pdf_path = stem.with_suffix(".csv"), stem.with_suffix(".pdf")
    await asyncio.to_thread(csv_path.write_bytes, report_files.to_csv(report))
    await asyncio.to_thread(pdf_path.write_bytes, report_files.to_pdf(report, guild.name))
    print(f"Finances of {guild.name} from {report_files.period_label(report)} (aUEC)")
    for name, amount in report.figures():
        print(f"  {name:<40} {amount:>20,.2f}")
    print(f"wrote {csv_path}")
    print(f"wrote {pdf_path}")
    return 0


def add_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    prices = subparsers.add_parser("prices", help="material prices").add_subparsers(
        dest="prices_command", required=True, metavar="ACTION"
    )
    imp = prices.add_parser(
        "import",
        help="set prices from a UEX commodities JSON or a CSV (name,price_sell,price_buy)",
        description="Unknown names are skipped and counted; a malformed row stops the whole "
        "file with its position, and nothing is applied.",
    )
    imp.add_argument("file", help="the JSON or CSV file")
    imp.add_argument(
        "--guild",
        type=cli_snowflake,
        help="set this server's own prices instead of the reference ones",
    )
    add_database_option(imp)
    imp.set_defaults(func=cmd_prices_import)
    sync = prices.add_parser(
        "sync",
        help="set the reference prices and the places to sell from UEX now",
        description="Reads UEX's API ([economy] uex_base_url; a token from $UEX_API_TOKEN or "
        "[economy] uex_token is sent when set). Any failure changes nothing and is said in "
        "one line. A price more than 10x above or below the one in effect is held back.",
    )
    sync.add_argument(
        "--accept-jumps", action="store_true", help="apply the prices held back as jumps too"
    )
    add_database_option(sync)
    sync.set_defaults(func=cmd_prices_sync)

    report = subparsers.add_parser("report", help="reports").add_subparsers(
        dest="report_command", required=True, metavar="REPORT"
    )
    fin = report.add_parser("finances", help="a server's financial report as CSV and PDF")
    fin.add_argument("--guild", type=cli_snowflake, required=True, help="the server (guild) id")
    fin.add_argument("--from", dest="start", help="first day, YYYY-MM-DD (default: 30 days ago)")
    fin.add_argument("--to", dest="end", help="last day, YYYY-MM-DD (default: today)")
    fin.add_argument("--out", default=".", help="folder for the files (default: here)")
    add_database_option(fin)
    fin.set_defaults(func=cmd_report_finances)
