"""Loans: member loans with interest, repayments and defaults, posted to the ledger."""

from __future__ import annotations

from core.hookspecs import hookimpl
from core.plugin_spec import PluginSpec
from plugins.loans.settings import LoansSettings


@hookimpl
def redlegion_plugin() -> PluginSpec:
    return PluginSpec(
        name="loans",
        version="0.1.0",
        description="Member loans with interest, repayments and defaults",
        depends=("economy",),
        models="plugins.loans.models",
        migrations="plugins.loans.migrations",
        settings=LoansSettings,
    )
