"""Loans: member loans with interest, repayments and defaults, posted to the ledger."""

from __future__ import annotations

from core.hookspecs import hookimpl
from core.plugin_spec import PluginSpec


@hookimpl
def redlegion_plugin() -> PluginSpec:
    return PluginSpec(
        name="loans",
        version="0.1.0",
        description="Member loans with interest, repayments and defaults",
        depends=("economy",),
        models=None,
        migrations="plugins.loans.migrations",
    )
