"""A pytest plugin for testing a Red Legion plugin (and the bot itself) on real databases.

Installed with the package (the `pytest11` entry point `redlegion.testing`), so a plugin's own
test suite gets, with no conftest of its own:

- `db`: an open, fully migrated database private to the test, once per backend: the test
  runs on SQLite and on PostgreSQL (`REDLEGION_TEST_BACKENDS`, default `sqlite,postgres`;
  the server `REDLEGION_TEST_PG`, default `postgres://postgres@127.0.0.1:5432`; an
  unreachable PostgreSQL fails the run rather than skipping it). Each session migrates one
  template per backend and each test gets a copy, so tests are isolated and fast.
- `empty_db_url`: a database with nothing in it, for migration tests.
- `redlegion_plugins`: the plugins the databases are migrated for and the bot loads: the
  built-ins and every installed plugin (yours, through its entry point). Override it in a
  conftest (session scope) to choose.
- `redlegion_settings`: settings as a config file gives them, bound to those plugins, with the
  UEX price sync off (a test bot never reaches the network); `settings_for(data, plugins)`
  builds others.
- `fake_discord` (from `fakediscord.pytest_plugin`): the local Discord stand-in, and
  `redlegion_bot`: the real bot started against it on `db`, ready, closed after the test.
- the `postgres_only` marker, for what only PostgreSQL can show (row locks, concurrency).

The tests need pytest-asyncio with `asyncio_mode = "auto"`, as this repository's do.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from core.bot import RedLegionBot
from core.config import Settings
from core.plugins import PluginManager
from core.standin import running_bot
from fakediscord import FakeDiscord
from storage import Database, migrations

pytest_plugins = ["fakediscord.pytest_plugin"]

BACKENDS = [
    b.strip() for b in os.environ.get("REDLEGION_TEST_BACKENDS", "sqlite,postgres").split(",")
]
PG_SERVER = os.environ.get("REDLEGION_TEST_PG", "postgres://postgres@127.0.0.1:5432")
TEST_ID = uuid.uuid4().hex[:8]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgres_only: runs on the PostgreSQL backend only (row locks, concurrency)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out what this run's backends cannot run: a `postgres_only` test's SQLite case,
    and a test pinned to a backend not in REDLEGION_TEST_BACKENDS (e.g. an SQLite-only test
    when only PostgreSQL is asked for)."""

    def backend_of(item: pytest.Item) -> object:
        callspec = getattr(item, "callspec", None)
        return callspec.params.get("backend") if callspec is not None else None

    deselected = [
        item
        for item in items
        if (item.get_closest_marker("postgres_only") and backend_of(item) == "sqlite")
        or (backend_of(item) is not None and backend_of(item) not in BACKENDS)
    ]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [i for i in items if i not in deselected]


async def pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


class Backend:
    """Makes fresh, migrated databases of one kind for one set of plugins."""

    def __init__(self, kind: str, workdir: Path, plugins: PluginManager | None = None) -> None:
        self.kind = kind
        self.workdir = workdir
        self.plugins = plugins or PluginManager(entry_point_group=None)
        self.template = (
            str(workdir / "template.sqlite3") if kind == "sqlite" else f"rl_tpl_{TEST_ID}"
        )

    def url(self, name: str) -> str:
        return f"sqlite://{name}" if self.kind == "sqlite" else f"{PG_SERVER}/{name}"

    async def build_template(self) -> None:
        if self.kind == "postgres":
            try:
                await pg_admin(f'CREATE DATABASE "{self.template}"')
            except OSError as exc:
                raise RuntimeError(
                    f"PostgreSQL is not reachable at {PG_SERVER} ({exc}); start it or run with "
                    "REDLEGION_TEST_BACKENDS=sqlite"
                ) from exc
        async with Database(self.url(self.template), self.plugins.specs()) as db:
            await migrations.upgrade(db)

    async def new_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:10]}"
        if self.kind == "sqlite":
            path = self.workdir / f"{name}.sqlite3"
            shutil.copyfile(self.template, path)
            return self.url(str(path))
        await pg_admin(f'CREATE DATABASE "rl_{TEST_ID}_{name}" TEMPLATE "{self.template}"')
        return self.url(f"rl_{TEST_ID}_{name}")

    async def empty_database(self) -> str:
        name = f"e_{uuid.uuid4().hex[:10]}"
        if self.kind == "sqlite":
            return self.url(str(self.workdir / f"{name}.sqlite3"))
        await pg_admin(f'CREATE DATABASE "rl_{TEST_ID}_{name}"')
        return self.url(f"rl_{TEST_ID}_{name}")

    async def drop(self, url: str) -> None:
        if self.kind == "postgres":
            name = url.rsplit("/", 1)[1]
            await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def drop_template(self) -> None:
        if self.kind == "postgres":
            await pg_admin(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')


def settings_for(
    data: dict[str, Any] | None = None, plugins: PluginManager | None = None
) -> Settings:
    """Settings as a config file with `data` would give them, bound to `plugins` (the
    built-ins when None). The UEX price sync is off unless `data` turns it on."""
    data = dict(data or {})
    manager = plugins or PluginManager(entry_point_group=None)
    if "economy" in {spec.name for spec in manager.specs()}:
        data["economy"] = {"uex_sync_minutes": 0, **(data.get("economy") or {})}
    settings = Settings.model_validate(data)
    settings.bind_plugins({spec.name: spec.settings for spec in manager.specs()})
    return settings


@pytest.fixture(scope="session")
def redlegion_plugins() -> PluginManager:
    """The built-in plugins and every installed one (entry points)."""
    return PluginManager()


@pytest.fixture(scope="session")
def backends(
    tmp_path_factory: pytest.TempPathFactory, redlegion_plugins: PluginManager
) -> Iterator[dict[str, Backend]]:
    made: dict[str, Backend] = {}
    workdir = tmp_path_factory.mktemp("db")
    try:
        for kind in BACKENDS:
            backend = Backend(kind, workdir, redlegion_plugins)
            made[kind] = backend
            asyncio.run(backend.build_template())
        yield made
    finally:
        for backend in made.values():
            asyncio.run(backend.drop_template())


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, backends: dict[str, Backend]) -> Backend:
    return backends[request.param]


@pytest.fixture
async def db(backend: Backend) -> AsyncIterator[Database]:
    """An open, fully migrated database with `redlegion_plugins`, private to this test."""
    url = await backend.new_database()
    database = Database(url, backend.plugins.specs())
    await database.open()
    try:
        yield database
    finally:
        await database.close()
        await backend.drop(url)


@pytest.fixture
async def empty_db_url(backend: Backend) -> AsyncIterator[str]:
    """A database URL with nothing in it yet."""
    url = await backend.empty_database()
    try:
        yield url
    finally:
        await backend.drop(url)


@pytest.fixture
def redlegion_settings(redlegion_plugins: PluginManager) -> Settings:
    return settings_for(None, redlegion_plugins)


@pytest.fixture
async def redlegion_bot(
    db: Database,
    fake_discord: FakeDiscord,
    redlegion_settings: Settings,
    redlegion_plugins: PluginManager,
) -> AsyncIterator[RedLegionBot]:
    """The bot, with `redlegion_plugins`, started against the serving stand-in and ready."""
    async with (
        fake_discord.serve(),
        running_bot(fake_discord, redlegion_settings, redlegion_plugins) as bot,
    ):
        yield bot
