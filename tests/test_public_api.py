"""The public package `redlegion` is core's own objects under one import, for plugin authors."""

from __future__ import annotations

import core.errors
import core.hookspecs
import core.models
import core.money
import core.permissions
import core.plugin_spec
import core.runtime
import redlegion
from core.context import PluginContext


def test_the_public_names_are_cores_own_objects() -> None:
    assert redlegion.hookimpl is core.hookspecs.hookimpl
    assert redlegion.PluginSpec is core.plugin_spec.PluginSpec
    assert redlegion.Level is core.permissions.Level
    assert redlegion.requires is core.permissions.requires
    assert redlegion.UserError is core.errors.UserError
    assert redlegion.NotFound is core.errors.NotFound
    assert redlegion.MemberRef is core.errors.MemberRef
    assert redlegion.Guild is core.models.Guild
    assert redlegion.User is core.models.User
    assert redlegion.to_amount is core.money.to_amount
    assert redlegion.split is core.money.split
    assert redlegion.PluginContext is PluginContext
    assert redlegion.Runtime is core.runtime.Runtime
    assert redlegion.add_database_option is core.runtime.add_database_option


def test_every_exported_name_exists() -> None:
    for name in redlegion.__all__:
        assert hasattr(redlegion, name), name


def test_the_readme_shows_every_hook_with_its_arguments() -> None:
    """The plugin guide's list of hooks is the hookspecs' own: a hook added, renamed or given
    another argument fails here until the README says so."""
    import inspect
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    shown = dict(re.findall(r"^(?:async )?(redlegion_\w+)\(([^)]*)\)", readme, re.MULTILINE))
    specs = {
        name: ", ".join(inspect.signature(fn).parameters)
        for name, fn in inspect.getmembers(core.hookspecs, inspect.isfunction)
        if name.startswith("redlegion_")
    }
    assert shown == specs
