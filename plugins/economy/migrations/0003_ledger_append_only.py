"""The ledger is append-only in the database too: its rows are never changed or removed.

`ledger.post` only inserts and a correction is a reversing transaction (`ledger.reverse`), so
nothing of ours ever updates or deletes a ledger row. These triggers make the database refuse
it from anything else (a bug, another plugin, SQL typed by hand). One exception: deleting a
whole guild takes its ledger with it (the guild row is gone by the time its cascade reaches
the ledger rows, which is how the triggers tell the two apart).

Written per dialect (PL/pgSQL or SQLite triggers) and sent one statement at a time: Tortoise's
SQLite runner would split a trigger body at its semicolons.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

TABLES = ("ledger_transactions", "ledger_entries")
MESSAGE = "is append-only: post a reversing transaction instead"

POSTGRES_FUNCTION = f"""
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM guilds WHERE id = OLD.guild_id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% {MESSAGE}', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$
"""


def _postgres() -> list[str]:
    return [POSTGRES_FUNCTION] + [
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
        for table in TABLES
    ]


def _sqlite() -> list[str]:
    statements = []
    for table in TABLES:
        refuse = f"BEGIN SELECT RAISE(ABORT, '{table} {MESSAGE}'); END"
        statements.append(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} {refuse}")
        statements.append(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM guilds WHERE id = OLD.guild_id) {refuse}"
        )
    return statements


async def _run(schema_editor, statements: list[str]) -> None:
    for sql in statements:
        await schema_editor.client.execute_query(sql)


async def forward(apps, schema_editor) -> None:
    postgres = schema_editor.client.capabilities.dialect == "postgres"
    await _run(schema_editor, _postgres() if postgres else _sqlite())


async def backward(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "postgres":
        drops = [f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}" for t in TABLES]
        drops.append("DROP FUNCTION IF EXISTS ledger_append_only()")
    else:
        drops = [
            f"DROP TRIGGER IF EXISTS {t}_{what}" for t in TABLES for what in ("no_update", "no_delete")
        ]
    await _run(schema_editor, drops)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("economy", "0002_seed_materials")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
