"""Keep guilds, users and memberships in step with Discord.

Called on start-up, guild join, member join/update/leave, and lazily on any command or voice
event. `KnownMembers` remembers what already exists so the voice hot path costs no query.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from core.models import Guild, GuildMembership, User
from core.names import plain_name
from storage.sql import insert_rows


@dataclass(frozen=True, slots=True)
class MemberInfo:
    user_id: int
    username: str
    display_name: str | None
    role_ids: tuple[int, ...] = ()
    is_org_member: bool = False
    is_guild_admin: bool = False  # Administrator or Manage Server (the portal reads it)


async def ensure_guild(guild_id: int, name: str) -> Guild:
    guild, created = await Guild.get_or_create(id=guild_id, defaults={"name": name})
    if not created and guild.name != name:
        guild.name = name
        await guild.save(update_fields=["name", "updated_at"])
    return guild


@dataclass(frozen=True, slots=True)
class GuildRows:
    """One guild as Discord shows it: its name (None: leave the guild row alone) and members."""

    guild_id: int
    name: str | None
    members: Sequence[MemberInfo] = ()


# ids per `IN (...)` list: far under both backends' parameter caps, short statements
_IDS_PER_READ = 5_000


async def upsert_members(guild_id: int, members: Iterable[MemberInfo]) -> None:
    """Create or refresh one guild's users and memberships (`sync_guilds` of one guild)."""
    await sync_guilds([GuildRows(guild_id, None, list(members))])


async def sync_guilds(batch: Sequence[GuildRows]) -> None:
    """Bring guilds, users and memberships in line with Discord for a batch of guilds.

    Start-up hears every guild at once: this reads what is stored for the whole batch, then
    writes only what differs, each table in multi-row upserts. The statements are fixed
    whatever the number of guilds and members (the reads split per `_IDS_PER_READ` ids), and a
    restart that finds nothing changed writes nothing. A user in several guilds takes the name
    the last guild of the batch shows.
    """
    if not batch:
        return
    now = datetime.now(UTC)
    users: dict[int, MemberInfo] = {}
    for rows in batch:
        users.update((m.user_id, m) for m in rows.members)
    async with in_transaction():
        named = [rows for rows in batch if rows.name is not None]
        if named:
            stored = dict(
                await Guild.filter(id__in=[rows.guild_id for rows in named]).values_list(
                    "id", "name"
                )
            )
            await insert_rows(
                "guilds",
                ("id", "name", "settings", "created_at", "updated_at"),
                [
                    (rows.guild_id, rows.name, "{}", now, now)
                    for rows in named
                    if stored.get(rows.guild_id) != rows.name
                ],
                on_conflict="(id) DO UPDATE SET name = excluded.name, "
                "updated_at = excluded.updated_at",
            )
        if not users:
            return
        known: dict[int, tuple[str, str | None]] = {}
        ids = list(users)
        for start in range(0, len(ids), _IDS_PER_READ):
            chunk = ids[start : start + _IDS_PER_READ]
            for uid, username, display in await User.filter(id__in=chunk).values_list(
                "id", "username", "display_name"
            ):
                known[uid] = (username, display)
        await insert_rows(
            "users",
            ("id", "username", "display_name", "created_at", "updated_at"),
            [
                (m.user_id, m.username, m.display_name, now, now)
                for m in users.values()
                if known.get(m.user_id) != (m.username, m.display_name)
            ],
            on_conflict="(id) DO UPDATE SET username = excluded.username, "
            "display_name = excluded.display_name, updated_at = excluded.updated_at",
        )
        guild_ids = [rows.guild_id for rows in batch if rows.members]
        held = {
            (gid, uid): (org, list(roles), active, admin)
            for gid, uid, org, roles, active, admin in await GuildMembership.filter(
                guild_id__in=guild_ids
            ).values_list(
                "guild_id", "user_id", "is_org_member", "role_ids", "is_active", "is_guild_admin"
            )
        }
        changed = [
            (rows.guild_id, m)
            for rows in batch
            for m in {m.user_id: m for m in rows.members}.values()
            if held.get((rows.guild_id, m.user_id))
            != (m.is_org_member, list(m.role_ids), True, m.is_guild_admin)
        ]
        await insert_rows(
            "guild_memberships",
            (
                "guild_id",
                "user_id",
                "is_org_member",
                "join_date",
                "role_ids",
                "is_active",
                "is_guild_admin",
                "updated_at",
            ),
            [
                (
                    gid,
                    m.user_id,
                    m.is_org_member,
                    now,
                    json.dumps(list(m.role_ids)),
                    True,
                    m.is_guild_admin,
                    now,
                )
                for gid, m in changed
            ],
            on_conflict="(guild_id, user_id) DO UPDATE SET "
            "is_org_member = excluded.is_org_member, role_ids = excluded.role_ids, "
            "is_active = excluded.is_active, is_guild_admin = excluded.is_guild_admin, "
            "updated_at = excluded.updated_at",
        )


async def member_left(guild_id: int, user_id: int) -> None:
    await GuildMembership.filter(guild_id=guild_id, user_id=user_id).update(is_active=False)


class KnownMembers:
    """Guilds and (guild, user) pairs known to have rows, so repeated events skip the upsert."""

    def __init__(self) -> None:
        self._known: set[tuple[int, int]] = set()
        self._guilds: set[int] = set()

    async def ensure_guild(self, guild_id: int, name: str) -> None:
        if guild_id not in self._guilds:
            await ensure_guild(guild_id, name)
            self._guilds.add(guild_id)

    async def ensure(
        self, guild_id: int, member: MemberInfo, guild_name: str | None = None
    ) -> None:
        """Make sure the member's rows exist (and the guild's, when its name is given)."""
        key = (guild_id, member.user_id)
        if key not in self._known:
            if guild_name is not None:
                await self.ensure_guild(guild_id, guild_name)
            await upsert_members(guild_id, [member])
            self._known.add(key)

    def mark_guild(self, guild_id: int) -> None:
        self._guilds.add(guild_id)

    def mark(self, guild_id: int, user_ids: Iterable[int]) -> None:
        self._known.update((guild_id, uid) for uid in user_ids)

    def forget(self, guild_id: int, user_id: int) -> None:
        self._known.discard((guild_id, user_id))


async def member_names(guild_id: int) -> list[tuple[int, str]]:
    """The guild's current members as (user id, name shown), by name: for pickers.

    The name is `core.names.plain_name`'s, as everywhere a member is named; one query.
    """
    rows = await GuildMembership.filter(guild_id=guild_id, is_active=True).values_list(
        "user_id", "user__display_name", "user__username"
    )
    named = [(uid, plain_name(uid, display, username)) for uid, display, username in rows]
    return sorted(named, key=lambda row: (row[1].casefold(), row[0]))
