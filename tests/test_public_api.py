"""The public package `redlegion` is core's own objects under one import, for plugin authors."""

from __future__ import annotations

import core.errors
import core.hookspecs
import core.models
import core.money
import core.permissions
import core.plugin_spec
import redlegion


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


def test_every_exported_name_exists() -> None:
    for name in redlegion.__all__:
        assert hasattr(redlegion, name), name
