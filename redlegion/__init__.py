"""The public API for plugin authors: one import instead of reaching into core's modules.

A plugin written as a separate package needs only this::

    from redlegion import Level, PluginContext, PluginSpec, UserError, hookimpl, requires

Each name is core's own object (not a copy), so a plugin and the bot agree on it; what is not
listed here is internal and may change without notice.
"""

from __future__ import annotations

from core.context import PluginContext
from core.errors import (
    InvalidInput,
    InvalidState,
    MemberRef,
    NotFound,
    PermissionDenied,
    UserError,
)
from core.hookspecs import hookimpl
from core.models import Guild, GuildMembership, User
from core.money import CENT, cents, fmt, split, to_amount
from core.permissions import Level, requires
from core.plugin_spec import PluginSpec
from core.runtime import Runtime, add_database_option

__all__ = [
    "CENT",
    "Guild",
    "GuildMembership",
    "InvalidInput",
    "InvalidState",
    "Level",
    "MemberRef",
    "NotFound",
    "PermissionDenied",
    "PluginContext",
    "PluginSpec",
    "Runtime",
    "User",
    "UserError",
    "add_database_option",
    "cents",
    "fmt",
    "hookimpl",
    "requires",
    "split",
    "to_amount",
]
