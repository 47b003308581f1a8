"""Who may see which guild in the portal, at what level: the bot's own memberships and role
mappings, so a page and a slash command agree (core.permissions.level_of)."""

from __future__ import annotations

from dataclasses import dataclass

from core.config import Settings
from core.errors import NotFound
from core.models import GuildMembership
from core.permissions import Level, level_from, level_of


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
    rows = await GuildMembership.filter(
        user_id=user_id, guild_id=guild_id, is_active=True
    ).values_list(
        "guild__name",
        "role_ids",
        "is_guild_admin",
        "guild__role_levels__role_id",
        "guild__role_levels__level",
    )
    if not rows:
        raise NotFound("There is no such server here.")
    name, role_ids, admin = rows[0][:3]
    mapping = [(role, level) for *_, role, level in rows if role is not None]
    level = level_from(settings, guild_id, role_ids or [], mapping, is_guild_admin=admin)
    return GuildAccess(guild_id, name, level)
