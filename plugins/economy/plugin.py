"""Economy: materials and prices, trades, the org's double-entry ledger, financial reports."""

from __future__ import annotations

from core.hookspecs import hookimpl
from core.plugin_spec import PluginSpec


@hookimpl
def redlegion_plugin() -> PluginSpec:
    return PluginSpec(
        name="economy",
        version="0.1.0",
        description="Materials and market prices, trades, ledger and financial reports",
        models="plugins.economy.models",
        migrations="plugins.economy.migrations",
    )
