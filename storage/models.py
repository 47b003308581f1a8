"""The storage layer's own table, in the `core` app (`storage.database.CORE_APP`), so its
migration is core's (`core/migrations/0003_app_tables.py`)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AppTable(Model):
    """A table an app's applied migrations made, written at every migration run.

    `redlegion db drop-app` reads it: once a plugin is uninstalled its models and migrations
    are gone with its code, and nothing else says which tables were its.
    """

    id = fields.IntField(primary_key=True)
    app = fields.CharField(max_length=100)
    table_name = fields.CharField(max_length=128)

    class Meta:
        table = "app_tables"
        unique_together = (("app", "table_name"),)
