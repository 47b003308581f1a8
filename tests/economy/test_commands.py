"""The economy's slash commands, driven through the Discord stand-in against the real bot."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from pypdf import PdfReader

from core import confirm
from core.plugins import PluginManager
from core.standin import running_bot
from fakediscord import FakeDiscord, File, Guild, Member
from plugins.economy import ledger
from plugins.economy.ledger import EXPENSES, INCOME, TREASURY, Line, TxKind, member
from plugins.economy.materials import find_material, price_of
from plugins.economy.models import GuildMaterialPrice, PricePoint, Trade, Transaction
from storage import Database
from tests.support import make_settings

D = Decimal


@dataclass
class Org:
    world: FakeDiscord
    guild: Guild
    other: Guild
    tess: Member  # treasurer
    otto: Member  # officer
    mia: Member  # member
    mallory: Member  # treasurer of the other guild


@pytest.fixture
async def org(db: Database) -> AsyncIterator[Org]:
    world = FakeDiscord()
    guild = world.guild("Red Legion")
    treasurer, officer = guild.role("Treasurer"), guild.role("Officer")
    other = world.guild("Blue Faction")
    other_treasurer = other.role("Treasurer")
    scene = Org(
        world,
        guild,
        other,
        tess=guild.member("Tess", roles=[treasurer]),
        otto=guild.member("Otto", roles=[officer]),
        mia=guild.member("Mia"),
        mallory=other.member("Mallory", roles=[other_treasurer]),
    )
    settings = make_settings(
        {
            "guilds": {
                str(guild.id): {"roles": {"treasurer": [treasurer.id], "officer": [officer.id]}},
                str(other.id): {"roles": {"treasurer": [other_treasurer.id]}},
            }
        }
    )
    plugins = PluginManager(builtins=("plugins.economy.plugin",), entry_point_group=None)
    async with world.serve(), running_bot(world, settings, plugins):
        for hidden in ("trade", "report"):  # opened to @everyone: the bot's own check refuses
            world.commands.allow_role(guild.id, hidden, guild.id)
        yield scene


async def test_price_check_lists_and_details_with_autocomplete(org: Org):
    choices = await org.mia.autocomplete("price check", material="qua")
    assert [c.name for c in choices][:2] == ["Quantainium", "Quartz"]
    table = await org.mia.slash("price check")
    assert "Quantainium: 8,800.00" in table.text and "Gem" in table.text
    detail = await org.mia.slash("price check", material="quantanium")
    assert "Quantainium" in detail.text and "8,800.00 aUEC" in detail.text
    assert not detail.ephemeral
    unknown = await org.mia.slash("price check", material="Larinite")
    assert unknown.ephemeral and "Did you mean Laranite" in unknown.text


async def test_price_set_needs_a_treasurer_and_stays_in_its_guild(org: Org):
    refused = await org.otto.slash("price set", material="Gold", price="7000")
    assert refused.ephemeral and "needs the treasurer level" in refused.text
    assert await GuildMaterialPrice.all().count() == 0
    done = await org.tess.slash("price set", material="gold", price="7,000.50")
    assert "Gold is now 7,000.50 aUEC per SCU" in done.text
    gold = await find_material("gold")
    assert await price_of(org.guild.id, gold) == D("7000.50")
    assert await price_of(org.other.id, gold) == D("6400.00")
    theirs = await org.mallory.slash("price check", material="gold")
    assert "6,400.00" in theirs.text and "7,000.50" not in theirs.text
    history = await org.mia.slash("price history", material="gold")
    assert "7,000.50" in history.text and "override" in history.text
    bad = await org.tess.slash("price set", material="gold", price="-5")
    assert bad.ephemeral and "must not be negative" in bad.text
    assert await price_of(org.guild.id, gold) == D("7000.50")
    cleared = await org.tess.slash("price clear", material="gold")
    assert "reference price again: 6,400.00" in cleared.text


async def test_price_import_attachment_all_or_nothing(org: Org):
    good = json.dumps(
        {
            "status": "ok",
            "data": [
                {"name": "Gold", "price_sell": 6500, "price_buy": 0},
                {"name": "Distilled Spirits", "price_sell": 300, "price_buy": 250},
            ],
        }
    ).encode()
    bad = good.replace(b'"price_sell": 300', b'"price_sell": -300')
    points = await PricePoint.all().count()
    refused = await org.tess.slash("price import", file=File("uex.json", bad))
    assert refused.ephemeral and "row 2" in refused.text and "negative" in refused.text
    assert await PricePoint.all().count() == points
    done = await org.tess.slash("price import", file=File("uex.json", good))
    assert "1 price(s) changed" in done.text and "Distilled Spirits" in done.text
    gold = await find_material("gold")
    assert await price_of(org.guild.id, gold) == D("6500.00")
    assert await price_of(org.other.id, gold) == D("6400.00")
    denied = await org.mia.slash("price import", file=File("uex.json", good))
    assert "needs the treasurer level" in denied.text


async def test_trade_sell_posts_to_the_ledger(org: Org):
    reply = await org.otto.slash(
        "trade sell", material="Quant", scu="32", price_per_scu="8,800", location="CRU-L1"
    )
    assert "Sold 32.00 SCU Quantainium" in reply.text and "281,600.00 aUEC" in reply.text
    assert await ledger.balance(org.guild.id, TREASURY) == D("281600.00")
    for_org = await org.otto.slash(
        "trade buy", material="Tin", scu="10", total="500", member=org.mia
    )
    assert "settled through their member account" in for_org.text
    assert await ledger.balance(org.guild.id, member(org.mia.id)) == D("-500.00")
    refused = await org.mia.slash("trade sell", material="Gold", scu="1", total="5")
    assert "needs the officer level" in refused.text
    bad = await org.otto.slash("trade sell", material="Gold", scu="1")
    assert bad.ephemeral and "either a price per SCU or a total" in bad.text
    assert await Trade.all().count() == 2


async def test_balance_is_private_and_own(org: Org):
    await org.otto.slash("trade buy", material="Tin", scu="2", total="150.25", member=org.mia)
    mine = await org.mia.slash("balance")
    assert mine.ephemeral and "The org owes you **150.25 aUEC**" in mine.text
    otto = await org.otto.slash("balance")
    assert "square with the org" in otto.text
    theirs = await org.mallory.slash("balance")
    assert "square with the org" in theirs.text


async def test_bank_statement_and_reverse_for_treasurers(org: Org):
    await org.otto.slash("trade sell", material="Gold", scu="1", price_per_scu="6400")
    await org.otto.slash("trade buy", material="Tin", scu="2", total="150.25", member=org.mia)
    statement = await org.tess.slash("bank statement", period="week")
    assert statement.ephemeral and "Treasury statement" in statement.text
    assert "6,400.00" in statement.text
    [csv_file] = statement.files
    assert csv_file.name == "statement.csv" and b"6400.00" in csv_file.data
    of_mia = await org.tess.slash("bank statement", member=org.mia, period="all")
    assert "Statement of Mia" in of_mia.text and "-150.25" in of_mia.text
    denied = await org.otto.slash("bank statement")
    assert "needs the treasurer level" in denied.text
    tx = await Transaction.filter(kind="sale").first()
    assert tx is not None
    asked = await org.tess.slash("bank reverse", transaction=tx.id, reason="wrong price")
    assert f"Reverse transaction #{tx.id} (sale" in asked.text
    undone = await org.tess.click(asked, confirm.CONFIRM_ID)
    assert f"Transaction #{tx.id} reversed" in undone.text
    again = await org.tess.slash("bank reverse", transaction=tx.id, reason="again")
    assert again.ephemeral and "already reversed" in again.text
    foreign = await org.mallory.slash("bank reverse", transaction=tx.id, reason="mine")
    assert foreign.ephemeral and "not found" in foreign.text
    assert await ledger.balance(org.guild.id, TREASURY) == D("0.00")


async def test_report_finances_embed_csv_and_pdf(org: Org):
    await org.otto.slash("trade sell", material="Gold", scu="10", price_per_scu="6400")
    guild_id = org.guild.id
    await ledger.post(
        guild_id,
        kind=TxKind.PAYROLL,
        memo="share",
        lines=[Line(EXPENSES, D("1000")), Line(member(org.mia.id), D("-1000"))],
        at=org.world.clock.now(),
    )
    reply = await org.otto.slash("report finances")
    assert "Income" in reply.text and "64,000.00 aUEC" in reply.text
    assert "Payroll credited to members" in reply.text
    names = sorted(f.name for f in reply.files)
    assert names[0].endswith(".csv") and names[1].endswith(".pdf")
    pdf = next(f for f in reply.files if f.name.endswith(".pdf"))
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert "Red Legion" in text and "Treasury balance" in text
    bad = await org.otto.slash("report finances", {"from": "yesterday"})
    assert bad.ephemeral and "YYYY-MM-DD" in bad.text
    denied = await org.mia.slash("report finances")
    assert "needs the officer level" in denied.text


async def test_a_long_statement_shows_the_latest_and_attaches_all(org: Org):
    guild_id = org.guild.id
    for i in range(30):
        lines = [Line(TREASURY, D(f"{i + 1}.00")), Line(INCOME, D(f"-{i + 1}.00"))]
        at = org.world.clock.now()
        await ledger.post(guild_id, kind=TxKind.SALE, memo=f"sale {i + 1}", lines=lines, at=at)
    reply = await org.tess.slash("bank statement", period="all")
    assert "earlier line(s): see the attached CSV" in reply.text
    assert "sale 30" in reply.text and "465.00 aUEC" in reply.text  # closing: 1 + … + 30
    [csv_file] = reply.files
    rows = csv_file.data.decode().splitlines()
    assert len(rows) == 32 and rows[-1].endswith(",30.00,465.00")  # header, opening, 30
