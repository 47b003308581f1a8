"""Setting prices: the operator's reference prices, a guild's own, and their history.

Every change writes a price point, so the history says who or what set which price when,
and the price in use always equals the latest point. An import file (UEX commodities JSON or a
CSV with the same columns) is checked whole before anything is applied: one malformed row and
nothing of that file changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core import uploads
from core.errors import InvalidInput, NotFound
from core.models import Guild
from plugins.economy.ledger import utc
from plugins.economy.materials import check_price, material_index, reference_price
from plugins.economy.models import GuildMaterialPrice, Material, PricePoint

MAX_IMPORT_BYTES = 5 * 1024 * 1024


class PointKind:
    BASE = "base"  # seeded with the material
    REFERENCE = "reference"  # the operator's market price, for every guild
    OVERRIDE = "override"  # a guild's own price
    CLEARED = "cleared"  # a guild's own price removed: back to the reference
    TRADE = "trade"  # a price seen in a recorded trade (history only)


# -- one price -----------------------------------------------------------------------------


async def _guild_exists(guild_id: int) -> None:
    if not await Guild.exists(id=guild_id):
        raise NotFound(f"server {guild_id} is not known to the bot")


async def set_guild_price(
    guild_id: int,
    material: Material,
    price: Decimal | str,
    *,
    actor_id: int | None,
    at: datetime,
    source: str = "manual",
) -> PricePoint:
    """A treasurer's price for this guild, used instead of the reference price."""
    price = check_price(price, what=f"price of {material.name}")
    when = utc(at)
    await _guild_exists(guild_id)
    async with in_transaction():
        await _upsert_guild_prices(guild_id, {material.id: price}, source, actor_id, when)
        return await PricePoint.create(
            material_id=material.id,
            guild_id=guild_id,
            kind=PointKind.OVERRIDE,
            price=price,
            source=source,
            actor_id=actor_id,
            at=when,
        )


async def clear_guild_price(
    guild_id: int, material: Material, *, actor_id: int | None, at: datetime
) -> Decimal | None:
    """Drop the guild's own price; returns the reference price the guild falls back to."""
    when = utc(at)
    async with in_transaction():
        own = GuildMaterialPrice.filter(guild_id=guild_id, material_id=material.id)
        removed = await own.delete()
        if not removed:
            raise NotFound(f"this server has no price of its own for {material.name}")
        fallback = reference_price(material)
        await PricePoint.create(
            material_id=material.id,
            guild_id=guild_id,
            kind=PointKind.CLEARED,
            price=fallback or Decimal("0.00"),
            source="manual",
            actor_id=actor_id,
            note="own price removed: the reference price applies",
            at=when,
        )
    return fallback


async def _upsert_guild_prices(
    guild_id: int,
    prices: dict[int, Decimal],
    source: str,
    actor_id: int | None,
    at: datetime,
) -> None:
    existing = {
        row.material_id: row
        for row in await GuildMaterialPrice.filter(guild_id=guild_id, material_id__in=list(prices))
    }
    changed = []
    for material_id, price in prices.items():
        row = existing.get(material_id)
        if row is not None:
            row.price, row.source, row.actor_id, row.updated_at = price, source, actor_id, at
            changed.append(row)
    if changed:
        await GuildMaterialPrice.bulk_update(
            changed, fields=["price", "source", "actor_id", "updated_at"]
        )
    new = [
        GuildMaterialPrice(
            guild_id=guild_id,
            material_id=material_id,
            price=price,
            source=source,
            actor_id=actor_id,
            updated_at=at,
        )
        for material_id, price in prices.items()
        if material_id not in existing
    ]
    if new:
        await GuildMaterialPrice.bulk_create(new)


# -- history -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceNow:
    material: Material
    price: Decimal | None
    # guild, market or base
    source: str
    updated_at: datetime | None


async def prices_now(guild_id: int, materials: Sequence[Material]) -> list[PriceNow]:
    """Each material's price in this guild and where it comes from (two queries)."""
    own = {
        row.material_id: row
        for row in await GuildMaterialPrice.filter(
            guild_id=guild_id, material_id__in=[m.id for m in materials]
        )
    }
    result = []
    for m in materials:
        if row := own.get(m.id):
            result.append(PriceNow(m, row.price, "guild", row.updated_at))
        elif m.current_market_value is not None:
            result.append(PriceNow(m, m.current_market_value, "market", m.updated_at))
        else:
            result.append(PriceNow(m, m.base_value_auec, "base", None))
    return result


async def price_history(guild_id: int, material: Material, limit: int = 15) -> list[PricePoint]:
    """Latest first: the reference prices and this guild's own points (never another's)."""
    scope = Q(guild_id__isnull=True) | Q(guild_id=guild_id)
    points = PricePoint.filter(scope, material_id=material.id)
    return await points.order_by("-at", "-id").limit(limit)


# -- import --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceRow:
    position: str  # "row 3" / "line 4": where it was in the file
    name: str
    price_sell: Decimal | None
    price_buy: Decimal | None


@dataclass
class ImportSummary:
    rows: int = 0
    changed: list[tuple[str, Decimal | None, Decimal]] = field(default_factory=list)
    unchanged: int = 0
    unknown: list[str] = field(default_factory=list)
    no_price: list[str] = field(default_factory=list)
    # a jump beyond the limit asked for: (material, price in effect, price offered), not applied
    held: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)

    def describe(self, scope: str) -> str:
        lines = [
            f"{self.rows} row(s) read for {scope}: {len(self.changed)} price(s) changed, "
            f"{self.unchanged} unchanged, {len(self.unknown)} not our materials (skipped), "
            f"{len(self.no_price)} without a sell price (skipped)."
        ]
        if self.held:
            lines[0] += f" {len(self.held)} held back (jump too large, not applied):"
            lines += [f"  held: {n}: {old:,.2f} → {new:,.2f}" for n, old, new in self.held]
        for name, old, new in self.changed[:25]:
            before = f"{old:,.2f}" if old is not None else "none"
            lines.append(f"  {name}: {before} → {new:,.2f}")
        if len(self.changed) > 25:
            lines.append(f"  … and {len(self.changed) - 25} more")
        if self.unknown:
            sample = ", ".join(self.unknown[:8])
            more = f" and {len(self.unknown) - 8} more" if len(self.unknown) > 8 else ""
            lines.append(f"Skipped names: {sample}{more}")
        return "\n".join(lines)


def _price(value: Any, position: str, column: str) -> Decimal | None:
    """None for an empty price or 0 (no price there); refuse anything not a sane number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise InvalidInput(f"{position}: {column} {value!r} is not a number")
    try:
        price = check_price(value, what=column)
    except InvalidInput as exc:
        raise exc.prefixed(f"{position}: ") from None
    return price or None


def _name(value: Any, position: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{position}: the row has no name")
    return value.strip()


def parse_prices(data: bytes | str, filename: str = "") -> list[PriceRow]:
    """Rows of a UEX commodities JSON or a CSV (name, price_sell[, price_buy]), read through
    the shared safe loader (`core.uploads`); the first malformed row raises InvalidInput
    naming its position."""
    name = filename or "the file"
    text = uploads.decode_text(data, name, limit=MAX_IMPORT_BYTES)
    if filename.lower().endswith(".json") or text.lstrip()[:1] in "{[":
        return _parse_json(text, name)
    return _parse_csv(text, name)


def _parse_json(text: str, name: str) -> list[PriceRow]:
    doc = uploads.load_json(text, name, parse_float=Decimal)
    if isinstance(doc, dict):
        if doc.get("status") not in (None, "ok"):
            raise InvalidInput(f"the export says status {doc.get('status')!r}, not 'ok'")
        doc = doc.get("data")
    if not isinstance(doc, list):
        raise InvalidInput('expected {"status": "ok", "data": [...]} with a list of commodities')
    rows = []
    for i, item in enumerate(doc, start=1):
        position = f"row {i}"
        if not isinstance(item, dict):
            raise InvalidInput(f"{position}: expected an object with name and price_sell")
        rows.append(
            PriceRow(
                position,
                _name(item.get("name"), position),
                _price(item.get("price_sell"), position, "price_sell"),
                _price(item.get("price_buy"), position, "price_buy"),
            )
        )
    return rows


def _parse_csv(text: str, name: str) -> list[PriceRow]:
    records = uploads.csv_rows(text, name)
    header = next(records, None)
    columns = [c.strip().lower() for c in (header[1] if header else [])]
    if not {"name", "price_sell"} <= set(columns):
        raise InvalidInput("the CSV needs a header with at least the columns name and price_sell")
    rows = []
    for line, record in records:
        if not record:
            continue  # a blank line
        position = f"line {line}"
        if len(record) > len(columns):
            raise InvalidInput(f"{position}: more cells than the header has columns")
        item = dict(zip(columns, record, strict=False))
        rows.append(
            PriceRow(
                position,
                _name(item.get("name"), position),
                _price(item.get("price_sell"), position, "price_sell"),
                _price(item.get("price_buy"), position, "price_buy"),
            )
        )
    return rows


async def import_prices(
    rows: Iterable[PriceRow],
    *,
    guild_id: int | None,
    actor_id: int | None,
    at: datetime,
    source: str = "import",
    max_jump: Decimal | None = None,
) -> ImportSummary:
    """Apply parsed rows: reference prices (guild None) or a guild's own, all or nothing.

    With `max_jump` (e.g. 10), a price more than that many times above or below the one in
    effect is held: reported in `summary.held` and not applied, since a live feed that is off
    by a factor of ten is likelier a glitch than a market move. The others still apply."""
    when = utc(at)
    rows = list(rows)
    index = await material_index()
    summary = ImportSummary(rows=len(rows))
    wanted: dict[int, tuple[PriceRow, Material]] = {}
    for row in rows:
        material = index.exact(row.name)
        if material is None:
            summary.unknown.append(row.name)
            continue
        if material.id in wanted:
            first = wanted[material.id][0]
            raise InvalidInput(
                f"{row.position}: {row.name} is {material.name} again ({first.position}): "
                "keep one row per material"
            )
        if row.price_sell is None:
            summary.no_price.append(row.name)
            continue
        wanted[material.id] = (row, material)
    if guild_id is not None:
        await _guild_exists(guild_id)
        current = {
            material_id: Decimal(str(price))
            for material_id, price in await GuildMaterialPrice.filter(
                guild_id=guild_id, material_id__in=list(wanted)
            ).values_list("material_id", "price")
        }
    else:
        current = {mid: m.current_market_value for mid, (_, m) in wanted.items()}
    changes: dict[int, tuple[PriceRow, Material]] = {}
    for material_id, (row, material) in wanted.items():
        new = row.price_sell
        assert new is not None  # rows without a sell price were set aside above
        if current.get(material_id) == new:
            summary.unchanged += 1
            continue
        # shown as "was": the price in effect before (a guild's falls back to the reference)
        was = current.get(material_id) or reference_price(material)
        if max_jump is not None and was and (new > was * max_jump or new * max_jump < was):
            summary.held.append((material.name, was, new))
            continue
        changes[material_id] = (row, material)
        summary.changed.append((material.name, was, new))
    if not changes:
        return summary
    kind = PointKind.REFERENCE if guild_id is None else PointKind.OVERRIDE
    async with in_transaction():
        if guild_id is None:
            updated = []
            for row, material in changes.values():
                material.current_market_value = row.price_sell
                material.updated_at = when
                updated.append(material)
            await Material.bulk_update(updated, fields=["current_market_value", "updated_at"])
        else:
            prices = {mid: row.price_sell for mid, (row, _) in changes.items()}
            await _upsert_guild_prices(guild_id, prices, source, actor_id, when)  # type: ignore[arg-type]
        await PricePoint.bulk_create(
            [
                PricePoint(
                    material_id=material.id,
                    guild_id=guild_id,
                    kind=kind,
                    price=row.price_sell,
                    price_buy=row.price_buy,
                    source=source,
                    actor_id=actor_id,
                    note=f"{row.name} ({row.position})",
                    at=when,
                )
                for row, material in changes.values()
            ]
        )
    return summary
