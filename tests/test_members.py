"""Keeping users and memberships in step with Discord."""

from __future__ import annotations

import asyncio

from core import members
from core.bot import RedLegionBot
from core.members import KnownMembers, MemberInfo, ensure_guild, member_left, upsert_members
from core.models import Guild, GuildMembership, User
from core.plugins import PluginManager
from core.standin import running_bot
from fakediscord import FakeDiscord
from fakediscord.pytest_plugin import fake_discord
from storage import Database
from storage.querycount import count_queries
from tests.support import make_settings

__all__ = ["fake_discord"]


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


async def test_member_names_lists_current_members_of_the_guild_by_name(db: Database):
    await ensure_guild(1, "G")
    await ensure_guild(2, "Other")
    await upsert_members(
        1, [MemberInfo(5, "zed", None), MemberInfo(6, "ace", "bea"), MemberInfo(7, "gone", "Al")]
    )
    await upsert_members(2, [MemberInfo(8, "theirs", None)])
    await member_left(1, 7)
    assert await members.member_names(1) == [(6, "bea"), (5, "zed")]


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


async def test_start_up_syncs_hold_a_bounded_share_of_the_pool(
    fake_discord: FakeDiscord, db: Database, monkeypatch
):
    """Many guilds announced at once are synced at most STARTUP_SYNCS at a time, so the rest of
    the database pool stays free for commands; every guild is still synced."""
    for n in range(8):
        fake_discord.guild(f"Guild {n}").member(f"pilot{n}")
    running, peak = 0, 0
    upsert = members.upsert_members

    async def slow_upsert(guild_id: int, infos: list[MemberInfo]) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        try:
            await asyncio.sleep(0.02)  # a database that takes its time
            await upsert(guild_id, infos)
        finally:
            running -= 1

    monkeypatch.setattr(members, "upsert_members", slow_upsert)
    plugins = PluginManager(entry_point_group=None)
    async with fake_discord.serve(), running_bot(fake_discord, make_settings({}, plugins), plugins):
        for _ in range(500):
            if await Guild.all().count() == 8 and running == 0:
                break
            await asyncio.sleep(0.01)
    assert await Guild.all().count() == 8
    assert await User.filter(username__startswith="pilot").count() == 8
    assert peak == RedLegionBot.STARTUP_SYNCS
