"""The query counter sees every statement, so N+1 assertions elsewhere can be trusted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core import members
from core.members import MemberInfo, upsert_members
from core.models import Guild, User
from plugins.economy import ledger
from plugins.economy.models import Entry
from plugins.mining import events
from plugins.mining.participants import participants
from storage import Database
from storage.querycount import count_queries


async def test_counts_each_statement(db: Database):
    await Guild.create(id=1, name="G")
    with count_queries() as queries:
        await User.create(id=10, username="a")
        await User.filter(id=10).first()
        await User.all().count()
    assert len(queries) == 3
    assert "users" in queries[0]


async def test_member_upsert_is_constant_in_queries(db: Database):
    await Guild.create(id=1, name="G")
    few = [MemberInfo(i, f"u{i}", None) for i in range(3)]
    many = [MemberInfo(i, f"u{i}", None) for i in range(100, 160)]
    with count_queries() as q_few:
        await upsert_members(1, few)
    with count_queries() as q_many:
        await upsert_members(1, many)
    assert len(q_many) == len(q_few)
    assert await User.all().count() == 63


async def post_to_members(guild_id: int, user_ids: list[int], reference: str) -> int:
    """Post one transaction with a line per member; how many statements it took."""
    lines = [ledger.Line(ledger.member(u), Decimal("-1.00")) for u in user_ids]
    lines.append(ledger.Line(ledger.TREASURY, Decimal(len(user_ids))))
    with count_queries() as queries:
        await ledger.post(
            guild_id, kind=ledger.TxKind.ADJUSTMENT, memo="probe", lines=lines, reference=reference
        )
    return len(queries)


async def test_a_posting_is_constant_in_queries_whatever_its_lines(db: Database):
    await members.ensure_guild(1, "G")
    await members.ensure_guild(2, "H")
    few, many = list(range(10, 13)), list(range(1000, 1300))
    await upsert_members(1, [MemberInfo(u, f"u{u}", None) for u in few + many])
    await User.all().count()  # the pool's first connection is logged as a statement
    new_accounts = [await post_to_members(1, ids, f"new:{len(ids)}") for ids in (few, many)]
    known = [await post_to_members(1, ids, f"known:{len(ids)}") for ids in (few, many)]
    assert new_accounts[0] == new_accounts[1]
    assert known[0] == known[1] == new_accounts[0] - 1  # no INSERT of accounts
    assert await Entry.filter(guild_id=1).count() == 2 * (3 + 1) + 2 * (300 + 1)


async def test_reading_a_running_event_is_one_query_whatever_its_members(db: Database):
    await members.ensure_guild(1, "G")
    t0 = datetime(2026, 1, 4, 18, 0, tzinfo=UTC)
    counts = []
    for size in (2, 300):
        users = list(range(10_000 * size, 10_000 * size + size))
        await upsert_members(1, [MemberInfo(u, f"u{u}", None) for u in users])
        event = await events.create_event(1, at=t0)
        await events.start_event(1, event.id, at=t0, allow_concurrent=True)
        await events.open_many(1, event.id, dict.fromkeys(users, 5), t0)
        event = await events.get_event(1, event.id)
        with count_queries() as queries:
            found = await participants(event, now=t0 + timedelta(hours=1), min_session_seconds=30)
        assert [p.seconds for p in found] == [3600] * size
        counts.append(len(queries))
    assert counts == [1, 1]
