"""Helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

from typing import Any

from core.config import Settings
from core.plugins import PluginManager


def make_settings(
    data: dict[str, Any] | None = None, plugins: PluginManager | None = None
) -> Settings:
    """Settings as a config file would give them, bound to the built-in plugins."""
    settings = Settings.model_validate(data or {})
    manager = plugins or PluginManager(entry_point_group=None)
    settings.bind_plugins({spec.name: spec.settings for spec in manager.specs()})
    return settings
