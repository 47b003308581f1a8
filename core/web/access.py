"""Who may see which guild in the portal, at what level: the bot's own memberships and role
mappings, so a page and a slash command agree (core.permissions.level_of)."""

from __future__ import annotations

from dataclasses import dataclass

from core.config import Settings
from core.errors import NotFound
from core.models import GuildMembership
from core.permissions import Level, level_from, level_of
from storage import sql


@dataclass(frozen=True)
class GuildAccess:
    guild_id: int
    guild_name: str
    level: Level


async def guilds_of(settings: Settings, user_id: int) -> list[GuildAccess]:
    """The guilds the user is an active member of, by name, with their level in each."""
    rows = await GuildMembership.filter(user_id=user_id, is_active=True).values_list(
        "guild_id", "guild__name", "role_ids", "is_guild_admin"
    )
    found = [
        GuildAccess(
            guild_id,
            name,
            await level_of(settings, guild_id, role_ids or [], is_guild_admin=admin),
        )
        for guild_id, name, role_ids, admin in rows
    ]
    return sorted(found, key=lambda g: (g.guild_name.casefold(), g.guild_id))


async def access(settings: Settings, user_id: int, guild_id: int) -> GuildAccess:
    """The user's level in one guild; a guild they are not an active member of is not found
    (whether it exists or not: another org's ids tell nothing).

    One query on every page: the membership, the guild's name and the guild's role mapping
    (one row per mapped role, a handful), for `level_from`, the rule slash commands use too.
    """
    rows = await sql.fetch(_ACCESS, [user_id, guild_id])
    if not rows:
        raise NotFound("There is no such server here.")
    name, role_ids, admin = rows[0][:3]
    mapping = [(role, level) for *_, role, level in rows if role is not None]
    level = level_from(
        settings, guild_id, _ROLE_IDS.to_python_value(role_ids) or [], mapping,
        is_guild_admin=bool(admin),
    )  # fmt: skip
    return GuildAccess(guild_id, name, level)


# by hand (storage.sql): every page asks, and building this join with Tortoise cost more than
# running it
_ACCESS = """
SELECT g.name, m.role_ids, m.is_guild_admin, r.role_id, r.level
FROM guild_memberships m
JOIN guilds g ON g.id = m.guild_id
LEFT JOIN guild_role_levels r ON r.guild_id = m.guild_id
WHERE m.user_id = $1 AND m.guild_id = $2 AND m.is_active = TRUE
"""
# the membership's role ids as the driver gives them (JSON text), read as Tortoise reads them
_ROLE_IDS = GuildMembership._meta.fields_map["role_ids"]
