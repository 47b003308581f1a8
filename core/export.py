"""`redlegion export`: one guild's records as CSV and JSON, for an auditor or another tool.

Each plugin gives its own tables through the `redlegion_export` hook; core adds the guild's
members and writes one CSV per table plus `export.json` holding every table. All plugins
installed are asked, whether or not they are on in the guild: what the org did stays its record.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from clocks import utc
from core.errors import UserError
from core.models import Guild, GuildMembership
from core.plugins import PluginManager
from core.tabular import records_to_csv, to_json


async def guild_tables(plugins: PluginManager, guild_id: int) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {
        "members": await GuildMembership.filter(guild_id=guild_id)
        .order_by("user_id")
        .values(
            "user_id",
            "is_org_member",
            "is_active",
            "join_date",
            username="user__username",
            display_name="user__display_name",
        )
    }
    # pluggy calls the last registered first: reverse for load order
    for answer in reversed(plugins.pm.hook.redlegion_export(guild_id=guild_id)):
        tables.update(await answer)
    return tables


async def export_guild(plugins: PluginManager, guild_id: int, out: Path) -> list[Path]:
    """Write the guild's tables into `out` (created if needed); returns the files written."""
    guild = await Guild.get_or_none(id=guild_id)
    if guild is None:
        raise UserError(f"no guild {guild_id} in this database")
    tables = await guild_tables(plugins, guild_id)
    files = {
        f"{name}.csv": records_to_csv(rows, list(rows[0]) if rows else [])
        for name, rows in tables.items()
    }
    document = {
        "guild": {"id": guild.id, "name": guild.name},
        "exported_at": utc(),
        "plugins": {p.spec.name: p.spec.version for p in plugins.plugins.values()},
        "tables": tables,
    }
    files["export.json"] = to_json(document)
    return await asyncio.to_thread(_write, out, files)


def _write(out: Path, files: dict[str, bytes]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():
        path = out / name
        path.write_bytes(data)
        written.append(path)
    return written
