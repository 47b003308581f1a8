"""The UEX price sync against the local UEX stand-in, on SQLite and PostgreSQL.

A sync reads everything, then applies it in one transaction: reference prices through the
file import's code, the best places to sell per material and terminal. Each way UEX fails
leaves every price exactly as it was and says so in one line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from core.errors import InvalidState
from fakeuex import FakeUex
from plugins.economy.market import (
    best_places,
    claim,
    client_for,
    run_sync,
    sync_now,
    sync_state,
)
from plugins.economy.market_watch import tick
from plugins.economy.models import MarketSellPrice, Material, PricePoint
from plugins.economy.settings import EconomySettings
from plugins.economy.uex import UexError
from storage import Database
from tests.economy.conftest import T0

D = Decimal


@pytest.fixture
def uex() -> Iterator[FakeUex]:
    with FakeUex().running() as server:
        yield server


@pytest.fixture
def settings(uex: FakeUex, monkeypatch: pytest.MonkeyPatch) -> EconomySettings:
    monkeypatch.delenv("UEX_API_TOKEN", raising=False)
    return EconomySettings(uex_base_url=uex.base_url, uex_timeout_seconds=0.5)


async def prices() -> dict[str, Decimal | None]:
    return dict(await Material.all().values_list("name", "current_market_value"))


async def snapshot() -> dict[str, Any]:
    """Everything a sync may touch, comparable before and after."""
    return {
        "materials": sorted(
            await Material.all().values_list("name", "current_market_value", "updated_at")
        ),
        "points": await PricePoint.all().count(),
        "places": sorted(
            (m, t, str(p), s)
            for m, t, p, s in await MarketSellPrice.all().values_list(
                "material_id", "terminal_id", "price_sell", "synced_at"
            )
        ),
    }


async def material(name: str) -> Material:
    return await Material.get(name=name)


async def test_sync_sets_reference_prices_history_and_places(db: Database, uex, settings):
    report = await sync_now(settings, at=T0)
    now = await prices()
    assert now["Laranite"] == D("2569.00") and now["Agricium"] == D("2321.00")
    assert now["Gold"] is None  # UEX said nothing of it: untouched
    lara = await material("Laranite")
    [point] = await PricePoint.filter(material_id=lara.id, source="uex")
    assert point.kind == "reference" and point.price == D("2569.00") and point.guild_id is None
    # a mineral we do not know is skipped and counted; a trade good is no mineral at all
    assert [c.name for c in report.mapping.unknown] == ["Aslarite"]
    assert report.prices.unknown == ["Aslarite"]
    text = report.describe()
    assert "1 not our materials (skipped)" in text and "Agricultural" not in text
    # best places: keyed by terminal id (two "Refinery Deck"s), system from /terminals
    places = await best_places(lara.id)
    assert [(p.terminal_id, p.terminal_name, p.star_system, p.price_sell) for p in places] == [
        (502, "Refinery Deck", "Pyro", D("2710.00")),
        (501, "Refinery Deck", "Stanton", D("2600.00")),
        (12, "TDD Area 18", "Stanton", D("2569.00")),
    ]
    assert places[0].scu_sell_stock == 12 and places[0].reported_at is not None
    assert places[0].reported_at.timestamp() == 1764700000
    state = await sync_state()
    assert state is not None and state.last_success_at == T0 and state.last_error == ""
    assert state.next_due_at == T0 + timedelta(minutes=60) and state.holder is None


async def test_raw_and_refined_forms_map_each_to_their_own_material(db: Database, uex, settings):
    """ "Laranite" and "Laranite (Raw)" share code LARA and point at each other: the ore's
    1,173 never becomes the metal's price, at a terminal or as the reference."""
    report = await sync_now(settings, at=T0)
    twins = {c.name: m.name for c, m in report.mapping.twins}
    assert twins == {"Laranite (Raw)": "Laranite", "Agricium (Ore)": "Agricium"}
    lara = await material("Laranite")
    assert (await material("Laranite")).current_market_value == D("2569.00")
    assert D("1173.00") not in {
        p.price_sell for p in await MarketSellPrice.filter(material_id=lara.id)
    }
    # a gem is sold as mined: its raw rows are its places
    apho = await material("Aphorite")
    assert [
        (p.terminal_id, p.price_sell, p.scu_sell_stock) for p in await best_places(apho.id)
    ] == [
        (502, D("230000.00"), None),
        (241, D("216115.00"), None),
    ]
    # an alias that names the raw form does not pull it onto the metal either
    lara.aliases = [*lara.aliases, "Laranite (Raw)"]
    await lara.save()
    uex.commodity("Laranite (Raw)")["price_sell"] = 1250
    again = await sync_now(settings, at=T0 + timedelta(hours=1))
    assert (await material("Laranite")).current_market_value == D("2569.00")
    assert ("Laranite (Raw)", "Laranite") in {(c.name, m.name) for c, m in again.mapping.twins}


async def test_sync_twice_changes_nothing_the_second_time(db: Database, uex, settings):
    await sync_now(settings, at=T0)
    before = await snapshot()
    ids = sorted(await MarketSellPrice.all().values_list("id", flat=True))
    report = await sync_now(settings, at=T0 + timedelta(hours=1))
    assert report.prices.changed == [] and report.places_new == report.places_changed == 0
    assert report.places_unchanged == len(ids) and report.places_removed == 0
    assert await snapshot() == before
    assert sorted(await MarketSellPrice.all().values_list("id", flat=True)) == ids


async def test_changed_figures_update_the_places_and_drop_unlisted_ones(db, uex, settings):
    await sync_now(settings, at=T0)
    lara = await material("Laranite")
    uex.terminal_price(47, 12)["price_sell"] = 2800
    uex.market["commodities_prices_all"] = [
        r for r in uex.market["commodities_prices_all"] if r["id_terminal"] != 241
    ]
    report = await sync_now(settings, at=T0 + timedelta(hours=1))
    assert report.places_changed == 1 and report.places_removed == 1
    places = await best_places(lara.id)
    assert [(p.terminal_id, p.price_sell) for p in places] == [
        (12, D("2800.00")),
        (502, D("2710.00")),
        (501, D("2600.00")),
    ]
    assert not await MarketSellPrice.filter(material_id=lara.id, terminal_id=241).exists()


async def test_price_zero_keeps_the_price_in_effect(db: Database, uex, settings):
    await sync_now(settings, at=T0)
    lara = await material("Laranite")
    uex.commodity("Laranite")["price_sell"] = 0
    uex.terminal_price(47, 502)["price_sell"] = 0
    report = await sync_now(settings, at=T0 + timedelta(hours=1))
    assert "Laranite" in report.prices.no_price
    assert "UEX gives no sell price (0) for Laranite: their prices stay" in report.describe()
    assert (await material("Laranite")).current_market_value == D("2569.00")
    # the terminal that lists it at 0 keeps its last figure, which ages
    kept = await MarketSellPrice.get(material_id=lara.id, terminal_id=502)
    assert kept.price_sell == D("2710.00") and kept.synced_at == T0
    assert report.rows_zero == 1


async def test_a_jump_beyond_ten_times_is_held_until_accepted(db: Database, uex, settings):
    report = await sync_now(settings, at=T0)
    # Aphorite: seeded at 15,000, UEX says 216,115 (more than 10x): held, shown, not applied
    assert report.prices.held == [("Aphorite", D("15000.00"), D("216115.00"))]
    assert (await material("Aphorite")).current_market_value is None
    text = report.describe()
    assert "1 held back" in text and "held: Aphorite: 15,000.00 → 216,115.00" in text
    assert "--accept-jumps" in text
    uex.commodity("Laranite")["price_sell"] = 256  # a tenth of 2,569, and a little less
    low = await sync_now(settings, at=T0 + timedelta(hours=1))
    assert ("Laranite", D("2569.00"), D("256.00")) in low.prices.held
    assert (await material("Laranite")).current_market_value == D("2569.00")
    accepted = await sync_now(settings, at=T0 + timedelta(hours=2), accept_jumps=True)
    assert accepted.prices.held == []
    now = await prices()
    assert now["Aphorite"] == D("216115.00") and now["Laranite"] == D("256.00")


FAULTS = [
    # (fault, options, endpoint, what the one line says)
    ("timeout", {"delay": 3}, "terminals", "did not answer /terminals within 0.5 s"),
    ("server_error", {"status": 503}, None, "UEX is failing (HTTP 503 on /commodities)"),
    ("rate_limit", {"retry_after": 120}, "commodities_raw_prices_all", "HTTP 429"),
    ("not_json", {}, "commodities", "invalid JSON for /commodities"),
    ("truncated", {}, "commodities_prices_all", "invalid JSON for /commodities_prices_all"),
    ("cut_off", {}, "commodities_prices_all", "answer to /commodities_prices_all was cut off"),
    ("missing_field", {}, "terminals", "malformed /terminals (row 4, id: Field required)"),
    ("status", {"status_text": "maintenance"}, None, "status 'maintenance'"),
]


@pytest.mark.parametrize(
    ("kind", "options", "endpoint", "said"), FAULTS, ids=[f[0] for f in FAULTS]
)
async def test_each_uex_failure_leaves_every_price_as_it_was(
    db: Database, uex, settings, kind, options, endpoint, said
):
    await sync_now(settings, at=T0)
    # UEX moved since: a sync that got through would change the reference and the places
    uex.commodity("Laranite")["price_sell"] = 2700
    uex.terminal_price(47, 12)["price_sell"] = 2999
    before = await snapshot()
    uex.fault(kind, endpoint, **options)
    later = T0 + timedelta(hours=1)
    with pytest.raises(UexError) as caught:
        await sync_now(settings, at=later)
    message = caught.value.message
    assert said in message and "\n" not in message
    assert await snapshot() == before
    state = await sync_state()
    assert state is not None and state.last_error == message and state.failures == 1
    assert state.last_success_at == T0 and state.holder is None
    # the next try: after UEX's Retry-After when it sent one, else the first back-off minute
    wait = timedelta(seconds=120) if kind == "rate_limit" else timedelta(minutes=1)
    assert state.next_due_at == later + wait
    uex.heal()
    await sync_now(settings, at=later + wait)
    assert (await material("Laranite")).current_market_value == D("2700.00")
    assert (await sync_state()).failures == 0  # type: ignore[union-attr]


async def test_the_token_goes_as_bearer_and_a_refusal_says_so(db: Database, uex, settings):
    uex.required_token = "s3cret-token"
    before = await snapshot()
    with pytest.raises(UexError) as missing:
        await sync_now(settings, at=T0)
    assert "UEX wants a token (HTTP 401 on /commodities)" in missing.value.message
    assert "UEX_API_TOKEN" in missing.value.message
    wrong = EconomySettings(uex_base_url=uex.base_url, uex_token="not-it")
    with pytest.raises(UexError) as refused:
        await run_sync(wrong, holder="h", at=T0, due_only=False, client=client_for(wrong, {}))
    assert "UEX refused the token (HTTP 401" in refused.value.message
    assert "not-it" not in refused.value.message and "not-it" not in repr(client_for(wrong, {}))
    assert await snapshot() == before
    # $UEX_API_TOKEN wins over the config's token
    client = client_for(wrong, {"UEX_API_TOKEN": "s3cret-token"})
    await run_sync(wrong, holder="h", at=T0, due_only=False, client=client)
    assert {r.authorization for r in uex.requests[-4:]} == {"Bearer s3cret-token"}
    assert (await material("Laranite")).current_market_value == D("2569.00")


async def test_one_process_at_a_time_and_once_per_interval(db: Database, uex, settings):
    # another process holds the lease: the operator is told, nothing is read
    assert await claim("shard-1", T0, ttl=timedelta(minutes=2), due_only=False)
    with pytest.raises(InvalidState, match="another process is syncing UEX prices right now"):
        await sync_now(settings, at=T0)
    assert uex.requests == []
    # its lease runs out (a crashed process): taken over
    await sync_now(settings, at=T0 + timedelta(minutes=3))
    # the task of another shard finds it done and not due for an hour
    quiet = await run_sync(settings, holder="shard-2", at=T0 + timedelta(minutes=30), due_only=True)
    assert quiet.report is None
    due = await run_sync(settings, holder="shard-2", at=T0 + timedelta(minutes=64), due_only=True)
    assert due.report is not None


async def test_two_processes_at_once_sync_once(db: Database, uex, settings):
    outcomes = await asyncio.gather(
        run_sync(settings, holder="shard-1", at=T0, due_only=True),
        run_sync(settings, holder="shard-2", at=T0, due_only=True),
    )
    assert sorted(o.report is not None for o in outcomes) == [False, True]
    assert len([r for r in uex.requests if r.path == "commodities"]) == 1


async def test_the_task_logs_a_failure_in_one_line_and_looks_again_later(
    db: Database, uex, settings, caplog
):
    hourly = settings.model_copy(update={"uex_sync_minutes": 60})
    uex.fault("rate_limit", retry_after=30)
    with caplog.at_level(logging.WARNING, logger="plugins.economy.market_watch"):
        wait = await tick(hourly, "shard-1", T0)
    [record] = [r for r in caplog.records if r.name == "plugins.economy.market_watch"]
    assert "UEX sync failed: UEX is rate-limiting us (HTTP 429" in record.getMessage()
    assert wait == 60  # looks again within a minute; the sync is due after Retry-After (30 s)
    assert (await sync_state()).next_due_at == T0 + timedelta(minutes=1)  # type: ignore[union-attr]
    uex.heal()
    assert await tick(hourly, "shard-1", T0 + timedelta(seconds=10)) == 50  # not due yet
    assert (await material("Laranite")).current_market_value is None
    await tick(hourly, "shard-1", T0 + timedelta(minutes=1))
    assert (await material("Laranite")).current_market_value == D("2569.00")


async def test_an_answer_larger_than_accepted_is_refused(db: Database, uex, settings, monkeypatch):
    monkeypatch.setattr("plugins.economy.uex.MAX_BODY_BYTES", 2000)
    before = await snapshot()
    with pytest.raises(UexError, match=r"answer to /commodities is larger than we accept"):
        await sync_now(settings, at=T0)
    assert await snapshot() == before
