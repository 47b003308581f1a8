"""What a database's schema is, read back from the database itself, for comparing two."""

from __future__ import annotations

from storage import Database

# Tortoise's own bookkeeping of applied migrations: not part of the models' schema
IGNORED = {"tortoise_migrations"}


async def snapshot(db: Database) -> dict[str, object]:
    """{"kind table.name": description} for columns, indexes and constraints (foreign keys).

    Index and constraint names are left out where Tortoise derives them differently on
    the two paths; what they cover is kept.
    """
    if db.backend == "postgres":
        return await _postgres(db)
    return await _sqlite(db)


async def _rows(db: Database, sql: str) -> list:
    _, rows = await db.connection().execute_query(sql)
    return list(rows)


async def _sqlite(db: Database) -> dict[str, object]:
    found: dict[str, object] = {}
    tables = [
        r[0]
        for r in await _rows(
            db, "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
        if r[0] not in IGNORED
    ]
    for table in tables:
        for c in await _rows(db, f'PRAGMA table_info("{table}")'):
            found[f"column {table}.{c['name']}"] = tuple(c)[2:]  # type, notnull, default, pk
        for i in await _rows(db, f'PRAGMA index_list("{table}")'):
            columns = [r["name"] for r in await _rows(db, f'PRAGMA index_info("{i["name"]}")')]
            found[f"index {table}({','.join(columns)})"] = (i["unique"], i["partial"])
        for f in await _rows(db, f'PRAGMA foreign_key_list("{table}")'):
            found[f"fk {table}.{f['from']}"] = (f["table"], f["to"], f["on_delete"], f["on_update"])
    return found


async def _postgres(db: Database) -> dict[str, object]:
    found: dict[str, object] = {}
    for c in await _rows(
        db,
        "SELECT table_name, column_name, data_type, is_nullable, column_default, "
        "character_maximum_length, numeric_precision, numeric_scale "
        "FROM information_schema.columns WHERE table_schema = current_schema()",
    ):
        if c["table_name"] not in IGNORED:
            found[f"column {c['table_name']}.{c['column_name']}"] = tuple(c.values())[2:]
    for i in await _rows(
        db,
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()",
    ):
        if i["tablename"] not in IGNORED:
            definition = i["indexdef"].replace(i["indexname"], "_")
            found[f"index {i['tablename']} {definition.split(' USING ', 1)[1]}"] = definition
    for f in await _rows(
        db,
        "SELECT c.conrelid::regclass::text AS tab, c.contype, pg_get_constraintdef(c.oid) AS def "
        "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE n.nspname = current_schema()",
    ):
        if f["tab"] not in IGNORED:
            found[f"constraint {f['tab']} {f['contype']} {f['def']}"] = True
    return found
