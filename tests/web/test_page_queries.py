"""The portal's biggest pages send as many statements for a few rows as for many: an event's
page, the live monitor's poll and the ledger, each requested at two sizes (no N+1 query), with
every statement the request sends counted (core's sign-in and level checks too; the guild's
plugin choices are cached on the change feed, so each test warms them with one page first)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal

from core import members
from plugins.economy import ledger
from plugins.economy.ledger import TREASURY, Line, TxKind
from plugins.mining import adjustments, channels, events, expenses, payroll, yields
from plugins.mining.models import MiningParticipation
from storage.querycount import count_queries
from tests.web.conftest import Client, PortalWorld

SignedIn = Callable[[str | int], Awaitable[Client]]
ROCKS, CAVE = 7101, 7102


async def statements(client: Client, path: str, shows: str) -> int:
    """How many statements the portal sent to answer one GET (which must answer 200 with a
    page showing `shows`)."""
    with count_queries() as sent:
        async with client.get(path) as resp:
            body = await resp.text()
            assert resp.status == 200, body[:300]
    assert shows in body, f"{path} does not show {shows!r}"
    return len(sent)


async def warm(client: Client, portal: PortalWorld) -> None:
    """One page first, as in a portal that has served the guild before: the guild's plugin
    choices are read once and then kept (on the change feed), not read on every page."""
    async with client.get(f"/g/{portal.guild_id}/") as resp:
        assert resp.status == 200, await resp.text()


async def crew(portal: PortalWorld, first: int, count: int) -> list[int]:
    ids = list(range(first, first + count))
    await members.upsert_members(
        portal.guild_id,
        [members.MemberInfo(u, f"m{u}", f"Miner {u}", is_org_member=True) for u in ids],
    )
    return ids


async def op(portal: PortalWorld, ids: list[int], *, in_voice: bool) -> int:
    """An active op: everyone joined Rocks, moved to Cave, and (unless `in_voice`) left."""
    t0 = portal.clock.now() - timedelta(hours=2)
    event = await events.create_event(portal.guild_id, at=t0)
    await events.start_event(portal.guild_id, event.id, at=t0, allow_concurrent=True)
    rows = []
    for n, user in enumerate(ids):
        join = t0 + timedelta(minutes=n)
        move = join + timedelta(minutes=20)
        leave = move + timedelta(minutes=10 + n) if not in_voice else None
        for start, end in ((join, move), (move, leave)):
            rows.append(
                MiningParticipation(
                    event_id=event.id,
                    user_id=user,
                    channel_id=ROCKS if end is move else CAVE,
                    session_start=start,
                    session_end=end,
                    duration_seconds=round((end - start).total_seconds()) if end else None,
                    is_org_member=True,
                )
            )
    await MiningParticipation.bulk_create(rows)
    return event.id


async def ended_op(portal: PortalWorld, ids: list[int]) -> int:
    """An ended op with all its page shows: times, yields, expenses, a time set by hand and
    the committed payroll's payouts."""
    guild, now = portal.guild_id, portal.clock.now()
    event_id = await op(portal, ids, in_voice=False)
    await events.stop_event(guild, event_id, at=now - timedelta(minutes=1))
    await yields.add_yields(
        guild, event_id, [yields.YieldInput("Gold", "10", u, value="1000") for u in ids[:2]]
    )
    for payer in ids[:2]:
        await expenses.add_expense(guild, event_id, amount="10", paid_by=payer)
    await adjustments.set_time(
        guild, event_id, ids[0], minutes=90, reason="late log", actor_id=None, at=now
    )
    await payroll.commit(
        guild, event_id, settings=portal.settings.plugin_settings("mining"), at=now
    )
    return event_id


async def mining_portal(portal: PortalWorld) -> str:
    await channels.add_channel(portal.guild_id, ROCKS, "Rocks", voice_channel_ids={ROCKS, CAVE})
    await channels.add_channel(portal.guild_id, CAVE, "Cave", voice_channel_ids={ROCKS, CAVE})
    return f"/g/{portal.guild_id}/mining/events/"


async def test_an_event_page_costs_the_same_statements_for_3_or_12_participants(
    portal: PortalWorld, signed_in: SignedIn
):
    base = await mining_portal(portal)
    small = await ended_op(portal, await crew(portal, 500_000, 3))
    large = await ended_op(portal, await crew(portal, 600_000, 12))
    treasurer = await signed_in("treasurer")  # an officer's sections and the payouts' buttons
    await warm(treasurer, portal)
    few = await statements(treasurer, f"{base}{small}", "Mark Miner 500002's payout paid")
    many = await statements(treasurer, f"{base}{large}", "Mark Miner 600011's payout paid")
    assert few == many, (few, many)


async def test_the_live_monitor_costs_the_same_statements_for_3_or_12_in_voice(
    portal: PortalWorld, signed_in: SignedIn
):
    base = await mining_portal(portal)
    member = await signed_in("member")
    await warm(member, portal)
    counts = []
    for first, size in ((500_000, 3), (600_000, 12)):
        event_id = await op(portal, await crew(portal, first, size), in_voice=True)
        counts.append(
            await statements(member, f"{base}{event_id}/live.json", f'"in_voice": {size},')
        )
        await events.stop_event(portal.guild_id, event_id, at=portal.clock.now())
    assert counts[0] == counts[1], counts


async def post_entries(portal: PortalWorld, ids: list[int], transactions: int, start: int) -> None:
    """`transactions` postings of two entries (the treasury and a member), half of them trades."""
    now = portal.clock.now()
    for n in range(start, start + transactions):
        amount = Decimal(100 + n)
        await ledger.post(
            portal.guild_id,
            kind=TxKind.TRADE if n % 2 else TxKind.SALE,
            memo=f"posting {n}",
            lines=[Line(TREASURY, amount), Line(ledger.member(ids[n % len(ids)]), -amount)],
            at=now - timedelta(minutes=n + 1),
        )


async def test_ledger_pages_cost_the_same_statements_for_120_or_480_entries(
    portal: PortalWorld, signed_in: SignedIn
):
    ids = await crew(portal, 500_000, 6)
    treasurer = await signed_in("treasurer")
    url = f"/g/{portal.guild_id}/economy/ledger"
    await warm(treasurer, portal)
    counts: dict[str, list[int]] = {"first": [], "trades, page 2": []}
    posted = 0
    for entries in (120, 480):
        await post_entries(portal, ids, entries // 2 - posted, posted)
        posted = entries // 2
        counts["first"].append(await statements(treasurer, url, "posting 0<"))
        # newest first, two entries a trade: page 2 starts at the 26th trade, posting 51
        counts["trades, page 2"].append(
            await statements(treasurer, f"{url}?kind=trade&page=2", "posting 51<")
        )
    for page, (few, many) in counts.items():
        assert few == many, (page, few, many)


async def test_core_sends_one_statement_before_a_plugin_page(portal: PortalWorld, signed_in):
    """The session, the user's names and their access to the guild are read together: a page
    that reads nothing itself (the probe's) costs one statement, for any caller's level."""
    for who in ("member", "officer", "admin"):
        client = await signed_in(who)
        await warm(client, portal)
        assert await statements(client, f"/g/{portal.guild_id}/probe/", "Probe") == 1
