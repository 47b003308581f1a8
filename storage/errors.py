"""The errors the storage layer raises, and the two families they belong to.

`UserError` (a failure the member can act on, its message shown as is) and `StartupError`
(why the bot or a command cannot start, one line for the operator) are the bases every layer
raises; they live here, in the lowest layer that raises them, so that storage needs nothing
above it. `core.errors` re-exports them with the errors of the layers above.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class MemberRef:
    """A member a message names: the id always, the name when the service has it at hand.

    Services name members with this, never with Discord markup: each face renders it its own
    way (Discord as a mention, `core.mentions.render`; the CLI and the logs as `plain`; a web
    page as the escaped name it looks up), so a service does not know who reads it.
    """

    user_id: int
    name: str | None = None

    def plain(self) -> str:
        return self.name if self.name else f"member {self.user_id}"


class UserError(Exception):
    """A failure the user can act on; its message is shown to them as is.

    The message is given as parts: text, and `MemberRef`s for the members it names
    (`NotFound(MemberRef(uid), " is not a member of this server")`). `message` is the plain
    rendering (names, or `member ID`); a face renders the members its way with `render`.
    """

    def __init__(self, *parts: str | MemberRef) -> None:
        self.parts: tuple[str | MemberRef, ...] = parts
        self.message = self.render(MemberRef.plain)
        super().__init__(self.message)

    @property
    def members(self) -> tuple[int, ...]:
        """The ids of the members the message names, in order, each once."""
        ids = (p.user_id for p in self.parts if isinstance(p, MemberRef))
        return tuple(dict.fromkeys(ids))

    def render(self, member: Callable[[MemberRef], str]) -> str:
        """The message with each member written by `member`."""
        return "".join(p if isinstance(p, str) else member(p) for p in self.parts)

    def prefixed(self, prefix: str) -> UserError:
        """The same error (same type, same members) with `prefix` before its message: where
        in a file or a command the problem is."""
        error = copy.copy(self)
        error.parts = (prefix, *self.parts)
        error.message = error.render(MemberRef.plain)
        error.args = (error.message,)
        return error


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


class DatabaseOutage(UserError):
    """The database stopped answering while the bot runs (refused or dropped connections, a
    SQLite file that cannot be opened or stays locked). Raised by the storage layer for every
    such driver error, so a command says so instead of showing an error id, and the voice
    tracker knows its bookkeeping must be reconciled once the database is back."""

    MESSAGE = "The database is unavailable right now; try again in a moment."

    def __init__(self, message: str = MESSAGE) -> None:
        super().__init__(message)
