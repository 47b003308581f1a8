"""Helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

from typing import Any

from core.config import Settings
from core.plugins import PluginManager

# For a config file of a bot a test starts as a process: no UEX price sync (it would try the
# real UEX, which a test must never reach).
NO_UEX_SYNC = "[economy]\nuex_sync_minutes = 0\n"


def make_settings(
    data: dict[str, Any] | None = None, plugins: PluginManager | None = None
) -> Settings:
    """Settings as a config file would give them, bound to the built-in plugins.

    The UEX price sync is off unless `data` turns it on: a test bot never reaches the real UEX.
    """
    data = dict(data or {})
    manager = plugins or PluginManager(entry_point_group=None)
    if "economy" in {spec.name for spec in manager.specs()}:
        data["economy"] = {"uex_sync_minutes": 0, **(data.get("economy") or {})}
    settings = Settings.model_validate(data)
    settings.bind_plugins({spec.name: spec.settings for spec in manager.specs()})
    return settings
