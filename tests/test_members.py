"""Keeping users and memberships in step with Discord."""

from __future__ import annotations

from core.members import KnownMembers, MemberInfo, ensure_guild, member_left, upsert_members
from core.models import Guild, GuildMembership, User
from storage import Database
from storage.querycount import count_queries


async def test_upsert_creates_then_refreshes(db: Database):
    await ensure_guild(1, "Old name")
    await ensure_guild(1, "New name")
    assert (await Guild.get(id=1)).name == "New name"
    await upsert_members(1, [MemberInfo(5, "ace", "Ace", (7,), True)])
    await upsert_members(1, [MemberInfo(5, "ace", "Ace of Spades", (7, 8), False)])
    user = await User.get(id=5)
    membership = await GuildMembership.get(guild_id=1, user_id=5)
    assert user.display_name == "Ace of Spades"
    assert membership.role_ids == [7, 8]
    assert membership.is_org_member is False


async def test_left_member_keeps_history_and_can_return(db: Database):
    await ensure_guild(1, "G")
    await upsert_members(1, [MemberInfo(5, "ace", None)])
    await member_left(1, 5)
    assert (await GuildMembership.get(guild_id=1, user_id=5)).is_active is False
    await upsert_members(1, [MemberInfo(5, "ace", None)])
    assert (await GuildMembership.get(guild_id=1, user_id=5)).is_active is True
    assert await GuildMembership.all().count() == 1


async def test_known_members_skip_repeat_work(db: Database):
    await ensure_guild(1, "G")
    known = KnownMembers()
    await known.ensure(1, MemberInfo(5, "ace", None))
    with count_queries() as queries:
        await known.ensure(1, MemberInfo(5, "ace", None))
    assert queries == []
    known.forget(1, 5)
    with count_queries() as queries:
        await known.ensure(1, MemberInfo(5, "ace", None))
    assert queries
