"""Migrations: an empty database upgrades to exactly the models' schema, on both backends."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tortoise import Tortoise

from core.plugins import PluginManager
from storage import Database, migrations
from tests.schema_snapshot import snapshot

SEED = Path(__file__).parent / "data" / "seed_schema.sql"


def seed_columns() -> dict[str, set[str]]:
    """Tables and columns of the seed redesign's SQL schema."""
    tables: dict[str, set[str]] = {}
    for name, body in re.findall(r"CREATE TABLE (\w+) \((.*?)\n\);", SEED.read_text(), re.S):
        cols = set()
        for line in body.splitlines():
            word = line.strip().split(" ", 1)[0].split("(", 1)[0]
            if word and word.upper() not in {"PRIMARY", "UNIQUE"} and not word.startswith("--"):
                cols.add(word.strip(","))
        tables[name] = cols
    return tables


async def table_columns(db: Database) -> dict[str, set[str]]:
    conn = db.connection()
    if db.backend == "postgres":
        _, rows = await conn.execute_query(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema()"
        )
        result: dict[str, set[str]] = {}
        for row in rows:
            result.setdefault(row["table_name"], set()).add(row["column_name"])
        return result
    _, tables = await conn.execute_query(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
    )
    result = {}
    for row in tables:
        _, cols = await conn.execute_query(f'PRAGMA table_info("{row["name"]}")')
        result[row["name"]] = {c["name"] for c in cols}
    return result


def test_seed_schema_is_parsed():
    tables = seed_columns()
    assert len(tables) == 9
    assert tables["guild_memberships"] == {"guild_id", "user_id", "is_org_member", "join_date"}


async def test_empty_database_upgrades_to_models_schema(empty_db_url: str):
    async with Database(empty_db_url, PluginManager(entry_point_group=None).specs()) as db:
        assert await migrations.is_empty(db)
        applied = await migrations.upgrade(db)
        assert applied >= 1
        assert await migrations.pending(db) == []
        assert await migrations.detect_changes(db) == []
        assert ("core", "0001_initial") in await migrations.history(db)


async def test_upgrade_gives_exactly_the_schema_the_models_generate(backend):
    """Tables, columns (type, null, default), indexes and foreign keys, read back from both."""
    specs = PluginManager(entry_point_group=None).specs()
    migrated_url, generated_url = await backend.empty_database(), await backend.empty_database()
    try:
        async with Database(migrated_url, specs) as db:
            await migrations.upgrade(db)
            migrated = await snapshot(db)
            # the comparison notices a missing index
            await db.connection().execute_query("DROP INDEX idx_mining_part_event_i_84d557")
            assert await snapshot(db) != migrated
        async with Database(generated_url, specs) as db:
            await Tortoise.generate_schemas(safe=False)
            generated = await snapshot(db)
    finally:
        await backend.drop(migrated_url)
        await backend.drop(generated_url)
    assert migrated == generated
    assert len(migrated) > 200


@pytest.mark.parametrize("table", sorted(seed_columns()))
async def test_seed_table_has_every_seed_column(db: Database, table: str):
    columns = await table_columns(db)
    assert table in columns, f"seed table {table} is missing"
    missing = seed_columns()[table] - columns[table]
    assert not missing, f"{table} lacks seed columns {sorted(missing)}"


async def test_later_migration_keeps_existing_data(
    empty_db_url: str, monkeypatch: pytest.MonkeyPatch, thirdparty_path: str
):
    monkeypatch.syspath_prepend(thirdparty_path)
    plugins = PluginManager()
    async with Database(empty_db_url, plugins.specs()) as db:
        await migrations.upgrade(db, stop_at={"hello": "0001_initial"})
        assert [str(s) for s in await migrations.pending(db)] == ["+ hello.0002_add_mood"]
        conn = db.connection()
        await conn.execute_query(
            "INSERT INTO guilds (id, name, settings, created_at, updated_at) "
            "VALUES (1, 'G', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
        await conn.execute_query(
            "INSERT INTO hello_greetings (guild_id, user_id, text, created_at) "
            "VALUES (1, 5, 'kept', CURRENT_TIMESTAMP)"
        )
        assert await migrations.upgrade(db) == 1
        from redlegion_hello.models import Greeting

        greeting = await Greeting.get(text="kept")
        assert (greeting.user_id, greeting.mood) == (5, "cheerful")


async def test_downgrade_and_upgrade_again(
    empty_db_url: str, monkeypatch: pytest.MonkeyPatch, thirdparty_path: str
):
    monkeypatch.syspath_prepend(thirdparty_path)
    async with Database(empty_db_url, PluginManager().specs()) as db:
        await migrations.upgrade(db)
        steps = await migrations.downgrade(db, "hello", "0001_initial")
        assert [str(s) for s in steps] == ["- hello.0002_add_mood"]
        assert ("hello", "0002_add_mood") not in await migrations.history(db)
        assert await migrations.upgrade(db) == 1
