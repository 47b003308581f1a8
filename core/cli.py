"""`redlegion`: run the bot, migrate the database, inspect plugins and config.

Plugins add their own subcommands through the `redlegion_cli` hook; a handler is an
`async def handler(args, runtime) -> int | None` stored with `set_defaults(func=handler)`.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import sys
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from clocks import utc
from core.config import DiscordEndpoints
from core.discord_patches import point_discord_at
from core.errors import ConfigError, StartupError, UserError
from core.inputs import cli_int, cli_snowflake
from core.plugins import PluginManager
from core.redaction import mask_url
from core.runtime import Runtime, add_database_option, configure_logging
from storage import Database, migrations
from storage.database import backend_of, sqlite_file
from storage.instance_lock import AlreadyRunning, InstanceLock


def _token(runtime: Runtime) -> str:
    settings = runtime.settings
    if settings.token is None or not settings.token.get_secret_value().strip():
        raise ConfigError(
            "no Discord bot token: set DISCORD_TOKEN in the environment or `token` in "
            f"{settings.source} (or try `redlegion demo`, which needs none)"
        )
    return settings.token.get_secret_value()


def _point_discord_at(runtime: Runtime) -> None:
    """`[discord] api_base` and `gateway_url` (a local stand-in instead of Discord), through
    `core.discord_patches`, the one place discord.py's module-wide endpoints are changed."""
    discord_settings = runtime.settings.discord
    point_discord_at(discord_settings.api_base, discord_settings.gateway_url)


async def _check_login(runtime: Runtime, token: str) -> None:
    """The token, checked against Discord before anything touches the database."""
    from core.startup import check_login

    discord_settings = runtime.settings.discord
    await check_login(
        token,
        attempts=discord_settings.login_attempts,
        backoff_seconds=discord_settings.login_backoff_seconds,
    )


def _shards_from_args(current: DiscordEndpoints, args: argparse.Namespace) -> DiscordEndpoints:
    """`--shard-count`/`--shard-ids` over `[discord]`, checked by the same rules."""
    given = {"shard_count": args.shard_count, "shard_ids": args.shard_ids}
    given = {key: value for key, value in given.items() if value is not None}
    if not given:
        return current
    try:
        return DiscordEndpoints.model_validate({**current.model_dump(), **given})
    except ValidationError as exc:
        problems = "; ".join(error["msg"].removeprefix("Value error, ") for error in exc.errors())
        raise ConfigError(f"--shard-count/--shard-ids: {problems}") from None


def _shard_count(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number or auto") from None


def _shard_ids(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list like 0,1") from None


def _portal_beside(runtime: Runtime) -> AbstractAsyncContextManager[object]:
    """`[web] enabled = true`: the portal in the bot's own event loop."""
    if not runtime.settings.web.enabled:
        return nullcontext()
    from core.web.serve import serving

    return serving(runtime.settings, runtime.plugins)


async def cmd_run(args: argparse.Namespace, runtime: Runtime) -> int:
    from core.bot import make_bot, recommended_shard_count

    settings = runtime.settings
    token = _token(runtime)
    _point_discord_at(runtime)
    settings.discord = _shards_from_args(settings.discord, args)
    await _check_login(runtime, token)
    url = args.database_url or settings.database_url
    if settings.discord.shard_count == "auto":
        count = await recommended_shard_count(token)
        settings.discord = settings.discord.model_copy(update={"shard_count": count})
    async with runtime.open_database(url, upgrade=args.upgrade):
        bot = make_bot(
            settings, runtime.plugins, guild_ready_timeout=settings.discord.guild_ready_timeout
        )
        taken_over = asyncio.Event()

        def stop() -> None:
            taken_over.set()
            asyncio.get_running_loop().create_task(bot.close())

        try:
            async with (
                InstanceLock(url, shards=settings.discord.shards(), on_lost=stop),
                bot,
                _portal_beside(runtime),
            ):
                await bot.start(token)
        except AlreadyRunning as exc:
            raise UserError(str(exc)) from None
        if taken_over.is_set():
            raise UserError("stopped: another bot process took over this database")
    return 0


async def cmd_web(args: argparse.Namespace, runtime: Runtime) -> int:
    from core.web.serve import serve_forever

    async with runtime.open_database(args.database_url):
        await serve_forever(runtime.settings, runtime.plugins, host=args.host, port=args.port)
    return 0


async def cmd_commands_sync(args: argparse.Namespace, runtime: Runtime) -> int:
    from core.bot import RedLegionBot

    class Publisher(RedLegionBot):
        async def setup_hook(self) -> None:  # commands only: no background tasks, no gateway
            self.register_commands()

    token = _token(runtime)
    _point_discord_at(runtime)
    await _check_login(runtime, token)
    async with runtime.open_database(args.database_url):
        bot = Publisher(runtime.settings, runtime.plugins)
        async with bot:
            await bot.login(token)
            scopes = await bot.sync_commands(force=True, guild_id=args.guild)
    print(f"slash commands published: {', '.join(scopes) or 'nowhere ([commands] scope = none)'}")
    return 0


async def cmd_db_upgrade(args: argparse.Namespace, runtime: Runtime) -> int:
    async with runtime.database(args.database_url) as db:
        steps = await migrations.pending(db)
        for step in steps:
            print(f"applying {step.app}.{step.name}")
        await migrations.upgrade(db)
        print(f"{len(steps)} migration(s) applied" if steps else "database is up to date")
    return 0


async def cmd_db_makemigrations(args: argparse.Namespace, runtime: Runtime) -> int:
    db = runtime.database(args.database_url)
    if args.app and args.app not in db.config["apps"]:
        raise UserError(f"unknown app {args.app!r}; apps: {', '.join(db.config['apps'])}")
    async with db:
        if args.check:
            writers = [
                w for w in await migrations.detect_changes(db) if args.app in (None, w.app_label)
            ]
            for w in writers:
                print(f"models and migrations differ: {w.app_label} needs {w.name}")
            if not writers:
                print("no changes: models and migrations agree")
            return 1 if writers else 0
        writers = await migrations.makemigrations(db, args.app, args.name)
        for w in writers:
            print(f"created {w.app_label}.{w.name}")
        if not writers:
            print("no changes detected")
    return 0


async def cmd_db_history(args: argparse.Namespace, runtime: Runtime) -> int:
    url = args.database_url or runtime.settings.database_url
    db = runtime.database(url)
    file = sqlite_file(url) if db.backend == "sqlite" else None
    if file is not None and file.parent.is_dir() and not file.exists():
        # read-only: say so, and plan on a throw-away database instead of creating the file
        print(f"no database yet at {mask_url(url)}: nothing applied, every migration pending")
        db = Database("sqlite://:memory:", runtime.plugins.specs())
    async with db:
        applied = set(await migrations.history(db))
        missing = set(await migrations.uninstalled_apps(db))
        left_out = {p.name: p.reason for p in runtime.plugins.problems}
        for app, name in sorted(applied):
            note = ""
            if app in missing:
                note = "  (plugin left out)" if app in left_out else "  (plugin not installed)"
            print(f"[x] {app}.{name}{note}")
        for step in await migrations.pending(db):
            print(f"[ ] {step.app}.{step.name}")
        for app in sorted(missing):
            if app in left_out:
                print(f"{app}: the plugin is installed but left out: {left_out[app]}")
            else:
                print(
                    f"{app}: the plugin is not installed; its tables stay until "
                    f"`redlegion db drop-app {app}`"
                )
    return 0


async def cmd_db_downgrade(args: argparse.Namespace, runtime: Runtime) -> int:
    async with runtime.database(args.database_url) as db:
        try:
            steps = await migrations.downgrade(db, args.app, args.target)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        for step in steps:
            print(f"unapplied {step.app}.{step.name}")
        if not steps:
            print(f"nothing to unapply: {args.app} is at {args.target} already")
    return 0


async def cmd_db_drop_app(args: argparse.Namespace, runtime: Runtime) -> int:
    async with runtime.database(args.database_url) as db:
        try:
            tables = await migrations.app_tables_to_drop(db, args.app)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        if tables:
            question = (
                f"drop {len(tables)} table(s) ({', '.join(tables)}) of the uninstalled plugin "
                f"{args.app!r} and forget its migrations? Their data is gone for good. [y/N] "
            )
        else:
            print(
                f"no tables are recorded for {args.app} (it was uninstalled before this version "
                "recorded each app's tables): whatever tables it made stay; drop them by hand"
            )
            question = f"forget the migrations of {args.app!r}? [y/N] "
        if not args.yes:
            try:
                answer = await asyncio.to_thread(input, question)
            except EOFError:
                answer = ""
            if answer.strip().lower() not in ("y", "yes"):
                print("nothing dropped")
                return 1
        try:
            dropped = await migrations.drop_app(db, args.app)
        except ValueError as exc:
            raise UserError(str(exc)) from None
    print(f"dropped {', '.join(dropped) or 'no tables'}; {args.app}'s migrations forgotten")
    return 0


def _backup_error(exc: Exception) -> UserError:
    return UserError(str(exc))


async def cmd_db_backup(args: argparse.Namespace, runtime: Runtime) -> int:
    from storage import backup

    url = args.database_url or runtime.settings.database_url
    suffix = "sqlite3" if backend_of(url) == "sqlite" else "pgdump"
    stamp = utc().strftime("%Y%m%dT%H%M%SZ")
    out = Path(args.out or f"redlegion-backup-{stamp}.{suffix}")
    try:
        size = await backup.backup(url, out)
    except backup.BackupError as exc:
        raise _backup_error(exc) from None
    print(f"wrote {out} ({size:,} bytes)")
    return 0


async def cmd_db_restore(args: argparse.Namespace, runtime: Runtime) -> int:
    from storage import backup

    url = args.database_url or runtime.settings.database_url
    path = Path(args.file)
    if backend_of(url) == "sqlite" and not backup.sqlite_path(url).parent.is_dir():
        raise UserError(f"folder {backup.sqlite_path(url).parent} does not exist")
    try:
        info = await backup.inspect(path)
        if info.backend != backend_of(url):
            raise UserError(f"{path} is a {info.backend} backup; the target is {backend_of(url)}")
        async with runtime.database(url) as db:
            if not await migrations.is_empty(db):
                raise UserError(
                    "the target database is not empty: restore into a new SQLite file or an "
                    "empty PostgreSQL database (createdb NAME), then point --database-url at it"
                )
            known = {(step.app, step.name) for step in await migrations.pending(db)}
        backup.check_migrations(info.migrations, known)
        await backup.restore(path, url)
    except backup.BackupError as exc:
        raise _backup_error(exc) from None
    async with runtime.database(url) as db:
        behind = await migrations.pending(db)
    print(f"restored {path} ({len(info.migrations)} migrations applied in it)")
    if behind:
        print(
            f"the backup is {len(behind)} migration(s) behind this version: "
            "run `redlegion db upgrade` before starting the bot"
        )
    return 0


async def cmd_export(args: argparse.Namespace, runtime: Runtime) -> int:
    from core.export import export_guild

    async with runtime.open_database(args.database_url):
        written = await export_guild(runtime.plugins, args.guild, Path(args.out))
    print(f"wrote {len(written)} files to {args.out}: {', '.join(p.name for p in written)}")
    return 0


def _check_plugins(runtime: Runtime) -> int:
    """Leave out, as start-up would, plugins whose slash commands fail or clash; 1 when any
    plugin is left out, so a deployment check notices."""
    from core.bot import check_commands

    check_commands(runtime.settings, runtime.plugins)
    return 1 if runtime.plugins.problems else 0


async def cmd_plugins_list(args: argparse.Namespace, runtime: Runtime) -> int:
    from core.enablement import Enablement

    left_out = _check_plugins(runtime)
    enablement = Enablement(runtime.settings, runtime.plugins)
    if args.guild is not None:
        async with runtime.open_database(args.database_url):
            statuses = await enablement.statuses(args.guild)
    else:
        statuses = await enablement.statuses(None)
    for status in statuses:
        plugin = runtime.plugins.plugins[status.name]
        state = "enabled" if status.enabled else "disabled"
        print(
            f"{status.name:<12} {plugin.spec.version:<8} {plugin.source:<28} "
            f"{state} ({status.reason})"
        )
    for problem in runtime.plugins.problems:
        print(f"{problem.name:<12} {'-':<8} {problem.source:<28} left out ({problem.reason})")
    return left_out


async def cmd_config_check(args: argparse.Namespace, runtime: Runtime) -> int:
    left_out = _check_plugins(runtime)
    settings = runtime.settings
    print(f"config: {settings.source}: OK")
    print(f"database: {mask_url(settings.database_url)}")
    print(f"token: {'set' if settings.token else 'not set'}")
    web = settings.web
    print(
        f"web: {'on inside run' if web.enabled else 'off inside run'}, {web.base_url()}, "
        f"client_id {web.client_id or 'not set'}, "
        f"client_secret {'***' if web.client_secret else 'not set'}, "
        f"session_secret {'***' if web.session_secret else 'not set'}"
    )
    print(f"plugins: {', '.join(runtime.plugins.names) or 'none'}")
    for problem in runtime.plugins.problems:
        print(f"error: {problem}")
    for warning in settings.warnings:
        print(f"warning: {warning}")
    return left_out


class _NameTaken(Exception):
    """A plugin's CLI hook asked for a subcommand name that is already taken."""


class _PluginSubparsers:
    """What a plugin's `redlegion_cli` hook gets as `subparsers`: the real action, except that
    `add_parser` refuses a name (or alias) core or an earlier plugin owns, naming the owner.
    argparse would raise too, but without saying whose the name is."""

    def __init__(
        self, real: argparse._SubParsersAction[Any], owners: dict[str, str], plugin: str
    ) -> None:
        self._real = real
        self._owners = owners
        self._plugin = plugin

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        words = (name, *kwargs.get("aliases", ()))
        for word in words:
            if word in self._owners:
                raise _NameTaken(
                    f"CLI subcommand {word!r} is already taken by {self._owners[word]}"
                )
        parser: argparse.ArgumentParser = self._real.add_parser(name, **kwargs)
        for word in words:
            self._owners[word] = f"plugin {self._plugin!r}"
        return parser

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._real, attr)


def _add_plugin_commands(sub: argparse._SubParsersAction[Any], plugins: PluginManager) -> bool:
    """Let each plugin add its subcommands; on the first one that fails or clashes, leave it
    out and return False (the caller builds the parser again without it, so nothing it added
    half-way stays)."""
    owners = {word: "core" for word in sub.choices}
    for plugin, add in plugins.impls("redlegion_cli"):
        try:
            add(subparsers=_PluginSubparsers(sub, owners, plugin))
        except _NameTaken as exc:
            plugins.leave_out(plugin, str(exc))
            return False
        except Exception as exc:
            plugins.leave_out(plugin, f"its redlegion_cli hook failed: {exc!r}")
            return False
    return True


def build_parser(runtime_plugins: PluginManager | None = None) -> argparse.ArgumentParser:
    """The whole `redlegion` command line. A plugin whose subcommands fail or clash is left out
    (`runtime_plugins.problems` says why) and the rest, core's `db upgrade` included, works."""
    while True:
        parser, sub = _core_parser()
        if runtime_plugins is None or _add_plugin_commands(sub, runtime_plugins):
            return parser


def _core_parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction[Any]]:
    parser = argparse.ArgumentParser(
        prog="redlegion", description="Red Legion Bot: Star Citizen org operations on Discord."
    )
    parser.add_argument(
        "--config", help="TOML config file (default: $REDLEGION_CONFIG, ./config.toml)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the bot (needs a Discord token)")
    run.add_argument("--upgrade", action="store_true", help="apply pending migrations first")
    add_database_option(run)
    run.add_argument(
        "--shard-count",
        type=_shard_count,
        help="shards in all, or auto (Discord's advice); default: [discord] shard_count, unsharded",
    )
    run.add_argument(
        "--shard-ids",
        type=_shard_ids,
        help="the shards this process runs, e.g. 0,1 (default: [discord] shard_ids, all)",
    )
    run.set_defaults(func=cmd_run)

    web = sub.add_parser("web", help="serve the web portal (default 127.0.0.1:8080, see [web])")
    web.add_argument("--host", help="address to bind (default: [web] host, 127.0.0.1)")
    web.add_argument(
        "--port",
        type=cli_int(0, 65535, "port"),
        help="port (default: [web] port, 8080; 0 picks a free one)",
    )
    add_database_option(web)
    web.set_defaults(func=cmd_web)

    db = sub.add_parser("db", help="database migrations").add_subparsers(
        dest="db_command", required=True, metavar="ACTION"
    )
    up = db.add_parser("upgrade", help="apply all pending migrations of all loaded plugins")
    up.set_defaults(func=cmd_db_upgrade)
    mk = db.add_parser("makemigrations", help="write migrations for changed models")
    mk.add_argument("app", nargs="?", help="only this app (core or a plugin name)")
    mk.add_argument("--name", help="name suffix for the new migration")
    mk.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when models and migrations differ",
    )
    mk.set_defaults(func=cmd_db_makemigrations)
    hist = db.add_parser("history", help="applied and pending migrations")
    hist.set_defaults(func=cmd_db_history)
    down = db.add_parser("downgrade", help="unapply an app's migrations back to TARGET")
    down.add_argument("app")
    down.add_argument("target", help="migration name to keep, or `zero` to unapply all")
    down.set_defaults(func=cmd_db_downgrade)
    drop = db.add_parser("drop-app", help="drop the tables of a plugin that is no longer installed")
    drop.add_argument("app", help="the uninstalled plugin (see `redlegion db history`)")
    drop.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    drop.set_defaults(func=cmd_db_drop_app)
    bk = db.add_parser(
        "backup", help="copy the whole database to a file, safely while the bot runs"
    )
    bk.add_argument(
        "--out",
        help="file to write (default: ./redlegion-backup-<UTC time>.sqlite3 or .pgdump)",
    )
    bk.set_defaults(func=cmd_db_backup)
    rs = db.add_parser("restore", help="restore a backup into an empty database")
    rs.add_argument("file", help="a file written by `redlegion db backup`")
    rs.set_defaults(func=cmd_db_restore)
    for p in (up, mk, hist, down, drop, bk, rs):
        add_database_option(p)

    export = sub.add_parser(
        "export",
        help="one guild's ledger, payouts, loans, events and participation as CSV and JSON",
    )
    export.add_argument("--guild", type=cli_snowflake, required=True, help="the server (guild) id")
    export.add_argument("--out", default="export", help="folder to write into (default: ./export)")
    add_database_option(export)
    export.set_defaults(func=cmd_export)

    plugins = sub.add_parser("plugins", help="loaded plugins").add_subparsers(
        dest="plugins_command", required=True, metavar="ACTION"
    )
    pl = plugins.add_parser("list", help="each plugin, version, source and whether it is on")
    pl.add_argument("--guild", type=cli_snowflake, help="show enablement in this guild")
    add_database_option(pl)
    pl.set_defaults(func=cmd_plugins_list)

    cmds = sub.add_parser("commands", help="slash commands on Discord").add_subparsers(
        dest="commands_command", required=True, metavar="ACTION"
    )
    cs = cmds.add_parser(
        "sync", help="publish the slash commands now (start-up publishes only when they changed)"
    )
    cs.add_argument(
        "--guild", type=cli_snowflake, help="to this guild only (instant), not as [commands] says"
    )
    add_database_option(cs)
    cs.set_defaults(func=cmd_commands_sync)

    cfg = sub.add_parser("config", help="configuration").add_subparsers(
        dest="config_command", required=True, metavar="ACTION"
    )
    cfg.add_parser("check", help="validate the config and report it").set_defaults(
        func=cmd_config_check
    )

    from core.demo import add_parser as add_demo_parser

    add_demo_parser(sub)
    return parser, sub


def _config_arg(argv: Sequence[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        runtime = Runtime.load(_config_arg(argv))
    except ConfigError as exc:
        if argv[:1] in (["-h"], ["--help"]):
            build_parser().print_help()
            return 0
        print(f"error: {exc}", file=sys.stderr)
        return 2
    configure_logging(runtime.settings.log_level, runtime.secrets())
    parser = build_parser(runtime.plugins)
    args = parser.parse_args(argv)
    url = getattr(args, "database_url", None)
    configure_logging(runtime.settings.log_level, runtime.secrets(url))
    if args.func is not cmd_config_check:  # config check prints them on stdout
        for warning in runtime.settings.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    try:
        result = args.func(args, runtime)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
        if not isinstance(result, int):
            result = 0
    except (StartupError, UserError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
