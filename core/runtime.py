"""Assemble settings, plugins and the database the way every entry point needs them."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from core.config import Settings, load_settings
from core.errors import ConfigError
from core.plugins import PluginManager
from core.redaction import RedactingFilter
from storage import Database, migrations

log = logging.getLogger(__name__)

DATABASE_URL_HELP = "database URL (default: from config / $DATABASE_URL)"


def add_database_option(parser: argparse.ArgumentParser) -> None:
    """`--database-url` on a command that touches data: one wording, one meaning everywhere
    (plugins call this from their `redlegion_cli` hook too)."""
    parser.add_argument("--database-url", help=DATABASE_URL_HELP)


@dataclass
class Runtime:
    settings: Settings
    plugins: PluginManager

    @classmethod
    def load(
        cls, config: str | os.PathLike[str] | None = None, plugins: PluginManager | None = None
    ) -> Runtime:
        settings = load_settings(config)
        manager = plugins or PluginManager()
        missing = settings.bind_plugins({spec.name: spec.settings for spec in manager.specs()})
        for name in missing:
            manager.leave_out(
                name,
                "configured but not installed; the bot runs without it",
                source=f"config {settings.source}",
            )
        return cls(settings, manager)

    def secrets(self, url: str | None = None) -> list[str]:
        """Values no log line may show: the bot token, every secret a plugin's top-level
        settings hold (a `SecretStr` field, e.g. `[economy] uex_token`), and the database
        password (of `url`, a `--database-url`, and of the configured one)."""
        from pydantic import SecretStr
        from tortoise.backends.base.config_generator import expand_db_url

        found = []
        if self.settings.token is not None:
            found.append(self.settings.token.get_secret_value())
        for secret in (self.settings.web.client_secret, self.settings.web.session_secret):
            if secret is not None and secret.get_secret_value():
                found.append(secret.get_secret_value())
        for spec in self.plugins.specs():
            if spec.settings is None:
                continue
            values = self.settings.plugin_settings(spec.name)
            for name in type(values).model_fields:
                value = getattr(values, name)
                if isinstance(value, SecretStr) and value.get_secret_value():
                    found.append(value.get_secret_value())
        for each in {url or self.settings.database_url, self.settings.database_url}:
            try:
                password = expand_db_url(each)["credentials"].get("password")
            except Exception:  # an odd URL: the filter's mask_url still hides its password
                password = None
            if password:
                found.append(str(password))
        return found

    def database(self, url: str | None = None) -> Database:
        return Database(url or self.settings.database_url, self.plugins.specs())

    @asynccontextmanager
    async def open_database(
        self, url: str | None = None, *, upgrade: bool = False
    ) -> AsyncIterator[Database]:
        """Open the database ready for use: an empty one is migrated, a stale one refused."""
        db = self.database(url)
        async with db:
            await ensure_schema(db, upgrade=upgrade)
            yield db


async def ensure_schema(db: Database, *, upgrade: bool) -> None:
    steps = await migrations.pending(db)
    if not steps:
        return
    if upgrade or await migrations.is_empty(db):
        log.info("applying %d migration(s)", len(steps))
        await migrations.upgrade(db)
        return
    names = ", ".join(f"{s.app}.{s.name}" for s in steps)
    raise ConfigError(
        f"the database is behind its migrations ({len(steps)} pending: {names}); "
        "run `redlegion db upgrade` first, or start with --upgrade"
    )


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at `level`, through a filter that masks tokens and passwords on every
    handler (discord.py's DEBUG lines carry interaction and webhook tokens)."""
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("tortoise").setLevel(logging.WARNING)
    redacting = RedactingFilter(secrets)
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(redacting)
