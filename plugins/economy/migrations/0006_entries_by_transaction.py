"""An index on a ledger entry's transaction: the ledger filtered by kind joins entries to their
transactions, and without it PostgreSQL may scan the guild's entries once per transaction
(bench/portal_bench.py measured 7.5 s for a page of 10,000 entries; see bench/README.md)."""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("economy", "0005_memos_name_members")]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="Entry",
            index=Index(fields=["transaction_id"]),
        ),
    ]
