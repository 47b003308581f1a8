"""Costs of an op (refinery fees, fuel, rentals): taken off the gross, repaid to who paid them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tortoise.transactions import in_transaction

from core.errors import InvalidInput, MemberRef, NotFound
from core.models import GuildMembership
from core.money import to_amount
from core.names import plain_name
from plugins.mining.models import MiningExpense
from plugins.mining.yields import locked_event

KINDS = ("refinery", "fuel", "rental", "repair", "other")
DESCRIPTION_MAX = 200


@dataclass(frozen=True, kw_only=True)
class ExpenseLine:
    id: int
    kind: str
    description: str
    amount: Decimal
    paid_by: int
    paid_by_name: str


async def add_expense(
    guild_id: int,
    event_id: int,
    *,
    amount: Decimal | str,
    paid_by: int,
    kind: str = "other",
    description: str = "",
    recorded_by: int | None = None,
) -> MiningExpense:
    """Record an expense someone in this guild paid for the event."""
    amount = to_amount(amount, what="expense amount")
    kind = (kind or "other").strip().lower()
    if kind not in KINDS:
        raise InvalidInput(f"Unknown expense kind {kind!r}: use one of {', '.join(KINDS)}.")
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput(
            f"The description is {len(description)} characters long: keep it to {DESCRIPTION_MAX}."
        )
    async with in_transaction():
        event = await locked_event(guild_id, event_id, doing="expenses can be recorded")
        if not await GuildMembership.exists(guild_id=guild_id, user_id=paid_by):
            raise NotFound(MemberRef(paid_by), " is not a member of this server known to the bot.")
        return await MiningExpense.create(
            event_id=event.id,
            kind=kind,
            description=description,
            amount_auec=amount,
            paid_by_id=paid_by,
            recorded_by_id=recorded_by,
        )


async def remove_expense(guild_id: int, event_id: int, expense_id: int) -> None:
    async with in_transaction():
        event = await locked_event(guild_id, event_id, doing="expenses can be removed")
        if not await MiningExpense.filter(id=expense_id, event_id=event.id).delete():
            raise NotFound(f"Event #{event.id} has no expense #{expense_id}.")


async def list_expenses(guild_id: int, event_id: int) -> list[ExpenseLine]:
    rows = (
        await MiningExpense.filter(event_id=event_id, event__guild_id=guild_id)
        .order_by("id")
        .values_list(
            "id",
            "kind",
            "description",
            "amount_auec",
            "paid_by_id",
            "paid_by__display_name",
            "paid_by__username",
        )
    )
    return [
        ExpenseLine(
            id=i,
            kind=kind,
            description=text,
            amount=Decimal(str(amount)),
            paid_by=payer,
            paid_by_name=plain_name(payer, display, username),
        )
        for i, kind, text, amount, payer, display, username in rows
    ]
