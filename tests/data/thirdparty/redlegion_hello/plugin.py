"""A minimal third-party plugin: one model, its migrations, a setting, one command, one
listener and background work started through its `PluginContext`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from typing import Any

import discord
from discord import app_commands
from pydantic import BaseModel

from redlegion import PluginContext, PluginSpec, Runtime, add_database_option, hookimpl
from redlegion_hello.models import Greeting

HEARD: list[tuple[int, int]] = []  # (guild, user) of voice events this plugin received
GREETED: list[str] = []  # the guild's greeting, as each voice event's context gave it
WAVES: list[str] = []  # what the background task did: "ready", then "stopped" on close


class HelloSettings(BaseModel):
    """`[hello]` in the config, and `[guilds."ID".hello]` per guild."""

    greeting: str = "Hello"


@hookimpl
def redlegion_plugin() -> PluginSpec:
    return PluginSpec(
        name="hello",
        version="0.1.0",
        description="Says hello",
        models="redlegion_hello.models",
        migrations="redlegion_hello.migrations",
        settings=HelloSettings,
    )


class HelloGroup(app_commands.Group, name="hello", description="Greetings"):
    @app_commands.command(name="say", description="Leave a greeting")
    async def say(self, interaction: discord.Interaction, text: str) -> None:
        assert interaction.guild_id is not None
        await Greeting.create(guild_id=interaction.guild_id, user_id=interaction.user.id, text=text)
        count = await Greeting.filter(guild_id=interaction.guild_id).count()
        ctx: PluginContext[HelloSettings] = interaction.client.context("hello")  # type: ignore[attr-defined]
        greeting = ctx.settings(interaction.guild_id).greeting
        await interaction.response.send_message(f"{greeting}, {text}! ({count} greetings here)")


@hookimpl
def redlegion_app_commands(bot: object) -> list[app_commands.Group]:
    return [HelloGroup()]


@hookimpl
def redlegion_cli(subparsers: argparse._SubParsersAction[Any]) -> None:
    """`redlegion hello count [--guild ID]`: the greetings left, from the shell."""
    count = subparsers.add_parser("hello", help="greetings: count them")
    count.add_argument("--guild", type=int, help="only this server (guild) id")
    add_database_option(count)
    count.set_defaults(func=_count)


async def _count(args: argparse.Namespace, runtime: Runtime) -> int:
    async with runtime.open_database(args.database_url):
        query = Greeting.all() if args.guild is None else Greeting.filter(guild_id=args.guild)
        print(f"{await query.count()} greeting(s)")
    return 0


@hookimpl
async def redlegion_setup(ctx: PluginContext[HelloSettings]) -> None:
    ctx.spawn(_wave(ctx), name="hello-wave")


async def _wave(ctx: PluginContext[HelloSettings]) -> None:
    """Background work: waits for ready, then until the bot closes (which cancels it)."""
    await ctx.ready()
    WAVES.append("ready")
    try:
        await asyncio.Event().wait()
    finally:
        WAVES.append("stopped")


@hookimpl
async def redlegion_voice_state_update(ctx: PluginContext[HelloSettings], event: object) -> None:
    guild_id = event.guild_id  # type: ignore[attr-defined]
    HEARD.append((guild_id, event.user_id))  # type: ignore[attr-defined]
    GREETED.append(ctx.settings(guild_id).greeting)


@hookimpl
async def redlegion_guild_available(bot: object, guild: object) -> None:
    """Record what reconciliation saw, for the kill-and-restart test (a file, across processes)."""
    path = os.environ.get("HELLO_SNAPSHOT_FILE")
    if path:
        in_voice = {str(m.user_id): m.channel_id for m in guild.in_voice}  # type: ignore[attr-defined]
        line = json.dumps({"guild": guild.guild_id, "in_voice": in_voice})  # type: ignore[attr-defined]
        await asyncio.to_thread(_append, path, line)


def _append(path: str, line: str) -> None:
    with open(path, "a", encoding="utf-8") as out:
        out.write(line + "\n")
