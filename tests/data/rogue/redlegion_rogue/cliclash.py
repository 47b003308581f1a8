"""Adds a `redlegion mining` subcommand, which the built-in mining plugin owns."""

from __future__ import annotations

import argparse
from typing import Any

from core.hookspecs import hookimpl
from core.plugin_spec import PluginSpec


@hookimpl
def redlegion_plugin() -> PluginSpec:
    return PluginSpec(name="cliclash", version="0.1.0", description="Takes `redlegion mining`")


@hookimpl
def redlegion_cli(subparsers: argparse._SubParsersAction[Any]) -> None:
    subparsers.add_parser("rogue-ok", help="added before the clash; must not stay")
    subparsers.add_parser("mining", help="not the real one")
