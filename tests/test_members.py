"""Keeping users and memberships in step with Discord."""

from __future__ import annotations

import asyncio

from core import members, names
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


async def test_a_picker_names_members_as_memos_do(db: Database):
    """One naming rule (`core.names`): a blank display name falls back to the username, and a
    member with neither is `member ID`, in the picker as in the ledger's memos."""
    await ensure_guild(1, "G")
    await upsert_members(
        1, [MemberInfo(5, "zed", "  "), MemberInfo(6, "ace", "Bea"), MemberInfo(9, "", None)]
    )
    picker = await members.member_names(1)
    assert picker == [(6, "Bea"), (9, "member 9"), (5, "zed")]
    assert dict(picker) == await names.member_names([5, 6, 9])


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


async def test_guilds_announced_together_are_synced_in_batches_one_at_a_time(
    fake_discord: FakeDiscord, db: Database, monkeypatch
):
    """Many guilds announced at once are synced a batch at a time (at most one of the pool's
    connections held by start-up, so commands go between its statements), several guilds to a
    batch; every guild and every member is still synced, members not in voice included."""
    miners = []
    for n in range(12):
        guild = fake_discord.guild(f"Guild {n}")
        guild.member(f"pilot{n}")
        miners.append((guild.member(f"miner{n}"), guild.voice("Ore")))
    running, peak, batches = 0, 0, []
    sync = members.sync_guilds

    async def slow_sync(batch: list[members.GuildRows]) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        batches.append(len(batch))
        try:
            await asyncio.sleep(0.02)  # a database that takes its time
            await sync(batch)
        finally:
            running -= 1

    monkeypatch.setattr(members, "sync_guilds", slow_sync)
    plugins = PluginManager(entry_point_group=None)
    async with fake_discord.serve():
        for miner, ore in miners:  # in voice before the bot starts: sent with their guild
            await miner.join(ore)
        async with running_bot(fake_discord, make_settings({}, plugins), plugins):
            for _ in range(500):
                if await User.filter(username__startswith="pilot").count() == 12 and running == 0:
                    break
                await asyncio.sleep(0.01)
    assert await Guild.all().count() == 12
    assert await User.filter(username__startswith="pilot").count() == 12
    assert await GuildMembership.filter(user__username__startswith="miner").count() == 12
    assert peak == 1
    assert max(batches) > 1, batches  # guilds announced together share a batch


async def test_a_batch_of_guilds_costs_the_same_statements_whatever_its_size(db: Database):
    """Start-up's rows for 3 guilds or 60 (10 members each, one user in every guild): the
    same statements on the first start, and a restart that finds nothing changed writes
    nothing."""

    def batch(guilds: int) -> list[members.GuildRows]:
        return [
            members.GuildRows(
                g,
                f"Guild {g}",
                [MemberInfo(10_000 * g + u, f"u{g}-{u}", None, (u,)) for u in range(9)]
                + [MemberInfo(1, "everywhere", "Everywhere")],
            )
            for g in range(1, guilds + 1)
        ]

    await User.all().count()  # the pool's first connection is logged as a statement
    counts = {}
    for size in (3, 60):
        with count_queries() as first:
            await members.sync_guilds(batch(size))
        with count_queries() as again:
            await members.sync_guilds(batch(size))
        counts[size] = (len(first), len(again))
        assert not [q for q in again if q.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert counts[3] == counts[60], counts
    assert await GuildMembership.filter(user_id=1).count() == 60
    assert await GuildMembership.all().count() == 600
    renamed = batch(60)
    renamed[5] = members.GuildRows(6, "Renamed", renamed[5].members)
    await members.sync_guilds(renamed)
    assert (await Guild.get(id=6)).name == "Renamed"
    assert (await Guild.get(id=7)).name == "Guild 7"
