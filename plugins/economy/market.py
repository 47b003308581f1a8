"""Live market prices from UEX: reference prices kept current, and where a material sells best.

One sync reads everything first (commodities, the refined and raw per-terminal sell prices,
the terminals), then applies it in one transaction, so a UEX failure at any point changes
nothing. Commodity averages go through `prices.import_prices`, the very code of the file
import: unknown materials are skipped and counted, a sell price of 0 keeps the price in effect,
and a jump of more than `MAX_JUMP` times is held (reported, not applied) unless the operator
accepts it. Per-terminal prices are kept as the latest per material and terminal.

Prices are global, and several bot processes may share one PostgreSQL: a lease row
(`uex_sync_state`, taken with one conditional UPDATE) lets one process sync at a time, and its
`next_due_at` keeps the others from syncing again right after it.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core.errors import InvalidState
from plugins.economy.ledger import utc
from plugins.economy.materials import MaterialIndex, check_price, material_index, normalize
from plugins.economy.models import MarketSellPrice, Material, UexSyncState
from plugins.economy.prices import ImportSummary, PriceRow, _price, import_prices
from plugins.economy.settings import EconomySettings
from plugins.economy.uex import (
    Commodity,
    Market,
    Terminal,
    UexClient,
    UexError,
    reported_at,
)

MAX_JUMP = Decimal(10)
SOURCE = "uex"
STATE_ID = 1
# the first retry after a failure; doubled per failure, never beyond the sync interval
FIRST_RETRY = timedelta(minutes=1)


# -- which UEX commodity is which of our materials -------------------------------------------


@dataclass
class CommodityMap:
    """UEX commodity id → our material, and what was left out."""

    materials: dict[int, Material] = field(default_factory=dict)
    # minerals we do not have: skipped and counted, as in the file import
    unknown: list[Commodity] = field(default_factory=list)
    # the raw (or refined) twin of a material another UEX commodity already is
    twins: list[tuple[Commodity, Material]] = field(default_factory=list)


def map_commodities(commodities: Sequence[Commodity], index: MaterialIndex) -> CommodityMap:
    """Each UEX commodity to the material of the same name, one commodity per material.

    UEX lists a refined material and its raw ore under one code ("Laranite" and "Laranite
    (Raw)", each the other's `id_parent`). Our materials are what the org sells: the refined
    metal, and gems as mined. A raw form only ever maps to a material of its own name; when two
    commodities land on one material (an alias matching the raw name), the one whose own name
    is the material's, else the refined one, wins and the other is set aside as its twin, so
    the ore price never overwrites the metal's, nor the other way round.
    """
    result = CommodityMap()
    by_material: dict[int, list[Commodity]] = {}
    found: dict[int, Material] = {}
    for commodity in commodities:
        material = index.exact(commodity.name)
        if material is None:
            if commodity.is_mineral:
                result.unknown.append(commodity)
            continue
        found[material.id] = material
        by_material.setdefault(material.id, []).append(commodity)
    for material_id, candidates in by_material.items():
        material = found[material_id]
        ranked = sorted(
            candidates,
            key=lambda c: (normalize(c.name) != normalize(material.name), bool(c.is_raw), c.id),
        )
        result.materials[ranked[0].id] = material
        result.twins += [(c, material) for c in ranked[1:]]
    # a raw form whose refined partner is ours, unknown by its own name: a twin, not unknown
    partner = {c.id: c.id_parent for c in commodities if c.id_parent}
    mapped_ids = set(result.materials)
    twins = [c for c in result.unknown if partner.get(c.id) in mapped_ids]
    result.unknown = [c for c in result.unknown if c not in twins]
    result.twins += [(c, result.materials[partner[c.id]]) for c in twins]
    return result


# -- one sync ----------------------------------------------------------------------------------


@dataclass
class SyncReport:
    prices: ImportSummary
    mapping: CommodityMap
    places_new: int = 0
    places_changed: int = 0
    places_unchanged: int = 0
    places_removed: int = 0
    # terminal rows for commodities that are not our materials, and rows with price 0
    rows_skipped: int = 0
    rows_zero: int = 0

    def describe(self) -> str:
        lines = [self.prices.describe("all servers (reference, from UEX)")]
        if self.mapping.twins:
            twins = self.mapping.twins
            names = ", ".join(f"{c.name} (twin of {m.name})" for c, m in twins[:6])
            more = f" and {len(twins) - 6} more" if len(twins) > 6 else ""
            lines.append(f"Raw or refined twins left out (one form per material): {names}{more}")
        if self.prices.no_price:
            names = ", ".join(self.prices.no_price[:8])
            lines.append(f"UEX gives no sell price (0) for {names}: their prices stay as they were")
        lines.append(
            f"Places to sell: {self.places_new} new, {self.places_changed} changed, "
            f"{self.places_unchanged} unchanged, {self.places_removed} no longer listed; "
            f"{self.rows_skipped} row(s) of other commodities and {self.rows_zero} at price 0 "
            "skipped."
        )
        if self.prices.held:
            lines.append(
                "Held prices are not applied: check them on uexcorp.space, then "
                "`redlegion prices sync --accept-jumps` applies them."
            )
        return "\n".join(lines)


async def apply_market(market: Market, *, at: datetime, accept_jumps: bool = False) -> SyncReport:
    """Apply what UEX said, all in one transaction."""
    when = utc(at)
    index = await material_index()
    mapping = map_commodities(market.commodities, index)
    rows = [
        PriceRow(
            f"UEX commodity #{c.id}",
            c.name,
            _price(c.price_sell, f"UEX commodity #{c.id}", "price_sell"),
            _price(c.price_buy, f"UEX commodity #{c.id}", "price_buy"),
        )
        for c in market.commodities
        if c.id in mapping.materials or c in mapping.unknown
    ]
    places = _places(market, mapping, when)
    async with in_transaction():
        summary = await import_prices(
            rows,
            guild_id=None,
            actor_id=None,
            at=when,
            source=SOURCE,
            max_jump=None if accept_jumps else MAX_JUMP,
        )
        report = SyncReport(
            summary, mapping, rows_skipped=places.skipped, rows_zero=len(places.zero)
        )
        await _store_places(places, report)
    return report


@dataclass
class Places:
    """The per-terminal rows to keep, by (material id, terminal id)."""

    rows: dict[tuple[int, int], MarketSellPrice] = field(default_factory=dict)
    # listed at price 0 now: the terminal does not buy it; its last figure stays, and ages
    zero: set[tuple[int, int]] = field(default_factory=set)
    skipped: int = 0


def _places(market: Market, mapping: CommodityMap, at: datetime) -> Places:
    terminals: dict[int, Terminal] = {t.id: t for t in market.terminals}
    places = Places()
    seen: dict[tuple[int, int], int] = {}
    for row in [*market.refined_prices, *market.raw_prices]:
        material = mapping.materials.get(row.id_commodity)
        if material is None:
            places.skipped += 1
            continue
        key = (material.id, row.id_terminal)
        price = check_price(row.price_sell or 0, what=f"price_sell at {row.terminal_name}")
        if not price:
            places.zero.add(key)
            continue
        if key in seen and seen[key] >= (row.date_modified or 0):
            continue  # listed twice: the later figure wins
        seen[key] = row.date_modified or 0
        terminal = terminals.get(row.id_terminal)
        places.rows[key] = MarketSellPrice(
            material_id=material.id,
            terminal_id=row.id_terminal,
            terminal_name=(terminal.nickname or terminal.name) if terminal else row.terminal_name,
            star_system=terminal.star_system_name if terminal else None,
            price_sell=price,
            scu_sell_stock=row.scu_sell_stock,
            reported_at=reported_at(row),
            synced_at=at,
        )
    return places


FIELDS = ("terminal_name", "star_system", "price_sell", "scu_sell_stock", "reported_at")


def _comparable(value: object) -> object:
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, Decimal | float):
        return Decimal(str(value))
    return value


async def _store_places(places: Places, report: SyncReport) -> None:
    """Latest per material and terminal: update what changed, add what is new, drop what UEX
    no longer lists (a complete read says so), keep what it lists at 0."""
    existing = {(p.material_id, p.terminal_id): p for p in await MarketSellPrice.all()}
    changed = []
    for key, new in places.rows.items():
        old = existing.get(key)
        if old is None:
            continue
        if any(_comparable(getattr(old, f)) != _comparable(getattr(new, f)) for f in FIELDS):
            for f in (*FIELDS, "synced_at"):
                setattr(old, f, getattr(new, f))
            changed.append(old)
        else:
            report.places_unchanged += 1
    if changed:
        await MarketSellPrice.bulk_update(changed, fields=[*FIELDS, "synced_at"])
    fresh = [p for key, p in places.rows.items() if key not in existing]
    if fresh:
        await MarketSellPrice.bulk_create(fresh)
    gone = [
        p.id for key, p in existing.items() if key not in places.rows and key not in places.zero
    ]
    if gone:
        await MarketSellPrice.filter(id__in=gone).delete()
    report.places_new, report.places_changed, report.places_removed = (
        len(fresh),
        len(changed),
        len(gone),
    )


# -- one process at a time ---------------------------------------------------------------------


def holder_id() -> str:
    """This process, as the lease names it."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def _state() -> UexSyncState:
    state = await UexSyncState.get_or_none(id=STATE_ID)
    if state is None:
        try:
            state = await UexSyncState.create(id=STATE_ID)
        except IntegrityError:  # another process made it first
            state = await UexSyncState.get(id=STATE_ID)
    return state


async def sync_state() -> UexSyncState | None:
    return await UexSyncState.get_or_none(id=STATE_ID)


async def claim(holder: str, now: datetime, *, ttl: timedelta, due_only: bool) -> bool:
    """Take the lease (one conditional UPDATE): free, expired or already ours, and, for the
    background task, only once the next sync is due."""
    now = utc(now)
    await _state()
    query = UexSyncState.filter(
        Q(holder__isnull=True) | Q(lease_until__lt=now) | Q(holder=holder), id=STATE_ID
    )
    if due_only:
        query = query.filter(Q(next_due_at__isnull=True) | Q(next_due_at__lte=now))
    return await query.update(holder=holder, lease_until=now + ttl, last_attempt_at=now) == 1


async def release(
    holder: str, now: datetime, *, error: str | None, next_due: timedelta, retry_after: float | None
) -> datetime:
    """Give the lease back and say when the next sync is due; returns that time."""
    now = utc(now)
    state = await _state()
    if error is None:
        due = now + next_due
        fields = {"last_success_at": now, "last_error": "", "failures": 0}
    else:
        failures = state.failures + 1
        backoff = min(FIRST_RETRY * 2 ** min(failures - 1, 16), next_due or FIRST_RETRY)
        due = now + max(backoff, timedelta(seconds=retry_after or 0))
        fields = {"last_error": error[:1000], "failures": failures}
    await UexSyncState.filter(id=STATE_ID, holder=holder).update(
        holder=None, lease_until=None, next_due_at=due, **fields
    )
    return due


def client_for(settings: EconomySettings, env: dict[str, str] | None = None) -> UexClient:
    """The UEX client the settings describe; `$UEX_API_TOKEN` wins over the config's token."""
    env = dict(os.environ) if env is None else env
    token = env.get("UEX_API_TOKEN") or (
        settings.uex_token.get_secret_value() if settings.uex_token else None
    )
    return UexClient(settings.uex_base_url, token, settings.uex_timeout_seconds)


@dataclass(frozen=True)
class Outcome:
    report: SyncReport | None  # None: not due, or another process holds the lease
    next_due: datetime | None


async def run_sync(
    settings: EconomySettings,
    *,
    holder: str,
    at: datetime,
    due_only: bool,
    accept_jumps: bool = False,
    client: UexClient | None = None,
) -> Outcome:
    """Claim, read UEX, apply, release. A UexError (and any refusal of the data) propagates
    after the failure is recorded; nothing of the market was changed then."""
    client = client or client_for(settings)
    interval = timedelta(minutes=settings.uex_sync_minutes or 60)
    ttl = timedelta(seconds=settings.uex_timeout_seconds * 4 + 60)
    if not await claim(holder, at, ttl=ttl, due_only=due_only):
        return Outcome(None, None)
    try:
        market = await client.market()
        report = await apply_market(market, at=at, accept_jumps=accept_jumps)
    except UexError as exc:
        await release(holder, at, error=exc.message, next_due=interval, retry_after=exc.retry_after)
        raise
    except Exception as exc:
        await release(
            holder, at, error=str(exc) or type(exc).__name__, next_due=interval, retry_after=None
        )
        raise
    due = await release(holder, at, error=None, next_due=interval, retry_after=None)
    return Outcome(report, due)


async def sync_now(
    settings: EconomySettings, *, at: datetime, accept_jumps: bool = False
) -> SyncReport:
    """The operator's sync: at once, whatever is due, unless another process is at it."""
    outcome = await run_sync(
        settings, holder=holder_id(), at=at, due_only=False, accept_jumps=accept_jumps
    )
    if outcome.report is None:
        state = await sync_state()
        until = (
            f" (its lease ends {state.lease_until:%H:%M:%S} UTC)"
            if state and state.lease_until
            else ""
        )
        raise InvalidState(
            f"another process is syncing UEX prices right now{until}; try again later"
        )
    return outcome.report


# -- reading it back -------------------------------------------------------------------------


async def best_places(material_id: int, limit: int = 3) -> list[MarketSellPrice]:
    """Where the material sells for most, per UEX (sorted here: SQLite keeps decimals as text)."""
    rows = await MarketSellPrice.filter(material_id=material_id)
    rows.sort(key=lambda p: (-Decimal(str(p.price_sell)), p.terminal_name, p.terminal_id))
    return rows[:limit]
