"""Core's own slash commands: plugin switches and role levels, for a guild's admins."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from core.permissions import Level, requires, role_levels, set_role_level

if TYPE_CHECKING:
    pass

Interaction = discord.Interaction["RedLegionBot"]


async def _plugin_names(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    names = interaction.client.plugins.names
    return [app_commands.Choice(name=n, value=n) for n in names if current.lower() in n][:25]


@requires(Level.ADMIN)
class PluginsGroup(app_commands.Group, name="plugins", description="Turn plugins on and off"):
    @requires(Level.EVERYONE)
    @app_commands.command(name="list", description="Plugins and whether they are on here")
    async def list_(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        statuses = await interaction.client.enablement.statuses(interaction.guild_id)
        lines = [f"{'on ' if s.enabled else 'off'}  {s.name} ({s.reason})" for s in statuses] or [
            "no plugins loaded"
        ]
        await interaction.response.send_message("```\n" + "\n".join(lines) + "\n```")

    async def _choose(self, interaction: Interaction, plugin: str, on: bool) -> None:
        assert interaction.guild_id is not None
        statuses = await interaction.client.enablement.choose(interaction.guild_id, plugin, on)
        state = next(s for s in statuses if s.name == plugin)
        note = "" if state.enabled == on else f" (still off: {state.reason})"
        await interaction.response.send_message(
            f"The {plugin} plugin is now {'on' if on else 'off'} in this server{note}."
        )

    @app_commands.command(name="enable", description="Turn a plugin on in this server")
    @app_commands.autocomplete(plugin=_plugin_names)
    async def enable(self, interaction: Interaction, plugin: str) -> None:
        await self._choose(interaction, plugin, True)

    @app_commands.command(name="disable", description="Turn a plugin off in this server")
    @app_commands.autocomplete(plugin=_plugin_names)
    async def disable(self, interaction: Interaction, plugin: str) -> None:
        await self._choose(interaction, plugin, False)


LEVEL_CHOICES = [
    app_commands.Choice(name=str(level), value=str(level))
    for level in (Level.OFFICER, Level.TREASURER, Level.ADMIN)
]


@requires(Level.ADMIN)
class RolesGroup(app_commands.Group, name="roles", description="Which roles grant which level"):
    @app_commands.command(name="list", description="Roles mapped to levels in this server")
    async def list_(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None
        mapping = await role_levels(interaction.guild_id)
        lines = [f"<@&{role_id}> → {level}" for role_id, level in mapping.items()]
        await interaction.response.send_message(
            "\n".join(lines) or "No roles are mapped; admins are those with Manage Server.",
            ephemeral=True,
        )

    @app_commands.command(name="set", description="Give a role a permission level")
    @app_commands.choices(level=LEVEL_CHOICES)
    async def set_(self, interaction: Interaction, role: discord.Role, level: str) -> None:
        assert interaction.guild_id is not None
        await set_role_level(interaction.guild_id, role.id, Level.parse(level))
        await interaction.response.send_message(f"{role.mention} now grants {level}.")

    @app_commands.command(name="clear", description="Remove a role's permission level")
    async def clear(self, interaction: Interaction, role: discord.Role) -> None:
        assert interaction.guild_id is not None
        await set_role_level(interaction.guild_id, role.id, None)
        await interaction.response.send_message(f"{role.mention} grants no level any more.")


def core_commands() -> list[app_commands.Group]:
    return [PluginsGroup(), RolesGroup()]
