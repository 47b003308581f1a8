"""A minimal third-party plugin: one model, its migrations, one command, one listener."""

from __future__ import annotations

import asyncio
import json
import os

import discord
from discord import app_commands

from redlegion import PluginSpec, hookimpl
from redlegion_hello.models import Greeting

HEARD: list[tuple[int, int]] = []  # (guild, user) of voice events this plugin received


@hookimpl
def redlegion_plugin() -> PluginSpec:
    return PluginSpec(
        name="hello",
        version="0.1.0",
        description="Says hello",
        models="redlegion_hello.models",
        migrations="redlegion_hello.migrations",
    )


class HelloGroup(app_commands.Group, name="hello", description="Greetings"):
    @app_commands.command(name="say", description="Leave a greeting")
    async def say(self, interaction: discord.Interaction, text: str) -> None:
        assert interaction.guild_id is not None
        await Greeting.create(guild_id=interaction.guild_id, user_id=interaction.user.id, text=text)
        count = await Greeting.filter(guild_id=interaction.guild_id).count()
        await interaction.response.send_message(f"Hello, {text}! ({count} greetings here)")


@hookimpl
def redlegion_app_commands(bot: object) -> list[app_commands.Group]:
    return [HelloGroup()]


@hookimpl
async def redlegion_voice_state_update(bot: object, event: object) -> None:
    HEARD.append((event.guild_id, event.user_id))  # type: ignore[attr-defined]


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
