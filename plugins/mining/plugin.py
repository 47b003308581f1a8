"""Mining: events, participation from voice, yields, payroll and reports."""

from __future__ import annotations

from core.hookspecs import hookimpl
from core.plugin_spec import PluginSpec


@hookimpl
def redlegion_plugin() -> PluginSpec:
    return PluginSpec(
        name="mining",
        version="0.1.0",
        description="Sunday mining ops from voice channels to payroll and PDF report",
        depends=("economy",),
        models=None,
        migrations="plugins.mining.migrations",
    )
