"""The errors a member sees. Services raise these; core turns them into replies."""

from __future__ import annotations


class UserError(Exception):
    """A failure the user can act on; its message is shown to them as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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


class StartupError(Exception):
    """Why a command or the bot cannot start, as one line for the operator (no traceback);
    the CLI prints it and exits non-zero."""


class ConfigError(StartupError):
    """The configuration file or environment is unusable; raised at start, never at run time."""


class UnsupportedDatabase(ConfigError, ValueError):
    """A database URL of a kind we do not run on (`mysql://…`). Also a ValueError, so a
    pydantic validator turns it into a config error naming the key."""


class DatabaseUnavailable(StartupError):
    """The database cannot be reached or opened: server down, wrong password, no such
    database, a SQLite file in a folder that does not exist."""


class BadToken(StartupError):
    """Discord refused the bot token (401): retrying cannot help."""


class DiscordUnreachable(StartupError):
    """Discord could not be reached (DNS, refused or dropped connection, 5xx) within the
    configured login attempts."""


class DatabaseOutage(UserError):
    """The database stopped answering while the bot runs (refused or dropped connections, a
    SQLite file that cannot be opened or stays locked). Raised by the storage layer for every
    such driver error, so a command says so instead of showing an error id, and the voice
    tracker knows its bookkeeping must be reconciled once the database is back."""

    MESSAGE = "The database is unavailable right now; try again in a moment."

    def __init__(self, message: str = MESSAGE) -> None:
        super().__init__(message)
