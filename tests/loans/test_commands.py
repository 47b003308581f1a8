"""`/loan …` end to end: members drive the real bot through the Discord stand-in."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from tortoise.exceptions import OperationalError

from core import confirm
from core.bot import RedLegionBot
from core.members import MemberInfo, ensure_guild, upsert_members
from core.plugins import PluginManager
from core.standin import running_bot
from fakediscord import Channel, FakeDiscord, Guild, Member
from fakediscord.pytest_plugin import fake_discord
from plugins.economy.models import Transaction
from plugins.loans import watch
from plugins.loans.lending import issue_loan
from plugins.loans.models import Loan, LoanStatus
from plugins.loans.watch import check_all
from storage import Database
from tests.loans.support import check_books, snapshot
from tests.support import make_settings

__all__ = ["fake_discord"]

D = Decimal
PLUGINS = ("plugins.economy.plugin", "plugins.loans.plugin")


@dataclass
class Scene:
    world: FakeDiscord
    guild: Guild
    other: Guild
    notices: Channel
    ace: Member  # treasurer
    olga: Member  # officer
    bob: Member  # org member, the usual borrower
    tim: Member  # in the guild, not in the org
    zed: Member  # org member of the other guild
    settings_data: dict[str, Any]


def build_scene(world: FakeDiscord, **loans: Any) -> Scene:
    guild = world.guild("Red Legion")
    other = world.guild("Elsewhere")
    org, treasurer, officer = guild.role("Org"), guild.role("Treasurer"), guild.role("Officer")
    other_org = other.role("Org")
    notices = guild.text("loan-notices")
    data = {
        "loans": {"check_interval_minutes": 0},
        "guilds": {
            guild.id: {
                "org_role": org.id,
                "roles": {"officer": [officer.id], "treasurer": [treasurer.id]},
                "loans": {"notify_channel_id": notices.id, "default_rate": "0.1", **loans},
            },
            other.id: {"org_role": other_org.id},
        },
    }
    return Scene(
        world=world,
        guild=guild,
        other=other,
        notices=notices,
        ace=guild.member("Ace", roles=[org, treasurer]),
        olga=guild.member("Olga", roles=[org, officer]),
        bob=guild.member("Bob", roles=[org]),
        tim=guild.member("Tim"),
        zed=other.member("Zed", roles=[other_org]),
        settings_data=data,
    )


@pytest.fixture
def scene(fake_discord: FakeDiscord) -> Scene:
    return build_scene(fake_discord)


@pytest.fixture
async def bot(scene: Scene, db: Database) -> AsyncIterator[RedLegionBot]:
    settings = make_settings(scene.settings_data)
    plugins = PluginManager(builtins=PLUGINS, entry_point_group=None)
    async with scene.world.serve(), running_bot(scene.world, settings, plugins) as running:
        yield running


async def loan_number(reply_text: str) -> int:
    return int(reply_text.split("**#", 1)[1].split("**", 1)[0])


async def test_request_approve_repay_to_paid(scene: Scene, bot: RedLegionBot):
    asked = await scene.bob.slash(
        "loan request", amount="1,000", term_days=30, reason="a Prospector"
    )
    assert not asked.ephemeral
    assert "requested by" in asked.text
    assert "1,000.00 aUEC for 30 days at 10.00 % for the term" in asked.text
    assert "interest 100.00 aUEC, 1,100.00 aUEC to repay" in asked.text
    loan_id = await loan_number(asked.text)

    refused = await scene.bob.slash("loan approve", id=loan_id)
    assert refused.ephemeral and "needs the treasurer level" in refused.text

    approved = await scene.ace.slash("loan approve", id=loan_id)
    assert f"Loan **#{loan_id}** approved: 1,000.00 aUEC paid out to" in approved.text
    assert f"<@{scene.bob.id}>" in approved.text

    mine = await scene.bob.slash("loan mine")
    assert mine.ephemeral
    assert "active" in mine.text and "owed 1,100.00 aUEC" in mine.text
    assert "You owe 1,100.00 aUEC in all" in mine.text

    part = await scene.bob.slash("loan repay", id=loan_id, amount="600")
    assert "interest 100.00 aUEC, principal 500.00 aUEC" in part.text
    assert "500.00 aUEC left to repay" in part.text

    too_much = await scene.bob.slash("loan repay", id=loan_id, amount="600")
    assert too_much.ephemeral and "pay at most 500.00" in too_much.text

    not_theirs = await scene.tim.slash("loan repay", id=loan_id, amount="10")
    assert not_theirs.ephemeral and "only they or a treasurer" in not_theirs.text
    # the service names the borrower by id; Discord shows the mention, and pings nobody
    assert f"loan #{loan_id} is <@{scene.bob.id}>'s: only they" in not_theirs.text
    assert not_theirs.message is not None and not_theirs.message.pinged == frozenset()

    recorded = await scene.ace.slash("loan repay", id=loan_id, amount="500.00")
    assert "The loan is paid off." in recorded.text

    shown = await scene.bob.slash("loan show", id=loan_id)
    assert shown.ephemeral
    assert f"Loan #{loan_id}** · <@{scene.bob.id}> · paid" in shown.text
    assert "Repaid 1,100.00 aUEC (interest 100.00 aUEC, principal 1,000.00 aUEC)" in shown.text
    assert "Paid off" in shown.text and "Owed" not in shown.text
    hidden = await scene.tim.slash("loan show", id=loan_id)
    assert hidden.ephemeral and "not yours" in hidden.text
    officer_view = await scene.olga.slash("loan show", id=loan_id)
    assert "a Prospector" in officer_view.text

    loan = await Loan.get(id=loan_id)
    assert (loan.status, loan.paid_date) == (LoanStatus.PAID, scene.world.clock.now())
    assert await Transaction.filter(guild_id=scene.guild.id).count() == 3
    await check_books(scene.guild.id)


async def test_reject_with_a_reason(scene: Scene, bot: RedLegionBot):
    loan_id = await loan_number((await scene.bob.slash("loan request", amount="50")).text)
    rejected = await scene.ace.slash("loan reject", id=loan_id, reason="too soon")
    assert "was rejected: too soon" in rejected.text
    again = await scene.ace.slash("loan approve", id=loan_id)
    assert again.ephemeral and "is rejected, not waiting for a decision" in again.text
    assert await Transaction.filter(guild_id=scene.guild.id).count() == 0


async def test_issue_default_announce_once_and_forgive(scene: Scene, bot: RedLegionBot):
    issued = await scene.olga.slash(
        "loan issue", member=scene.bob, amount="2000", term_days=14, rate="5%"
    )
    assert "issued to" in issued.text and "at 5.00 %" in issued.text
    first = await loan_number(issued.text)
    own = await scene.olga.slash("loan issue", member=scene.olga, amount="10")
    assert own.ephemeral and "to yourself" in own.text
    second = await loan_number(
        (await scene.olga.slash("loan issue", member=scene.ace, amount="300", term_days=60)).text
    )

    scene.world.clock.advance(days=14 + 7, seconds=1)  # past due + grace for the first only
    closed = await check_all(bot)
    assert [c.loan.id for c in closed] == [first]
    [notice] = scene.notices.messages
    assert f"Loan **#{first}** of <@{scene.bob.id}> has defaulted: 2,100.00 aUEC unpaid" in (
        notice.text
    )
    assert "2,000.00 aUEC of principal was written off" in notice.text
    assert await check_all(bot) == []
    assert len(scene.notices.messages) == 1

    listed = await scene.olga.slash("loan list", status="defaulted")
    assert f"#{first}" in listed.text and f"#{second}" not in listed.text
    everyone = await scene.olga.slash("loan list")
    assert f"#{first}" in everyone.text and f"#{second}" in everyone.text
    aces = await scene.olga.slash("loan list", member=scene.ace)
    assert f"#{second}" in aces.text and f"#{first}" not in aces.text

    written_off = await scene.bob.slash("loan repay", id=first, amount="1")
    assert written_off.ephemeral and "was written off" in written_off.text

    own_forgive = await scene.ace.slash("loan forgive", id=second)
    assert own_forgive.ephemeral and "your own loan" in own_forgive.text
    officer_forgive = await scene.olga.slash("loan forgive", id=second)
    assert officer_forgive.ephemeral and "needs the treasurer level" in officer_forgive.text
    assert (await Loan.get(id=second)).status == LoanStatus.ACTIVE
    await check_books(scene.guild.id)


async def test_forgive_writes_off_the_rest(scene: Scene, bot: RedLegionBot):
    loan_id = await loan_number(
        (await scene.olga.slash("loan issue", member=scene.bob, amount="800")).text
    )
    await scene.bob.slash("loan repay", id=loan_id, amount="280")  # 80 interest, 200 principal
    asked = await scene.ace.slash("loan forgive", id=loan_id)
    assert "600.00 aUEC is owed; 600.00 aUEC of principal would be written off" in asked.text
    forgiven = await scene.ace.click(asked, confirm.CONFIRM_ID)
    assert "is forgiven (600.00 aUEC was owed); 600.00 aUEC written off" in forgiven.text
    shown = await scene.bob.slash("loan show", id=loan_id)
    assert "forgiven" in shown.text and "Written off: 600.00 aUEC" in shown.text
    await check_books(scene.guild.id)


async def test_permissions_limits_and_bad_input(scene: Scene, bot: RedLegionBot):
    before = await snapshot()
    cases = [
        (scene.tim, "loan request", {"amount": "100"}, "only org members may borrow"),
        (scene.bob, "loan request", {"amount": "-100"}, "must not be negative"),
        (scene.bob, "loan request", {"amount": "12.345"}, "more than 2 decimal places"),
        (scene.bob, "loan request", {"amount": "lots"}, "is not a number"),
        (scene.bob, "loan request", {"amount": "20000000"}, "more than this server lends"),
        (scene.bob, "loan request", {"amount": "10", "term_days": 365}, "1 to 90 days"),
        (scene.bob, "loan issue", {"member": scene.tim, "amount": "10"}, "needs the officer"),
        (scene.bob, "loan list", {}, "needs the officer level"),
        (scene.bob, "loan forgive", {"id": 1}, "needs the treasurer level"),
        (scene.olga, "loan issue", {"member": scene.tim, "amount": "10"}, "only org members"),
        (scene.olga, "loan issue", {"member": scene.bob, "amount": "10", "rate": "x"}, "rate"),
        (
            scene.olga,
            "loan issue",
            {"member": scene.bob, "amount": "10", "rate": "500%"},
            "interest rate 500% is more than this server lends at (at most 100 %)",
        ),
        (scene.ace, "loan approve", {"id": 999}, "no loan #999 in this server"),
        # beyond the 32-bit column (Discord's client would stop it: the range is published)
        (scene.ace, "loan approve", {"id": 2**40}, "`id` must be a whole number from 1 to"),
        (scene.bob, "loan repay", {"id": 5, "amount": "1"}, "no loan #5 in this server"),
    ]
    for member, command, options, message in cases:
        reply = await member.slash(command, options, unchecked=True)
        assert reply.ephemeral, (command, options)
        assert message in reply.text, (command, options, reply.text)
    assert await snapshot() == before


async def test_another_guilds_loan_is_not_found_there(scene: Scene, bot: RedLegionBot):
    theirs = await loan_number(
        (await scene.zed.slash("loan request", amount="10")).text  # Zed is in the other org
    )
    before = await snapshot()
    for member, command, options in [
        (scene.ace, "loan approve", {"id": theirs}),
        (scene.ace, "loan reject", {"id": theirs}),
        (scene.ace, "loan forgive", {"id": theirs}),
        (scene.ace, "loan repay", {"id": theirs, "amount": "1"}),
        (scene.olga, "loan show", {"id": theirs}),
    ]:
        reply = await member.slash(command, **options)
        assert reply.ephemeral and f"no loan #{theirs} in this server" in reply.text
    assert await snapshot() == before
    assert "No loans match." in (await scene.olga.slash("loan list")).text


async def test_no_commands_where_loans_are_off(fake_discord: FakeDiscord, db: Database):
    scene = build_scene(fake_discord)
    scene.settings_data["guilds"][scene.guild.id]["plugins"] = {"loans": False}
    settings = make_settings(scene.settings_data)
    plugins = PluginManager(builtins=PLUGINS, entry_point_group=None)
    async with fake_discord.serve(), running_bot(fake_discord, settings, plugins) as bot:
        reply = await scene.bob.slash("loan request", amount="10")
        assert reply.ephemeral and "loans plugin is turned off" in reply.text
        scene.world.clock.advance(days=400)
        assert await check_all(bot) == []
    assert await Loan.all().count() == 0


async def test_the_bot_checks_overdue_loans_when_it_starts(fake_discord: FakeDiscord, db: Database):
    scene = build_scene(fake_discord)
    scene.settings_data["loans"]["check_interval_minutes"] = 60
    guild_id, bob = scene.guild.id, scene.bob
    await ensure_guild(guild_id, scene.guild.name)
    await upsert_members(guild_id, [MemberInfo(bob.id, bob.name, None, is_org_member=True)])
    settings = make_settings(scene.settings_data)
    long_ago = fake_discord.clock.now() - timedelta(days=90)
    loan = await issue_loan(
        guild_id,
        bob.id,
        "10",
        officer_id=scene.ace.id,
        settings=settings.plugin_settings("loans", guild_id),
        at=long_ago,
    )
    plugins = PluginManager(builtins=PLUGINS, entry_point_group=None)
    async with fake_discord.serve(), running_bot(fake_discord, settings, plugins):
        for _ in range(200):
            if scene.notices.messages:
                break
            await asyncio.sleep(0.01)
        assert f"Loan **#{loan.id}**" in scene.notices.messages[0].text
    assert (await Loan.get(id=loan.id)).status == LoanStatus.DEFAULTED
    await check_books(guild_id)


async def test_stopping_the_bot_mid_check_logs_no_traceback(
    fake_discord: FakeDiscord, db: Database, monkeypatch, caplog
):
    """The bot stops while the overdue check is in its first guild: no traceback for that
    guild nor for the ones after it (about one per guild at 1,000 guilds, before)."""
    scene = build_scene(fake_discord)
    for n in range(3):  # more guilds with loans on, after the one being checked
        fake_discord.guild(f"More {n}")
    settings = make_settings(scene.settings_data)
    plugins = PluginManager(builtins=PLUGINS, entry_point_group=None)
    inside, release = asyncio.Event(), asyncio.Event()
    checked: list[int] = []

    async def stopped_database(guild_id: int, **_: Any) -> list[Any]:
        checked.append(guild_id)
        inside.set()
        await release.wait()
        raise OperationalError("connection is closed")  # what a closed pool answers

    monkeypatch.setattr(watch, "mark_overdue", stopped_database)
    caplog.set_level(logging.INFO, logger="plugins.loans")
    async with fake_discord.serve(), running_bot(fake_discord, settings, plugins) as bot:
        round_ = asyncio.create_task(check_all(bot))
        await inside.wait()
        await bot.close()
        release.set()
        assert await round_ == []
    assert len(checked) == 1
    assert [r for r in caplog.records if r.name.startswith("plugins.loans")] == []


async def test_a_failing_guild_is_logged_and_the_others_checked(
    fake_discord: FakeDiscord, db: Database, monkeypatch, caplog
):
    """While the bot runs, a guild whose check fails is logged, and the round goes on."""
    scene = build_scene(fake_discord)
    settings = make_settings(scene.settings_data)
    plugins = PluginManager(builtins=PLUGINS, entry_point_group=None)
    checked: list[int] = []

    async def failing(guild_id: int, **_: Any) -> list[Any]:
        checked.append(guild_id)
        raise OperationalError("the database is away")

    monkeypatch.setattr(watch, "mark_overdue", failing)
    async with fake_discord.serve(), running_bot(fake_discord, settings, plugins) as bot:
        assert await check_all(bot) == []
        assert len(checked) == len(bot.guilds) == 2
    failures = [r for r in caplog.records if r.name == "plugins.loans.watch"]
    assert len(failures) == 2 and all(r.exc_info for r in failures)
