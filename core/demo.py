"""`redlegion demo`: the real bot against the local Discord stand-in, no token needed.

Core sets the scene (a guild with roles, a crew of members, a throw-away database) and each
enabled plugin plays its part through the `redlegion_demo` hook, in dependency order, driving
members with slash commands and voice moves. What the bot answered is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import socket
import tempfile
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from core.clock import SystemClock, VirtualClock
from core.config import Settings
from core.inputs import cli_int
from core.redaction import mask_url

if TYPE_CHECKING:
    from core.bot import RedLegionBot
    from core.runtime import Runtime
    from fakediscord import FakeDiscord, Guild, Member, Reply, Role

MENTION = re.compile(r"<(@&|@!?|#)(\d+)>")
TIMESTAMP = re.compile(r"<t:(\d+)(?::([tTdDfFR]))?>")

# the op is played this many days back at least, so its loans (two weeks on) end in the past and
# the CLI's default report period (the last 30 days) holds the whole demo
DAYS_BACK = 20

CREW = [
    "Ace", "Bishop", "Cricket", "Dagger", "Echo", "Flint", "Ghost",
    "Hawk", "Iris", "Jinx", "Kestrel", "Lynx",
]  # fmt: skip


@dataclass
class DemoContext:
    """What a plugin's demo scene gets: the world, the cast, the bot, and a way to narrate."""

    world: FakeDiscord
    guild: Guild
    admin: Member
    officer: Member
    treasurer: Member
    crew: list[Member]
    roles: dict[str, Role]
    out_dir: Path
    database_url: str = ""
    lines: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    _last_steps: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    _runtime: Runtime | None = None
    _stack: contextlib.AsyncExitStack | None = None
    bot: RedLegionBot | None = None

    def say(self, text: str = "") -> None:
        text = self.readable(text)
        self.lines.append(text)
        print(text, flush=True)

    def readable(self, text: str) -> str:
        """Show Discord's mention and timestamp markup as a member's client would."""

        def mention(match: re.Match[str]) -> str:
            kind, ident = match.group(1), int(match.group(2))
            if kind == "#":
                channel = self.world.find_channel(ident)
                return f"#{channel.name}" if channel else match.group(0)
            if kind == "@&":
                role = self.guild.roles.get(ident)
                return f"@{role.name}" if role else match.group(0)
            member = self.guild.members.get(ident)
            return f"@{member.display_name}" if member else match.group(0)

        text = MENTION.sub(mention, text)

        def timestamp(match: re.Match[str]) -> str:
            at = datetime.fromtimestamp(int(match.group(1)), UTC)
            if match.group(2) in ("d", "D"):
                return f"{at:%Y-%m-%d}"
            return f"{at:%Y-%m-%d %H:%M} UTC"

        return TIMESTAMP.sub(timestamp, text)

    async def slash(self, member: Member, command: str, /, **options: Any) -> Reply:
        """Run a slash command as `member` and narrate it with the bot's answer."""
        shown = " ".join(f"{k}:{getattr(v, 'name', v)}" for k, v in options.items())
        reply = await member.slash(command, **options)
        self.say(f"{member.name} > /{command} {shown}".rstrip())
        self._narrate(reply)
        return reply

    async def press(self, member: Member, reply: Reply, custom_id: str, label: str) -> Reply:
        """Press the button `custom_id` (shown as `label`) on a reply, as `member`, and narrate
        what the bot answered (e.g. Confirm on a confirmation step)."""
        pressed = await member.click(reply, custom_id)
        self.say(f"{member.name} presses [{label}]")
        self._narrate(pressed)
        return pressed

    def _narrate(self, reply: Reply) -> None:
        for line in (reply.text or "(no text)").splitlines():
            self.say(f"    {line}")
        for file in reply.files:
            path = self.out_dir / file.name
            path.write_bytes(file.data)
            self.files.append(path)
            self.say(f"    [attachment {file.name} saved to {path}]")

    def at_the_end(self, step: Callable[[], Awaitable[object]]) -> None:
        """Run `step` after every plugin's scene (a report that should show all of them)."""
        self._last_steps.append(step)

    def summary(self, *, kept: bool) -> None:
        """Where the files are and how to carry on from the shell with the demo's data."""
        self.say("")
        self.say("== the demo is over ==")
        for path in self.files:
            self.say(f"  wrote {path}")
        self.say(f"  guild id (for the CLI's --guild): {self.guild.id}")
        if kept:
            url = self.database_url
            self.say(f"  the data is kept in {url}; for example:")
            self.say(f"    redlegion report finances --guild {self.guild.id} --database-url {url}")
            self.say(f"    redlegion export --guild {self.guild.id} --database-url {url}")
        else:
            self.say("  the database was thrown away; to keep it and look at it from the CLI:")
            self.say("    redlegion demo --database-url sqlite://demo.sqlite3")
            self.say(
                "    redlegion report finances --guild <id> --database-url sqlite://demo.sqlite3"
            )

    async def start_bot(self) -> RedLegionBot:
        assert self._runtime is not None and self._stack is not None
        from core.standin import running_bot  # discord.py is loaded when the demo plays only

        self.bot = await self._stack.enter_async_context(
            running_bot(self.world, self._runtime.settings, self._runtime.plugins)
        )
        return self.bot

    async def stop_bot(self) -> None:
        """Take the bot down (members can change voice meanwhile); `start_bot` brings it back."""
        assert self._stack is not None
        await self._stack.aclose()
        self._stack = contextlib.AsyncExitStack()
        self.bot = None

    async def restart_bot(self) -> RedLegionBot:
        """Stop the bot and start a fresh one on the same database, as after a crash."""
        await self.stop_bot()
        self.say("*** the bot restarts ***")
        return await self.start_bot()


def demo_start(today: date) -> datetime:
    """Sunday 18:00 UTC, at least `DAYS_BACK` days before `today`."""
    day = today - timedelta(days=DAYS_BACK)
    day -= timedelta(days=(day.weekday() - 6) % 7)
    return datetime.combine(day, time(18, 0), tzinfo=UTC)


def build_world(
    start: datetime | None = None,
) -> tuple[FakeDiscord, Guild, dict[str, Role], dict[str, Member]]:
    # discord.py here, not at the top: every `redlegion` command imports this module for its
    # parser, and the commands that need no Discord should not pay for importing it
    import discord

    from fakediscord import FakeDiscord

    start = start or demo_start(SystemClock().now().date())
    # ids stamped with real time: a second run on the same database is a guild of its own
    world = FakeDiscord(clock=VirtualClock(start), id_clock=SystemClock())
    guild = world.guild("Red Legion")
    roles = {
        "org": guild.role("Red Legion Member"),
        "officer": guild.role("Officer"),
        "treasurer": guild.role("Treasurer"),
        "admin": guild.role("Leadership", permissions=discord.Permissions(manage_guild=True)),
    }
    people = {
        "admin": guild.member("Commander", roles=[roles["org"], roles["admin"]]),
        "officer": guild.member("Foreman", roles=[roles["org"], roles["officer"]]),
        "treasurer": guild.member("Banker", roles=[roles["org"], roles["treasurer"]]),
    }
    for name in CREW:
        people[name] = guild.member(name, roles=[roles["org"]])
    guild.text("ops")
    return world, guild, roles, people


def demo_settings(base: Settings, guild: Guild, roles: dict[str, Role], url: str) -> Settings:
    data = base.model_dump(exclude={"source"})
    data["token"] = None
    data["database_url"] = url
    data["commands"] = {"scope": "global"}
    data["guilds"] = {
        guild.id: {
            "org_role": roles["org"].id,
            "roles": {"officer": [roles["officer"].id], "treasurer": [roles["treasurer"].id]},
        }
    }
    data.update(base.model_extra or {})
    settings = Settings.model_validate(data)
    settings.source = "demo"
    return settings


def portal_settings(settings: Settings, world: FakeDiscord, port: int) -> Settings:
    """`[web]` pointed at the stand-in's OAuth2 side, on loopback."""
    web = settings.web.model_copy(
        update={
            "host": "127.0.0.1",
            "port": port,
            "public_url": f"http://127.0.0.1:{port}",
            "client_id": world.application_id,
            "client_secret": SecretStr(world.oauth.client_secret),
            "oauth_base": world.base_url,
            "api_base": world.api_base,
        }
    )
    return settings.model_copy(update={"web": web})


async def serve_portal(
    demo: DemoContext,
    runtime: Runtime,
    port: int,
    while_serving: Callable[[str], Awaitable[object]] | None,
) -> None:
    """`demo --serve`: the stand-in, the bot and the portal stay up; sign in as anyone."""
    from core.web.serve import serving

    if port == 0:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
    settings = portal_settings(runtime.settings, demo.world, port)
    async with serving(settings, runtime.plugins) as url:
        demo.say("")
        demo.say(f"== the portal is at {url}/ ==")
        demo.say("  Sign in with Discord, then pick any member of the demo on the stand-in's")
        demo.say("  page (Commander is an admin, Foreman an officer, Banker the treasurer).")
        demo.say("  Ctrl+C stops the portal, the bot and the stand-in.")
        if while_serving is not None:
            await while_serving(url)
        else:
            await asyncio.Event().wait()


async def play(
    runtime: Runtime,
    *,
    database_url: str | None,
    out_dir: Path,
    serve_port: int | None = None,
    while_serving: Callable[[str], Awaitable[object]] | None = None,
) -> list[str]:
    """Play every plugin's scene; with `serve_port`, then serve the portal on the result
    (until `while_serving(url)` returns, else until interrupted)."""
    from core.runtime import Runtime

    logging.getLogger("discord").setLevel(logging.ERROR)  # the narration is the output
    world, guild, roles, people = build_world()
    with tempfile.TemporaryDirectory(prefix="redlegion-demo-") as tmp:
        url = database_url or f"sqlite://{Path(tmp) / 'demo.sqlite3'}"
        settings = demo_settings(runtime.settings, guild, roles, url)
        demo_runtime = Runtime(settings, runtime.plugins)
        settings.bind_plugins({s.name: s.settings for s in runtime.plugins.specs()})
        crew = [people[name] for name in CREW]
        demo = DemoContext(
            world=world,
            guild=guild,
            admin=people["admin"],
            officer=people["officer"],
            treasurer=people["treasurer"],
            crew=crew,
            roles=roles,
            out_dir=out_dir,
            database_url=url,
            _runtime=demo_runtime,
            _stack=contextlib.AsyncExitStack(),
        )
        async with demo_runtime.open_database(url, upgrade=True), world.serve():
            try:
                await demo.start_bot()
                shown = mask_url(url)
                demo.say(f"== Red Legion Bot demo: {guild.name}, {len(crew)} crew, {shown} ==")
                await demo.slash(demo.admin, "plugins list")
                for _, scene in runtime.plugins.impls("redlegion_demo"):
                    await scene(demo=demo)
                for step in demo._last_steps:
                    await step()
                demo.summary(kept=database_url is not None)
                if serve_port is not None:
                    await serve_portal(demo, demo_runtime, serve_port, while_serving)
            finally:
                assert demo._stack is not None
                await demo._stack.aclose()
    return demo.lines


def cmd_demo(args: argparse.Namespace, runtime: Runtime) -> Coroutine[Any, Any, list[str]]:
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    port = args.port if args.serve else None
    return play(runtime, database_url=args.database_url, out_dir=out_dir, serve_port=port)


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    demo = sub.add_parser(
        "demo", help="play a Sunday op against a local Discord stand-in (no token needed)"
    )
    demo.add_argument("--database-url", help="database to use (default: a throw-away SQLite file)")
    demo.add_argument(
        "--out", default="demo-output", help="folder for reports (default: %(default)s)"
    )
    demo.add_argument(
        "--serve",
        action="store_true",
        help="afterwards keep the stand-in and the bot running and serve the web portal on them",
    )
    demo.add_argument(
        "--port",
        type=cli_int(0, 65535, "port"),
        default=8080,
        help="the portal's port with --serve (default 8080)",
    )
    demo.set_defaults(func=cmd_demo)
