"""The connection settings: PostgreSQL's pool takes connections back without a reset query."""

from __future__ import annotations

import asyncpg
import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from core.models import Guild
from storage import Database
from storage.database import connection_config


def test_both_backends_use_our_clients_and_postgres_gets_the_quiet_reset():
    sqlite = connection_config("sqlite://bot.sqlite3")
    assert sqlite["engine"] == "storage.engines.sqlite"
    assert sqlite["credentials"]["file_path"] == "bot.sqlite3"
    config = connection_config("postgres://bot@db.example:5433/legion")
    assert config["engine"] == "storage.engines.postgres"
    assert (config["credentials"]["host"], config["credentials"]["port"]) == ("db.example", 5433)
    assert config["credentials"]["database"] == "legion"


@pytest.mark.postgres_only
async def test_queries_send_no_reset_round_trip(db: Database, monkeypatch):
    resets: list[str] = []
    real_reset = asyncpg.connection.Connection.reset

    async def reset(self, **kwargs):
        resets.append("reset")
        await real_reset(self, **kwargs)

    monkeypatch.setattr(asyncpg.connection.Connection, "reset", reset)
    for n in range(3):
        await Guild.create(id=n + 1, name=f"G{n}")
    assert await Guild.all().count() == 3
    assert resets == []


@pytest.mark.postgres_only
async def test_a_failed_transaction_leaves_the_pooled_connection_usable(db: Database):
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await Guild.create(id=1, name="Rolled back")
            raise RuntimeError("a command failed half-way")
    # asyncpg still rolls back what a connection left open before handing it out again
    for _ in range(6):
        _, rows = await connections.get("default").execute_query(
            "SELECT COUNT(*), pg_current_xact_id_if_assigned() IS NULL FROM guilds"
        )
        assert tuple(rows[0]) == (0, True)  # no row, and no write of an earlier transaction pending
