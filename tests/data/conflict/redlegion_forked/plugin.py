"""Declares the forked app; nothing else."""

from __future__ import annotations

from core.hookspecs import hookimpl
from core.plugin_spec import PluginSpec


@hookimpl
def redlegion_plugin() -> PluginSpec:
    return PluginSpec(
        name="forked",
        version="0.1.0",
        models="redlegion_forked.models",
        migrations="redlegion_forked.migrations",
    )
