"""Who may see which guild in the portal, at what level: the bot's own memberships and role
mappings, so a page and a slash command agree (core.permissions.level_of)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


def from_session(settings: Settings, session: Any, guild_id: int) -> GuildAccess:
    """The user's level in the guild, from what `Sessions.get(cookie, guild_id=...)` read with
    the session (`WITH_SESSION`); a guild they are not an active member of is not found
    (whether it exists or not: another org's ids tell nothing).

    Read with the session, not after it: every guild page needs both, and one statement
    before a page costs a trip to the database less than two. The guild's role mapping comes
    as one `role:level` list, for `level_from`, the rule slash commands use too.
    """
    name = getattr(session, "guild_name", None)
    if name is None or session.user_id is None:
        raise NotFound("There is no such server here.")
    pairs = (getattr(session, "guild_levels", None) or "").split(",")
    mapping = [(int(role), level) for role, _, level in (p.partition(":") for p in pairs if p)]
    role_ids = _ROLE_IDS.to_python_value(getattr(session, "guild_role_ids", None)) or []
    admin = bool(getattr(session, "guild_admin", False))
    level = level_from(settings, guild_id, role_ids, mapping, is_guild_admin=admin)
    return GuildAccess(guild_id, name, level)


# what `Sessions.get` adds to its statement for a guild's page: the user's active membership
# of guild $2, its guild's name and the guild's role mapping (by hand: every page asks)
WITH_SESSION = (
    "LEFT JOIN guild_memberships m ON m.user_id = web_sessions.user_id AND m.guild_id = $2 "
    "AND m.is_active = TRUE LEFT JOIN guilds g ON g.id = m.guild_id",
    (
        ("guild_name", "g.name"),
        ("guild_role_ids", "m.role_ids"),
        ("guild_admin", "m.is_guild_admin"),
        (
            "guild_levels",
            "(SELECT string_agg(r.role_id::text || ':' || r.level, ',') "
            "FROM guild_role_levels r WHERE r.guild_id = m.guild_id)",
        ),
    ),
)
# the membership's role ids as the driver gives them (JSON text), read as Tortoise reads them
_ROLE_IDS = GuildMembership._meta.fields_map["role_ids"]
