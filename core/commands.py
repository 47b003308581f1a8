"""Core's own slash commands: plugin switches and role levels, for a guild's admins."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from core.permissions import Level, declared_level, requires, role_levels, set_role_level
from storage.database import reachable

if TYPE_CHECKING:
    from core.bot import RedLegionBot

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


FIELD_LIMIT = 1024  # Discord's limit on one embed field's value


def _usable(bot: RedLegionBot, level: Level, enabled: set[str]) -> dict[str, list[str]]:
    """Subcommand names the caller may use, under each top-level command, from the tree itself."""
    usable: dict[str, list[str]] = {}
    for command in bot.tree.walk_commands(type=discord.AppCommandType.chat_input):
        if isinstance(command, app_commands.Group):
            continue
        root = command.root_parent or command
        plugin = root.extras.get("plugin")
        if plugin is not None and plugin not in enabled:
            continue
        if (declared_level(command) or Level.EVERYONE) > level:
            continue
        sub = command.qualified_name.removeprefix(root.name).strip()
        usable.setdefault(root.name, []).append(sub)
    return usable


def _field_values(names: list[str]) -> list[str]:
    values, current = [], ""
    for name in names:
        item = f"`{name}`" if name else "(the command itself)"
        if current and len(current) + 3 + len(item) > FIELD_LIMIT:
            values.append(current)
            current = ""
        current = f"{current} · {item}" if current else item
    return [*values, current]


async def _health(bot: RedLegionBot) -> str:
    latency = bot.latency
    gateway = (
        f"gateway {latency * 1000:.0f} ms" if math.isfinite(latency) else "gateway not connected"
    )
    database = "database reachable" if await reachable() else "database UNREACHABLE"
    return f"{gateway} · {database}"


async def _help(interaction: Interaction) -> None:
    bot = interaction.client
    member = interaction.user
    assert interaction.guild_id is not None and isinstance(member, discord.Member)
    level = await bot.level_of(member)
    enabled = set(await bot.enablement.enabled(interaction.guild_id))
    embed = discord.Embed(
        title="What you can do here",
        description=f"Your level in this server: **{level}**. Type `/` and a name to start.",
    )
    for root, names in _usable(bot, level, enabled).items():
        described = bot.tree.get_command(root)
        label = f"/{root}" + (f" — {described.description}" if described else "")
        for i, value in enumerate(_field_values(names)):
            embed.add_field(name=label if i == 0 else f"/{root} (more)", value=value, inline=False)
    embed.set_footer(text=await _health(bot))
    await interaction.response.send_message(embed=embed, ephemeral=True)


def core_commands() -> list[app_commands.Group | app_commands.Command[Any, ..., Any]]:
    help_: app_commands.Command[Any, ..., Any] = app_commands.Command(
        name="help", description="The commands you can use in this server", callback=_help
    )
    return [PluginsGroup(), RolesGroup(), help_]
