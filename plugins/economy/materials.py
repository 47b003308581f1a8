"""Materials by the names officers type, their price in a guild, and the value of a haul.

A guild's own price (set by a treasurer) wins over the operator's reference price
(`current_market_value`), which wins over the value seeded with the material.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from core.errors import InvalidInput, InvalidState, NotFound
from core.money import MAX_AMOUNT, cents, to_amount
from plugins.economy.models import GuildMaterialPrice, Material

# DECIMAL(10,2): prices per SCU and quantities in SCU
MAX_PRICE = Decimal("99999999.99")
MAX_SCU = Decimal("99999999.99")


def normalize(name: str) -> str:
    """`  Inert-Materials ` → `inertmaterials`: case, spaces and punctuation do not matter."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


@dataclass(frozen=True)
class MaterialIndex:
    """Every material under its name and aliases, for matching typed names in memory."""

    materials: tuple[Material, ...]
    by_key: dict[str, Material]

    @classmethod
    def of(cls, materials: list[Material]) -> MaterialIndex:
        by_key: dict[str, Material] = {}
        for material in materials:
            for alias in material.aliases or []:
                by_key.setdefault(normalize(alias), material)
        for material in materials:  # a real name beats another material's alias
            by_key[normalize(material.name)] = material
        return cls(tuple(materials), by_key)

    def exact(self, name: str) -> Material | None:
        """The material called exactly this (name or alias, any case), else None."""
        return self.by_key.get(normalize(name))

    def find(self, name: str) -> Material:
        """Exact name or alias, else an unambiguous start of one; NotFound names close ones."""
        key = normalize(name)
        if not key:
            raise InvalidInput("give a material name")
        if found := self.by_key.get(key):
            return found
        if len(key) >= 3:
            starts = {m.id: m for k, m in self.by_key.items() if k.startswith(key)}
            if len(starts) == 1:
                return next(iter(starts.values()))
        raise NotFound(self._not_found(name, key))

    def _not_found(self, name: str, key: str) -> str:
        names = {normalize(m.name): m.name for m in self.materials}
        aliases = {k: m.name for k, m in self.by_key.items()}
        close = difflib.get_close_matches(key, list(aliases), n=6, cutoff=0.6)
        close += [n for k, n in names.items() if key in k]
        suggestions = list(dict.fromkeys(aliases.get(c, c) for c in close))[:3]
        if suggestions:
            return f"No material called {name!r}. Did you mean {', '.join(suggestions)}?"
        return f"No material called {name!r}. Try /price check to see the list."


async def material_index() -> MaterialIndex:
    return MaterialIndex.of(await Material.all().order_by("name"))


async def find_material(name: str) -> Material:
    """The material an officer means: any case, common alternative spellings allowed."""
    return (await material_index()).find(name)


async def search_materials(text: str, limit: int = 25) -> list[Material]:
    """For autocomplete: names (or aliases) starting with the text first, then containing it."""
    index = await material_index()
    key = normalize(text)
    if not key:
        return list(index.materials[:limit])
    starts: dict[int, Material] = {}
    contains: dict[int, Material] = {}
    for k, material in sorted(index.by_key.items(), key=lambda kv: kv[1].name):
        if k.startswith(key):
            starts.setdefault(material.id, material)
        elif key in k:
            contains.setdefault(material.id, material)
    ordered = list(starts.values()) + [m for i, m in contains.items() if i not in starts]
    return ordered[:limit]


# -- prices --------------------------------------------------------------------------------


def reference_price(material: Material) -> Decimal | None:
    """The operator's market price, else the seeded base value."""
    if material.current_market_value is not None:
        return material.current_market_value
    return material.base_value_auec


async def guild_prices(guild_id: int, material_ids: list[int] | None = None) -> dict[int, Decimal]:
    """A guild's own prices by material id (only this guild's)."""
    query = GuildMaterialPrice.filter(guild_id=guild_id)
    if material_ids is not None:
        query = query.filter(material_id__in=material_ids)
    rows = await query.values_list("material_id", "price")
    return {material_id: Decimal(str(price)) for material_id, price in rows}


async def price_of(guild_id: int, material: Material) -> Decimal:
    """What a SCU of the material is worth in this guild now."""
    own = await guild_prices(guild_id, [material.id])
    if material.id in own:
        return own[material.id]
    price = reference_price(material)
    if price is None:
        raise InvalidState(f"{material.name} has no price yet: a treasurer can set one")
    return price


@dataclass(frozen=True)
class HaulLine:
    material: Material
    scu: Decimal
    unit_price: Decimal
    value: Decimal
    # given, guild, market or base: where the unit price came from
    price_source: str


@dataclass(frozen=True)
class HaulValuation:
    lines: tuple[HaulLine, ...]
    total: Decimal


def check_scu(value: Decimal | int | str, *, what: str = "SCU") -> Decimal:
    return to_amount(value, what=what, maximum=MAX_SCU)


def check_price(value: Decimal | int | str, *, what: str = "price") -> Decimal:
    return to_amount(value, what=what, allow_zero=True, maximum=MAX_PRICE)


async def value_haul(
    guild_id: int,
    quantities: Mapping[str | int, Decimal],
    prices: Mapping[int, Decimal] | None = None,
) -> HaulValuation:
    """Value {material name or id: SCU} at this guild's prices (or at the prices given, by
    material id), each line rounded to the cent; lines keep the order given."""
    if not quantities:
        raise InvalidInput("the haul is empty: give at least one material and its SCU")
    index = await material_index()
    by_id = {m.id: m for m in index.materials}
    chosen: list[tuple[Material, Decimal]] = []
    seen: set[int] = set()
    for key, scu in quantities.items():
        if isinstance(key, int) and not isinstance(key, bool):
            material = by_id.get(key)
            if material is None:
                raise NotFound(f"material #{key} not found")
        else:
            material = index.find(str(key))
        if material.id in seen:
            raise InvalidInput(f"{material.name} is listed twice: add the SCU into one line")
        seen.add(material.id)
        chosen.append((material, check_scu(scu, what=f"SCU of {material.name}")))
    given = {
        int(mid): check_price(p, what=f"price of material #{mid}")
        for mid, p in (prices or {}).items()
    }
    own = await guild_prices(guild_id, [m.id for m, _ in chosen if m.id not in given])
    lines = []
    for material, scu in chosen:
        if material.id in given:
            unit, source = given[material.id], "given"
        elif material.id in own:
            unit, source = own[material.id], "guild"
        elif material.current_market_value is not None:
            unit, source = material.current_market_value, "market"
        elif material.base_value_auec is not None:
            unit, source = material.base_value_auec, "base"
        else:
            raise InvalidState(f"{material.name} has no price yet: a treasurer can set one")
        lines.append(HaulLine(material, scu, unit, cents(scu * unit), source))
    total = sum((line.value for line in lines), Decimal("0.00"))
    if total > MAX_AMOUNT:
        raise InvalidInput(f"the haul is worth {total}, beyond the largest amount ({MAX_AMOUNT})")
    return HaulValuation(tuple(lines), total)
