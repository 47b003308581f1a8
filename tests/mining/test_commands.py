"""/mining through the local Discord stand-in: the real bot, members in voice, slash commands."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import discord
import pytest

from core import confirm
from core.bot import RedLegionBot
from core.plugins import PluginManager
from core.standin import running_bot
from fakediscord import Channel, FakeDiscord, File, Guild, Member
from plugins.economy import ledger
from plugins.mining.models import MiningEvent, MiningParticipation, MiningPayout, MiningYield
from storage import Database
from tests.support import make_settings


@dataclass
class Op:
    world: FakeDiscord
    guild: Guild
    rocks: Channel
    refinery: Channel
    lounge: Channel
    afk: Channel
    officer: Member
    treasurer: Member
    crew: list[Member]
    outsider: Member  # in the guild, not in the org
    other_boss: Member  # an admin of another guild
    bot: RedLegionBot

    def minutes(self, n: float) -> None:
        self.world.clock.advance(minutes=n)


@pytest.fixture
async def op(fake_discord: FakeDiscord, db: Database) -> AsyncIterator[Op]:
    world = fake_discord
    guild = world.guild("Red Legion")
    org = guild.role("Member")
    officer_role, treasurer_role = guild.role("Officer"), guild.role("Treasurer")
    rocks, refinery = guild.voice("Rocks"), guild.voice("Refinery")
    lounge, afk = guild.voice("Lounge"), guild.voice("AFK", afk=True)
    officer = guild.member("Foreman", roles=[org, officer_role])
    treasurer = guild.member("Banker", roles=[org, treasurer_role])
    crew = [guild.member(name, roles=[org]) for name in ("Ace", "Bishop", "Cricket", "Dagger")]
    outsider = guild.member("Visitor")
    other = world.guild("Blue Fleet")
    lead = other.role("Lead", permissions=discord.Permissions(manage_guild=True))
    other_boss = other.member("Boss", roles=[lead])
    settings = make_settings(
        {
            # a sign of life every 50 ms (real time) stamps the virtual clock's time
            "mining": {"heartbeat_seconds": 0.05},
            "guilds": {
                str(guild.id): {
                    "org_role": org.id,
                    "roles": {"officer": [officer_role.id], "treasurer": [treasurer_role.id]},
                    "mining": {"org_cut_percent": 10},
                }
            },
        }
    )
    plugins = PluginManager(entry_point_group=None)
    async with world.serve(), running_bot(world, settings, plugins) as bot:
        yield Op(
            world,
            guild,
            rocks,
            refinery,
            lounge,
            afk,
            officer,
            treasurer,
            crew,
            outsider,
            other_boss,
            bot,
        )


async def setup_channels(op: Op) -> None:
    for channel in (op.rocks, op.refinery):
        reply = await op.officer.slash("mining channel add", channel=channel)
        assert "now counts as a mining channel" in reply.text


async def created(op: Op, **options: str) -> int:
    reply = await op.officer.slash("mining event create", **options)
    assert reply.text.startswith("Planned **#"), reply.text
    return int(reply.text.split("#", 1)[1].split(" ", 1)[0])


async def test_a_sunday_op_from_voice_to_payout(op: Op):
    ace, bishop, cricket, dagger = op.crew
    await setup_channels(op)
    await ace.join(op.rocks)  # already there when the op starts
    event = await created(op, name="Sunday op", description="Aaron Halo")
    started = await op.officer.slash("mining event start", event=event)
    assert "has started. 1 member(s) already in mining channels" in started.text
    op.minutes(10)
    await bishop.join(op.rocks)
    await cricket.join(op.lounge)  # not a mining channel
    op.minutes(20)
    await bishop.move(op.refinery)
    await dagger.join(op.refinery)
    op.minutes(30)
    await dagger.move(op.afk)  # AFK stops his time
    await cricket.move(op.rocks)
    op.minutes(30)
    show = await ace.slash("mining event show", event=event)
    assert "1h 30m 00s  in channel" in show.text and "Dagger" in show.text
    # a Discord timestamp: each member's client shows it in their own time zone
    began = (await MiningEvent.get(id=event)).started_at
    assert f"Started <t:{int(began.timestamp())}:f>" in show.text and " UTC" not in show.text
    stopped = await op.officer.slash("mining event stop", event=event)
    assert "is over after 1h 30m 00s with 4 participant(s)" in stopped.text
    open_sessions = await MiningParticipation.filter(session_end__isnull=True).count()
    assert open_sessions == 0

    added = await op.officer.slash(
        "mining yield add", event=event, material="Quantainium", scu="20", member=bishop
    )
    assert "Recorded 20.00 SCU of Quantainium for" in added.text
    assert "worth 176,000.00 aUEC" in added.text
    imported = await op.officer.slash(
        "mining yield import",
        event=event,
        file=File("haul.csv", b"material,scu,price\nGold,10,6400\nLaranite,4,\n"),
    )
    assert "Recorded 2 yield line(s) from haul.csv" in imported.text
    assert f"Event #{event} is worth 252,400.00 aUEC" in imported.text
    expense = await op.officer.slash(
        "mining expense add", event=event, amount="2400", paid_by=cricket, kind="refinery"
    )
    assert "repaid at payroll" in expense.text

    preview = await op.treasurer.slash("mining payroll preview", event=event)
    assert "(preview, nothing written" in preview.text
    assert "= **225,000.00 aUEC** shared" in preview.text
    asked = await op.treasurer.slash("mining payroll commit", event=event)
    assert "Commit this payroll?" in asked.text and await MiningPayout.all().count() == 0
    committed = await op.treasurer.click(asked, confirm.CONFIRM_ID)
    assert "(committed, by time in channel)" in committed.text
    # 90 + 80 + 30 + 30 minutes of 225,000.00; Cricket also gets his 2,400.00 back
    rows = [line.split() for line in committed.text.splitlines()]
    assert ["Ace", "1h", "30m", "00s", "88,043.48", "88,043.48"] in rows
    assert ["Cricket", "30m", "00s", "29,347.83", "2,400.00", "31,747.83"] in rows
    assert ["Dagger", "30m", "00s", "29,347.82", "29,347.82"] in rows  # the cent went to Cricket
    assert await ledger.balance(op.guild.id, ledger.TREASURY) == Decimal("250000.00") + 2400

    again = await op.treasurer.slash("mining payroll commit", event=event)
    assert again.ephemeral and "was already committed" in again.text
    paid = await op.treasurer.slash("mining payout mark-paid", event=event, member=ace)
    assert "Marked 1 payout(s) paid (88,043.48 aUEC)" in paid.text
    listed = await ace.slash("mining payout list", event=event)
    assert "paid" in listed.text and "owed" in listed.text

    pdf = await op.officer.slash("mining report event", event=event)
    assert pdf.files and pdf.files[0].name.endswith(".pdf")
    assert pdf.files[0].data.startswith(b"%PDF")
    assert (await MiningEvent.get(id=event)).pdf_generated


async def test_members_cannot_run_officer_commands_and_nothing_changes(op: Op):
    ace = op.crew[0]
    reply = await ace.slash("mining channel add", channel=op.rocks)
    assert reply.ephemeral
    assert "/mining channel add needs the officer level; you have member" in reply.text
    event = await created(op)
    for command in ("mining event start", "mining event stop", "mining event cancel"):
        refused = await ace.slash(command, event=event)
        assert "needs the officer level" in refused.text
    refused = await op.officer.slash("mining payroll commit", event=event)
    assert "needs the treasurer level; you have officer" in refused.text
    assert (await MiningEvent.get(id=event)).status == "planned"
    listed = await ace.slash("mining channel list")
    assert "No mining channels yet" in listed.text


async def test_refusals_name_the_state_and_change_nothing(op: Op):
    await setup_channels(op)
    event = await created(op)
    stop = await op.officer.slash("mining event stop", event=event)
    assert stop.ephemeral and "is planned: only a active event can be stopped" in stop.text
    await op.officer.slash("mining event start", event=event)
    second = await created(op, name="Second")
    refused = await op.officer.slash("mining event start", event=second)
    assert f"Event #{event} (Sunday Mining) is already active" in refused.text
    bad = await op.officer.slash("mining yield add", event=event, material="Unobtainium", scu="5")
    assert bad.ephemeral and "No material called 'Unobtainium'" in bad.text
    bad = await op.officer.slash("mining yield add", event=event, material="Gold", scu="-5")
    assert "SCU must not be negative" in bad.text
    bad = await op.officer.slash("mining yield add", event=event, material="Gold", scu="99999999")
    assert "a typo?" in bad.text
    assert await MiningYield.all().count() == 0
    when = await op.officer.slash("mining event create", when="next week")
    assert when.ephemeral and "is not a date and time" in when.text
    assert await MiningEvent.all().count() == 2


async def test_another_guilds_event_is_not_found(op: Op):
    await setup_channels(op)
    mine = await created(op)
    reply = await op.other_boss.slash("mining event start", event=mine)
    assert reply.ephemeral and f"There is no mining event #{mine} in this server." in reply.text
    assert (await MiningEvent.get(id=mine)).status == "planned"


async def test_autocomplete_offers_this_guilds_events_and_materials(op: Op):
    first = await created(op, name="Sunday Mining")
    second = await created(op, name="Aaron Halo run")
    await op.officer.slash("mining event start", event=first)
    choices = await op.officer.autocomplete("mining event stop", event="")
    assert [c.value for c in choices] == [first]
    choices = await op.officer.autocomplete("mining event start", event="halo")
    assert [(c.value, c.name.split(" · ")[0]) for c in choices] == [
        (second, f"#{second} Aaron Halo run")
    ]
    materials = await op.officer.autocomplete(
        "mining yield add", {"event": first, "material": "quan"}, focused="material"
    )
    assert "Quantainium" in [c.value for c in materials]


async def test_channel_must_be_this_guilds_voice_channel_and_not_afk(op: Op):
    reply = await op.officer.slash("mining channel add", channel=op.afk)
    assert reply.ephemeral and "AFK channel" in reply.text
    removed = await op.officer.slash("mining channel remove", channel=op.lounge)
    assert removed.ephemeral and "is not an approved mining channel" in removed.text


async def test_bots_in_voice_are_ignored(op: Op):
    await setup_channels(op)
    event = await created(op)
    await op.officer.slash("mining event start", event=event)
    music = op.guild.member("Jukebox", bot=True)
    await music.join(op.rocks)
    op.minutes(5)
    await music.leave()
    assert await MiningParticipation.filter(event_id=event).count() == 0


async def test_org_membership_comes_from_the_org_role(op: Op):
    await setup_channels(op)
    event = await created(op)
    await op.officer.slash("mining event start", event=event)
    await op.crew[0].join(op.rocks)
    await op.outsider.join(op.rocks)
    rows = (
        await MiningParticipation.filter(event_id=event)
        .order_by("id")
        .values_list("user_id", "is_org_member")
    )
    assert rows == [(op.crew[0].id, True), (op.outsider.id, False)]


async def test_donation_through_the_command(op: Op):
    ace, bishop = op.crew[:2]
    await setup_channels(op)
    event = await created(op)
    await op.officer.slash("mining event start", event=event)
    await ace.join(op.rocks)
    await bishop.join(op.rocks)
    op.minutes(60)
    await op.officer.slash("mining event stop", event=event)
    await op.officer.slash("mining yield add", event=event, material="Gold", scu="1", value="1000")
    thanks = await ace.slash("mining payroll donate", event=event)
    assert thanks.ephemeral and "goes to the other participants" in thanks.text
    preview = await op.treasurer.slash("mining payroll preview", event=event, mode="equal")
    assert "donated" in preview.text and "900.00" in preview.text


async def heartbeat_at(event_id: int, at: datetime) -> None:
    for _ in range(200):
        if await MiningEvent.get(id=event_id).values_list("last_seen_at", flat=True) == at:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no heartbeat")


async def test_restart_mid_op_reconciles_voice(op: Op, fake_discord: FakeDiscord):
    ace, bishop, cricket, _ = op.crew
    await setup_channels(op)
    event = await created(op)
    await op.officer.slash("mining event start", event=event)
    await ace.join(op.rocks)
    await bishop.join(op.rocks)
    op.minutes(30)
    down_at = op.world.clock.now()
    await heartbeat_at(event, down_at)
    settings, plugins = op.bot.settings, op.bot.plugins
    await op.bot.close()
    op.minutes(10)
    await bishop.leave()  # while the bot is down
    await cricket.join(op.refinery)
    op.minutes(5)
    async with running_bot(fake_discord, settings, plugins):
        restart_at = op.world.clock.now()
        rows = (
            await MiningParticipation.filter(event_id=event)
            .order_by("id")
            .values_list("user_id", "session_start", "session_end")
        )
        by_user = {uid: (start, end) for uid, start, end in rows}
        assert by_user[ace.id][1] is None  # still there: kept
        assert by_user[bishop.id][1] == down_at  # gone: closed at the last sign of life
        assert by_user[cricket.id] == (restart_at, None)  # arrived meanwhile: from the restart
        op.minutes(15)
        await ace.leave()
        ace_end = await MiningParticipation.get(event_id=event, user_id=ace.id).values_list(
            "session_end", flat=True
        )
        assert ace_end == op.world.clock.now()


async def test_an_officer_sets_a_members_time_by_hand(op: Op):
    ace, bishop = op.crew[:2]
    await setup_channels(op)
    event = await created(op)
    await op.officer.slash("mining event start", event=event)
    await ace.join(op.rocks)
    op.minutes(60)
    await op.officer.slash("mining event stop", event=event)
    await op.officer.slash("mining yield add", event=event, material="Gold", scu="1", value="1000")

    refused = await ace.slash(
        "mining time set", event=event, member=ace, minutes=600, reason="I was there"
    )
    assert refused.ephemeral and "needs the officer level; you have member" in refused.text
    too_long = await op.officer.slash(
        "mining time set", event=event, member=bishop, minutes=61, reason="x"
    )
    assert too_long.ephemeral and "61 minutes is longer than event" in too_long.text
    nothing = await op.officer.slash("mining time list", event=event)
    assert "all as the bot counted" in nothing.text

    done = await op.officer.slash(
        "mining time set", event=event, member=bishop, minutes=30, reason="no mic, was on the Mole"
    )
    assert f"{bishop.mention}'s time in event #{event} is now 30m 00s" in done.text
    assert "(the bot counted 0m 00s): no mic, was on the Mole" in done.text
    listed = await op.officer.slash("mining time list", event=event)
    assert "Bishop" in listed.text and "by Foreman" in listed.text
    show = await ace.slash("mining event show", event=event)
    assert "set by an officer" in show.text
    preview = await op.treasurer.slash("mining payroll preview", event=event)
    assert "600.00" in preview.text and "300.00" in preview.text  # 60 : 30 of 900.00
