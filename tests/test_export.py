"""`redlegion export --guild ID`: what a treasurer hands an auditor, as a user runs it."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from core import members
from core.events import VoiceStateEvent
from plugins.economy import materials, trades
from plugins.loans import lending, repayments
from plugins.loans.settings import LoansSettings
from plugins.mining import channels, events, payroll, yields
from plugins.mining.settings import MiningSettings
from plugins.mining.voice import VoiceTracker
from storage import Database
from tests.test_cli import redlegion

T0 = datetime(2026, 1, 4, 18, 0, tzinfo=UTC)
GUILD, OTHER = 8001, 8002
ROCKS = 11
ALICE, BOB, TREASURER = 701, 702, 703
HOSTILE_NAME = '=HYPERLINK("http://evil.example","click")'


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def voice(tracker: VoiceTracker, guild: int, user: int, before, after, minutes) -> None:
    await tracker.handle(
        VoiceStateEvent(
            guild_id=guild,
            user_id=user,
            before_channel_id=before,
            after_channel_id=after,
            is_bot=False,
            afk_channel_id=None,
            at=at(minutes),
        )
    )


async def an_op_a_loan_and_a_trade(guild: int, name: str) -> None:
    await members.ensure_guild(guild, "Red Legion")
    await members.upsert_members(
        guild,
        [
            members.MemberInfo(ALICE, "alice", HOSTILE_NAME, is_org_member=True),
            members.MemberInfo(BOB, "bob", "Bob", is_org_member=True),
            members.MemberInfo(TREASURER, "tess", "Tess", is_org_member=True),
        ],
    )
    await channels.add_channel(guild, ROCKS, "Rocks", voice_channel_ids={ROCKS})
    event = await events.create_event(guild, name=name, at=at(0))
    await events.start_event(guild, event.id, at=at(0))
    tracker = VoiceTracker()
    await voice(tracker, guild, ALICE, None, ROCKS, 0)
    await voice(tracker, guild, BOB, None, ROCKS, 30)
    await events.stop_event(guild, event.id, at=at(90))
    await yields.add_yields(
        guild, event.id, [yields.YieldInput("Quantanium", "32", value="100000")]
    )
    rules = MiningSettings(org_cut_percent=Decimal("10"), min_minutes_to_qualify=0)
    await payroll.commit(guild, event.id, settings=rules, at=at(100), actor_id=TREASURER)
    loan = await lending.issue_loan(
        guild, BOB, "5000", officer_id=TREASURER, settings=LoansSettings(), at=at(120)
    )
    await repayments.repay(guild, loan.id, "1000", payer_id=BOB, at=at(200))
    await trades.record_trade(
        guild,
        side="sell",
        material=await materials.find_material("Laranite"),
        quantity_scu="10",
        unit_price="30",
        counterparty="-1+1 traders",
        actor_id=TREASURER,
        at=at(300),
    )


async def test_export_writes_every_table_as_csv_and_json(db: Database, tmp_path: Path):
    await an_op_a_loan_and_a_trade(GUILD, "Sunday op")
    await an_op_a_loan_and_a_trade(OTHER, "Their op")
    out = tmp_path / "audit"
    result = redlegion(
        "export", "--guild", str(GUILD), "--out", str(out), "--database-url", db.url, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    expected = {
        "members",
        "ledger",
        "trades",
        "mining_events",
        "mining_participation",
        "mining_member_times",
        "mining_yields",
        "mining_expenses",
        "mining_payouts",
        "loans",
        "loan_repayments",
    }
    assert {p.stem for p in out.glob("*.csv")} == expected
    document = json.loads((out / "export.json").read_text())
    assert document["guild"]["id"] == GUILD
    tables = document["tables"]
    assert set(tables) == expected

    # only this guild's rows: its one event, not the other guild's
    assert [e["event_name"] for e in tables["mining_events"]] == ["Sunday op"]
    # the ledger balances to the cent, and holds payroll, the loan and the trade
    assert sum(Decimal(e["amount_auec"]) for e in tables["ledger"]) == 0
    kinds = {e["kind"] for e in tables["ledger"]}
    assert {"payroll", "loan_disbursement", "loan_repayment", "sale"} <= kinds
    payouts = tables["mining_payouts"]
    assert sorted(p["user_id"] for p in payouts) == [ALICE, BOB]
    assert sum(Decimal(p["share_auec"]) for p in payouts) == Decimal("90000.00")
    assert [r["amount_auec"] for r in tables["loan_repayments"]] == ["1000.00"]
    sessions = tables["mining_participation"]
    assert {s["user_id"] for s in sessions} == {ALICE, BOB}

    # the CSV holds the same rows, and a member's formula stays text for the spreadsheet
    with (out / "members.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    alice = next(r for r in rows if r["user_id"] == str(ALICE))
    assert alice["display_name"] == "'" + HOSTILE_NAME
    with (out / "trades.csv").open(newline="") as f:
        trade = next(csv.DictReader(f))
    assert trade["counterparty"] == "'-1+1 traders"
    with (out / "ledger.csv").open(newline="") as f:
        ledger_rows = list(csv.DictReader(f))
    assert len(ledger_rows) == len(tables["ledger"])
    assert sum(Decimal(r["amount_auec"]) for r in ledger_rows) == 0  # negatives stay numbers


async def test_export_of_an_unknown_guild_is_refused(db: Database, tmp_path: Path):
    result = redlegion(
        "export",
        "--guild",
        "424242",
        "--out",
        str(tmp_path / "x"),
        "--database-url",
        db.url,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "no guild 424242" in result.stderr
    assert not (tmp_path / "x").exists()
