"""The query counter sees every statement, so N+1 assertions elsewhere can be trusted."""

from __future__ import annotations

from core.members import MemberInfo, upsert_members
from core.models import Guild, User
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
