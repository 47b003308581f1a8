"""Helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

from typing import Any

from core.config import Settings
from core.plugins import PluginManager
from redlegion.testing import settings_for

# For a config file of a bot a test starts as a process: no UEX price sync (it would try the
# real UEX, which a test must never reach).
NO_UEX_SYNC = "[economy]\nuex_sync_minutes = 0\n"


def make_settings(
    data: dict[str, Any] | None = None, plugins: PluginManager | None = None
) -> Settings:
    """Settings as a config file would give them, bound to the built-in plugins (or `plugins`);
    the UEX price sync is off unless `data` turns it on (`redlegion.testing.settings_for`)."""
    return settings_for(data, plugins)
