"""One Tortoise app per loaded plugin plus `core`, on SQLite (embedded) or PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

from asyncpg import Connection
from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.base.executor import EXECUTOR_CACHE

from storage.errors import DatabaseOutage, DatabaseUnavailable, UnsupportedDatabase

SUPPORTED_SCHEMES = ("sqlite", "postgres", "postgresql", "asyncpg")
CORE_APP = {"models": ["core.models", "storage.models"], "migrations": "core.migrations"}

MASK = "***"

# scheme://user:password@host… — up to the last '@' before any '/', so a password holding a
# raw '@' is masked whole (a '/' in a password must be percent-encoded in a URL anyway)
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s'\"]*):[^\s'\"/]*@")
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&](?:password|passwd|pass)=)[^&\s'\"]*", re.IGNORECASE)


def mask_url(url: str) -> str:
    """`url` with its password (in the user part or a `password=` parameter) replaced by ***,
    for printing: `postgres://bot:***@db:5432/redlegion`."""
    masked = _URL_PASSWORD.sub(lambda m: f"{m['head']}:{MASK}@", url)
    return _QUERY_PASSWORD.sub(lambda m: m["head"] + MASK, masked)


class AppSpec(Protocol):
    """What the storage layer needs of a plugin to make it a Tortoise app: its name, its models
    module and its migrations package (core's `PluginSpec` is one). A protocol, so storage
    depends on no plugin machinery above it."""

    @property
    def name(self) -> str: ...

    @property
    def models(self) -> str | None: ...

    @property
    def migrations(self) -> str | None: ...


def backend_of(url: str) -> str:
    """`sqlite` or `postgres`; anything else (`mysql://…`) is refused, its password masked."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in SUPPORTED_SCHEMES:
        raise UnsupportedDatabase(
            f"unsupported database URL {mask_url(url)!r}: use sqlite://PATH or "
            "postgres://USER@HOST/DB"
        )
    return "sqlite" if scheme == "sqlite" else "postgres"


def sqlite_file(url: str) -> Path:
    """The file behind a `sqlite://PATH` URL (`sqlite:///abs/path` is absolute)."""
    return Path(url.split("://", 1)[1].split("?", 1)[0])


async def keep_session(connection: Connection) -> None:
    """asyncpg pool reset that sends nothing: the bot leaves no session state behind.

    By default asyncpg resets each connection it takes back (advisory locks, cursors, LISTEN,
    `SET`s) with one more round trip: a second round trip for every query sent outside a
    transaction. Nothing here takes session locks, listens, holds cursors or changes session
    settings; asyncpg still rolls back a transaction left open before calling this.
    """


ENGINES = {"sqlite": "storage.engines.sqlite", "postgres": "storage.engines.postgres"}


def connection_config(url: str) -> dict[str, Any]:
    """Tortoise's connection settings for `url`: our clients (`storage.engines`: an outage is
    one `DatabaseOutage`), PostgreSQL's pool without the reset query."""
    backend = backend_of(url)
    config = expand_db_url(url)
    config["engine"] = ENGINES[backend]
    if backend == "postgres":
        config["credentials"]["reset"] = keep_session
    return config


def tortoise_config(url: str, plugins: Iterable[AppSpec]) -> dict[str, Any]:
    apps: dict[str, dict[str, Any]] = {"core": dict(CORE_APP)}
    for spec in plugins:
        if spec.models:  # a plugin without tables is no Tortoise app
            apps[spec.name] = {"models": [spec.models], "migrations": spec.migrations}
    return {
        "connections": {"default": connection_config(url)},
        "apps": apps,
        "use_tz": True,
        "timezone": "UTC",
    }


class Database:
    """An open Tortoise context for the bot's lifetime (or a test's).

    It is registered as Tortoise's global fallback context: discord.py runs each event in its
    own task, and tests run fixtures and test bodies in different tasks, so a context bound to
    one task's contextvars would not be seen by the others.
    """

    def __init__(self, url: str, plugins: Iterable[AppSpec] = ()) -> None:
        self.url = url
        self.backend = backend_of(url)
        self.plugins = list(plugins)
        self.config = tortoise_config(url, self.plugins)
        self._open = False

    async def open(self) -> Self:
        """Connect, and prove it with one query: an unreachable server, a wrong password or
        a missing SQLite folder is a `DatabaseUnavailable` here, not a traceback (or a hang:
        the SQLite driver waits forever on a file it cannot create) at the first real query.
        """
        if self.backend == "sqlite":
            folder = sqlite_file(self.url).parent
            if not folder.is_dir():
                raise DatabaseUnavailable(
                    f"the folder of the SQLite database {mask_url(self.url)!r} does not exist: "
                    f"create {folder} or fix the URL"
                )
        # Tortoise caches built SQL per (connection name, table), not per dialect: a process
        # that opened SQLite before PostgreSQL (tests, the demo) would send `?` to asyncpg.
        EXECUTOR_CACHE.clear()
        await Tortoise.init(config=self.config, _enable_global_fallback=True)
        self._open = True
        try:
            await connections.get("default").execute_query("SELECT 1")
        except Exception as exc:
            await self.close()
            cause: BaseException = exc
            if isinstance(exc, DatabaseOutage) and exc.__cause__ is not None:
                cause = exc.__cause__  # the driver's words, not the ones for members
            reason = str(cause) or type(cause).__name__
            raise DatabaseUnavailable(
                f"cannot reach the database {mask_url(self.url)!r}: {mask_url(reason)}"
            ) from None
        return self

    async def close(self) -> None:
        if self._open:
            await Tortoise.close_connections()
            self._open = False

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @staticmethod
    def connection() -> Any:
        return connections.get("default")

    async def health(self) -> bool:
        """True when a trivial query round-trips."""
        return await reachable()


async def reachable() -> bool:
    """True when a trivial query round-trips on the open database."""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:
        return False
    return True
