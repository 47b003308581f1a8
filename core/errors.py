"""The errors a member sees. Services raise these; core turns them into replies.

The bases (`UserError`, `MemberRef`, `StartupError`, `ConfigError`) and the database's errors
are defined in `storage.errors`, the lowest layer that raises them; they are imported from here.
"""

from __future__ import annotations

from storage.errors import (
    ConfigError,
    DatabaseOutage,
    DatabaseUnavailable,
    MemberRef,
    StartupError,
    UnsupportedDatabase,
    UserError,
)

__all__ = [
    "BadToken",
    "ConfigError",
    "DatabaseOutage",
    "DatabaseUnavailable",
    "DiscordUnavailable",
    "DiscordUnreachable",
    "InvalidInput",
    "InvalidState",
    "MemberRef",
    "NotFound",
    "PermissionDenied",
    "PluginDisabled",
    "StartupError",
    "UnsupportedDatabase",
    "UserError",
]


class NotFound(UserError):
    """An id that does not exist in this guild (another guild's id included)."""


class InvalidInput(UserError):
    """A value that is out of range, malformed or otherwise unusable."""


class InvalidState(UserError):
    """The action does not fit the current state (e.g. stopping an event that is not active)."""


class PermissionDenied(UserError):
    """The caller's level is below what the command needs."""


class PluginDisabled(UserError):
    """The command belongs to a plugin that is off in this guild."""


class DiscordUnavailable(UserError):
    """Discord could not answer what an action needs from it (the portal asking for a
    server's channels): nothing was changed, try again."""


class BadToken(StartupError):
    """Discord refused the bot token (401): retrying cannot help."""


class DiscordUnreachable(StartupError):
    """Discord could not be reached (DNS, refused or dropped connection, 5xx) within the
    configured login attempts."""
