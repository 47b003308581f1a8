"""The economy's records of a guild for `redlegion export`: the ledger line by line, trades."""

from __future__ import annotations

from typing import Any

from plugins.economy.models import Entry, Trade


async def guild_tables(guild_id: int) -> dict[str, list[dict[str, Any]]]:
    ledger = await (
        Entry.filter(guild_id=guild_id)
        .order_by("transaction_id", "id")
        .values(
            "transaction_id",
            entry_id="id",
            at="transaction__at",
            kind="transaction__kind",
            memo="transaction__memo",
            reference="transaction__reference",
            actor_id="transaction__actor_id",
            reverses_id="transaction__reverses_id",
            account_kind="account__kind",
            account_user_id="account__user_id",
            account_key="account__key",
            amount_auec="amount",
        )
    )
    trades = await (
        Trade.filter(guild_id=guild_id)
        .order_by("id")
        .values(
            "id",
            "at",
            "side",
            "quantity_scu",
            "unit_price",
            "total",
            "location",
            "counterparty",
            "member_id",
            "actor_id",
            "transaction_id",
            material="material__name",
        )
    )
    return {"ledger": ledger, "trades": trades}
