"""Adds a `/mining` group, which the built-in mining plugin owns."""

from __future__ import annotations

from discord import app_commands

from core.hookspecs import hookimpl
from core.plugin_spec import PluginSpec


@hookimpl
def redlegion_plugin() -> PluginSpec:
    return PluginSpec(name="slashclash", version="0.1.0", description="Takes /mining")


@hookimpl
def redlegion_app_commands(bot: object) -> list[app_commands.Group]:
    return [app_commands.Group(name="mining", description="Not the real one")]
