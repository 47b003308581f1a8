"""Shared fixtures: a freshly migrated database per test, on SQLite and PostgreSQL both.

Each session migrates one template per backend; each test gets a copy (a file copy on SQLite,
`CREATE DATABASE … TEMPLATE` on PostgreSQL), so tests are isolated and seeded data included.
Backends: `REDLEGION_TEST_BACKENDS` (default `sqlite,postgres`); PostgreSQL server:
`REDLEGION_TEST_PG` (default `postgres://postgres@127.0.0.1:5432`). An unreachable PostgreSQL
fails the run rather than skipping it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from core.config import Settings
from core.plugins import PluginManager
from storage import Database, migrations
from tests.support import make_settings

pytest_plugins = ["fakediscord.pytest_plugin", "tests.outage"]

BACKENDS = [
    b.strip() for b in os.environ.get("REDLEGION_TEST_BACKENDS", "sqlite,postgres").split(",")
]
PG_SERVER = os.environ.get("REDLEGION_TEST_PG", "postgres://postgres@127.0.0.1:5432")
TEST_ID = uuid.uuid4().hex[:8]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out what this run's backends cannot run: a `postgres_only` test's SQLite case,
    and a test pinned to a backend not in REDLEGION_TEST_BACKENDS (e.g. an SQLite-only test
    when only PostgreSQL is asked for, as CI's PostgreSQL leg does)."""

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
    """Makes fresh, migrated databases of one kind."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self.workdir = workdir
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
        async with Database(self.url(self.template), builtin_plugins().specs()) as db:
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


def builtin_plugins() -> PluginManager:
    """The built-in plugins only, whatever third-party plugin a test has put on sys.path."""
    return PluginManager(entry_point_group=None)


THIRDPARTY = Path(__file__).parent / "data" / "thirdparty"


@pytest.fixture
def thirdparty_path() -> str:
    """A folder holding an installed-looking third-party plugin (dist-info with entry point)."""
    return str(THIRDPARTY)


@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Backend]]:
    made: dict[str, Backend] = {}
    workdir = tmp_path_factory.mktemp("db")
    try:
        for kind in BACKENDS:
            backend = Backend(kind, workdir)
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
    """An open, fully migrated database with all built-in plugins, private to this test."""
    url = await backend.new_database()
    database = Database(url, builtin_plugins().specs())
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
def settings() -> Settings:
    return make_settings()
