"""Shared fixtures: a freshly migrated database per test, on SQLite and PostgreSQL both.

The databases, the backends and the stand-in come from the pytest plugin a Red Legion
plugin's own tests use (`redlegion/testing.py`), so this suite tests it too. Here its
databases are migrated for the built-in plugins only, whatever third-party plugin a test has
put on sys.path. Backends: `REDLEGION_TEST_BACKENDS` (default `sqlite,postgres`); PostgreSQL
server: `REDLEGION_TEST_PG` (default `postgres://postgres@127.0.0.1:5432`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import Settings
from core.plugins import PluginManager
from redlegion.testing import BACKENDS, PG_SERVER, Backend
from tests.support import make_settings

pytest_plugins = ["redlegion.testing", "tests.outage", "pytester"]

# the example plugin's own tests run in a pytester of their own (tests/test_testing_plugin.py)
collect_ignore = ["data"]

__all__ = ["BACKENDS", "PG_SERVER", "THIRDPARTY", "Backend", "builtin_plugins"]


def builtin_plugins() -> PluginManager:
    """The built-in plugins only, whatever third-party plugin a test has put on sys.path."""
    return PluginManager(entry_point_group=None)


@pytest.fixture(scope="session")
def redlegion_plugins() -> PluginManager:
    return builtin_plugins()


THIRDPARTY = Path(__file__).parent / "data" / "thirdparty"


@pytest.fixture
def thirdparty_path() -> str:
    """A folder holding an installed-looking third-party plugin (dist-info with entry point)."""
    return str(THIRDPARTY)


@pytest.fixture
def settings() -> Settings:
    return make_settings()
