"""Keep guilds, users and memberships in step with Discord.

Called on start-up, guild join, member join/update/leave, and lazily on any command or voice
event. `KnownMembers` remembers what already exists so the voice hot path costs no query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core.models import Guild, GuildMembership, User


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


async def upsert_members(guild_id: int, members: Iterable[MemberInfo]) -> None:
    """Create or refresh users and memberships in a fixed number of queries."""
    members = list(members)
    if not members:
        return
    ids = [m.user_id for m in members]
    async with in_transaction():
        users = {u.id: u for u in await User.filter(id__in=ids)}
        new_users = [
            User(id=m.user_id, username=m.username, display_name=m.display_name)
            for m in members
            if m.user_id not in users
        ]
        changed_users = []
        for m in members:
            user = users.get(m.user_id)
            if user and (user.username, user.display_name) != (m.username, m.display_name):
                user.username, user.display_name = m.username, m.display_name
                changed_users.append(user)
        if new_users:
            await User.bulk_create(new_users, ignore_conflicts=True)
        if changed_users:
            await User.bulk_update(changed_users, fields=["username", "display_name"])
        existing = {
            ms.user_id: ms
            for ms in await GuildMembership.filter(guild_id=guild_id, user_id__in=ids)
        }
        new_ms = []
        changed_ms = []
        for m in members:
            ms = existing.get(m.user_id)
            if ms is None:
                new_ms.append(
                    GuildMembership(
                        guild_id=guild_id,
                        user_id=m.user_id,
                        is_org_member=m.is_org_member,
                        role_ids=list(m.role_ids),
                        is_guild_admin=m.is_guild_admin,
                    )
                )
            elif (ms.is_org_member, ms.role_ids, ms.is_active, ms.is_guild_admin) != (
                m.is_org_member,
                list(m.role_ids),
                True,
                m.is_guild_admin,
            ):
                ms.is_org_member, ms.role_ids, ms.is_active, ms.is_guild_admin = (
                    m.is_org_member,
                    list(m.role_ids),
                    True,
                    m.is_guild_admin,
                )
                changed_ms.append(ms)
        if new_ms:
            await GuildMembership.bulk_create(new_ms, ignore_conflicts=True)
        if changed_ms:
            await GuildMembership.bulk_update(
                changed_ms, fields=["is_org_member", "role_ids", "is_active", "is_guild_admin"]
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

    The name is the display name, else the username, else the id (as everywhere a member is
    named); one query.
    """
    rows = await GuildMembership.filter(guild_id=guild_id, is_active=True).values_list(
        "user_id", "user__display_name", "user__username"
    )
    named = [(uid, display or username or str(uid)) for uid, display, username in rows]
    return sorted(named, key=lambda row: (row[1].casefold(), row[0]))
