"""What an op mined or sold, and the event's total value that follows from it.

A yield is for the whole event or credited to one participant; its value comes from the
economy plugin's price for the guild unless an officer gives a price per SCU or the line's
sale total. A batch (a command, or a CSV/JSON file) is checked whole before anything is
written: one bad line and nothing is recorded. Once payroll is committed, yields are final.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from core import uploads
from core.errors import InvalidInput, InvalidState, MemberRef, NotFound
from core.money import cents, to_amount
from plugins.economy import materials
from plugins.economy.models import Material
from plugins.mining.events import get_event
from plugins.mining.models import EventStatus, MiningEvent, MiningParticipation, MiningYield

MAX_FILE_BYTES = 256 * 1024
MAX_LINES = 500
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class YieldInput:
    """One line as an officer gives it: text is fine, it is checked by `add_yields`."""

    material: str
    scu: Decimal | str
    user_id: int | None = None
    price: Decimal | str | None = None  # per SCU, instead of the economy's price
    value: Decimal | str | None = None  # the line's sale total, instead of SCU × price
    source: str = ""  # where it came from, for messages ("line 3: ")


@dataclass(frozen=True, kw_only=True)
class YieldLine:
    id: int
    material: str
    scu: Decimal
    price_per_scu: Decimal | None
    value: Decimal
    user_id: int | None


@dataclass(frozen=True)
class YieldBatch:
    lines: list[YieldLine]
    event_total: Decimal


async def locked_event(guild_id: int, event_id: int, *, doing: str) -> MiningEvent:
    """The guild's event, row-locked, refusing changes once payroll is done (in a transaction)."""
    event = await get_event(guild_id, event_id, lock=True)
    if event.status in (EventStatus.PLANNED, EventStatus.CANCELLED):
        raise InvalidState(
            f"Event #{event.id} is {event.status}: {doing} only for an active or completed event."
        )
    if event.payroll_processed:
        raise InvalidState(f"Payroll of event #{event.id} is committed: {doing} no longer.")
    return event


def _scu(value: Decimal | str, *, line: str, maximum: Decimal) -> Decimal:
    scu = to_amount(value, what=f"{line}SCU", maximum=materials.MAX_SCU)
    if scu > maximum:
        raise InvalidInput(
            f"{line}{scu} SCU is more than one line can hold here ({maximum} SCU): a typo?"
        )
    return scu


async def add_yields(
    guild_id: int,
    event_id: int,
    items: Sequence[YieldInput],
    *,
    recorded_by: int | None = None,
    max_scu: Decimal = Decimal("100000"),
) -> YieldBatch:
    """Record yields (all or none) and bring the event's total value up to date."""
    if not items:
        raise InvalidInput("No yields given: name a material and its SCU.")
    if len(items) > MAX_LINES:
        raise InvalidInput(f"{len(items)} yield lines at once: keep it to {MAX_LINES}.")
    index = await materials.material_index()
    many = len(items) > 1
    checked: list[tuple[Material, Decimal, Decimal | None, Decimal | None, int | None]] = []
    for number, item in enumerate(items, start=1):
        where = item.source or (f"line {number}: " if many else "")
        try:
            material = index.find(item.material)
        except (NotFound, InvalidInput) as exc:
            raise exc.prefixed(where) from None
        scu = _scu(item.scu, line=where, maximum=max_scu)
        price = (
            materials.check_price(item.price, what=f"{where}price per SCU")
            if item.price not in (None, "")
            else None
        )
        value = (
            to_amount(item.value, what=f"{where}sale value", allow_zero=True)
            if item.value not in (None, "")
            else None
        )
        checked.append((material, scu, price, value, item.user_id))
    async with in_transaction():
        event = await locked_event(guild_id, event_id, doing="yields can be recorded")
        credited = await _credited_sessions(event.id, {c[4] for c in checked if c[4] is not None})
        unpriced = {m.id for m, _, price, value, _ in checked if price is None and value is None}
        unit = await _unit_prices(guild_id, unpriced)
        rows = []
        for material, scu, price, value, user_id in checked:
            per_scu = price if price is not None else unit.get(material.id)
            rows.append(
                MiningYield(
                    event_id=event.id,
                    participation_id=credited[user_id] if user_id is not None else None,
                    material_id=material.id,
                    quantity_scu=scu,
                    price_per_scu=per_scu,
                    estimated_value=value if value is not None else cents(scu * per_scu),
                    recorded_by_id=recorded_by,
                )
            )
        await MiningYield.bulk_create(rows)
        total = await _refresh_total(event)
        # the event row is locked: the newest rows are this batch
        added = await MiningYield.filter(event_id=event.id).order_by("-id").limit(len(rows))
    names = {m.id: m.name for m, *_ in checked}
    by_session = {session: user for user, session in credited.items()}
    lines = [
        YieldLine(
            id=y.id,
            material=names[y.material_id],
            scu=Decimal(y.quantity_scu),
            price_per_scu=y.price_per_scu,
            value=Decimal(y.estimated_value or 0),
            user_id=by_session.get(y.participation_id) if y.participation_id else None,
        )
        for y in reversed(added)
    ]
    return YieldBatch(lines, total)


async def _credited_sessions(event_id: int, user_ids: set[int]) -> dict[int, int]:
    """Each credited member's first session in the event; a non-participant is refused."""
    if not user_ids:
        return {}
    rows = (
        await MiningParticipation.filter(event_id=event_id, user_id__in=list(user_ids))
        .order_by("-session_start", "-id")
        .values_list("user_id", "id")
    )
    first = dict(rows)  # later rows overwrite: the earliest session wins
    if missing := sorted(user_ids - set(first)):
        raise InvalidInput(
            MemberRef(missing[0]),
            f" has no time in event #{event_id}: record the yield for the whole event instead.",
        )
    return first


async def _unit_prices(guild_id: int, material_ids: set[int]) -> dict[int, Decimal]:
    """The economy's price per SCU in this guild, for each material (one valuation)."""
    if not material_ids:
        return {}
    haul = await materials.value_haul(guild_id, {mid: Decimal(1) for mid in sorted(material_ids)})
    return {line.material.id: line.unit_price for line in haul.lines}


async def _refresh_total(event: MiningEvent) -> Decimal:
    values = await MiningYield.filter(event_id=event.id).values_list("estimated_value", flat=True)
    total = sum((Decimal(str(v)) for v in values if v is not None), ZERO)
    to_amount(total, what="the event's total value", allow_zero=True)
    await MiningEvent.filter(id=event.id).update(total_value_auec=total)
    return total


async def remove_yield(guild_id: int, event_id: int, yield_id: int) -> Decimal:
    """Delete a mistyped yield line; returns the event's new total value."""
    async with in_transaction():
        event = await locked_event(guild_id, event_id, doing="yields can be removed")
        deleted = await MiningYield.filter(id=yield_id, event_id=event.id).delete()
        if not deleted:
            raise NotFound(f"Event #{event.id} has no yield line #{yield_id}.")
        return await _refresh_total(event)


async def list_yields(guild_id: int, event_id: int) -> list[YieldLine]:
    rows = (
        await MiningYield.filter(event_id=event_id, event__guild_id=guild_id)
        .order_by("id")
        .values_list(
            "id",
            "material__name",
            "quantity_scu",
            "price_per_scu",
            "estimated_value",
            "participation__user_id",
        )
    )
    return [
        YieldLine(
            id=i,
            material=name,
            scu=Decimal(str(scu)),
            price_per_scu=None if price is None else Decimal(str(price)),
            value=Decimal(str(value or 0)),
            user_id=user,
        )
        for i, name, scu, price, value, user in rows
    ]


# -- bulk files ------------------------------------------------------------------------------

COLUMNS = ("material", "scu", "member", "price", "value")

# How a face reads the member column of a file: the cell's text to a user id, or InvalidInput
# saying what it takes. The Discord face also reads mentions (`<@123…>`); this module reads ids.
MemberReader = Callable[[str], int]


def member_id(text: str) -> int:
    """A member written as their id (digits)."""
    if not text.isdigit() or len(text) > 20:
        raise InvalidInput(f"member {text!r} is not a member id")
    return int(text)


def _member(value: Any, where: str, read: MemberReader) -> int | None:
    """The member of a line; empty means the whole event."""
    if value is None or str(value).strip() == "":
        return None
    try:
        return read(str(value).strip())
    except InvalidInput as exc:
        raise exc.prefixed(where) from None


def _item(row: Mapping[str, Any], where: str, read: MemberReader) -> YieldInput:
    unknown = sorted(k for k in row if k not in COLUMNS)
    if unknown:
        raise InvalidInput(
            f"{where}unknown column {unknown[0]!r}: use {', '.join(COLUMNS)} (material and scu "
            "are required)"
        )
    material = str(row.get("material") or "").strip()
    scu = row.get("scu")
    if not material or scu in (None, ""):
        raise InvalidInput(f"{where}material and scu are required")
    price = row.get("price")
    value = row.get("value")
    return YieldInput(
        material,
        str(scu),
        _member(row.get("member"), where, read),
        None if price in (None, "") else str(price),
        None if value in (None, "") else str(value),
        source=where,
    )


def parse_yield_file(
    filename: str, data: bytes, *, member: MemberReader = member_id
) -> list[YieldInput]:
    """Yields from a CSV (header: material,scu[,member,price,value]) or JSON list of objects,
    read through the shared safe loader (`core.uploads`); `member` reads the member column."""
    text = uploads.decode_text(data, filename, limit=MAX_FILE_BYTES)
    if filename.lower().endswith(".json") or text.lstrip().startswith(("[", "{")):
        items = _parse_json(filename, text, member)
    else:
        items = _parse_csv(filename, text, member)
    if not items:
        raise InvalidInput(f"{filename} holds no yield lines.")
    if len(items) > MAX_LINES:
        raise InvalidInput(f"{filename} has {len(items)} lines: keep it to {MAX_LINES}.")
    return items


def _parse_json(filename: str, text: str, member: MemberReader) -> list[YieldInput]:
    # numbers keep their written form: 12.5 stays exact, never a float
    data = uploads.load_json(text, filename, parse_float=str)
    if isinstance(data, dict):
        data = data.get("yields")
    if not isinstance(data, list):
        raise InvalidInput(f'{filename}: expected a list of yields (or {{"yields": [...]}}).')
    items = []
    for number, row in enumerate(data, start=1):
        if not isinstance(row, dict):
            raise InvalidInput(f"{filename} item {number}: expected an object with material, scu")
        row = {str(k).lower(): v for k, v in row.items()}
        items.append(_item(row, f"item {number}: ", member))
    return items


def _parse_csv(filename: str, text: str, member: MemberReader) -> list[YieldInput]:
    rows = [row for _, row in uploads.csv_rows(text, filename) if any(c.strip() for c in row)]
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    if "material" not in header or "scu" not in header:
        raise InvalidInput(
            f"{filename}: the first line must name the columns, e.g. `material,scu,member`."
        )
    items = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) > len(header):
            raise InvalidInput(f"line {number}: {len(row)} cells for {len(header)} columns")
        cells = {h: c.strip() for h, c in zip(header, row, strict=False)}
        items.append(_item(cells, f"line {number}: ", member))
    return items
