"""A minimal third-party plugin: one model, its migrations, one command, one listener."""

from __future__ import annotations

import discord
from discord import app_commands

from core.hookspecs import hookimpl
from core.plugin_spec import PluginSpec
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
