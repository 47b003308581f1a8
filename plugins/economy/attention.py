"""The treasury balance for the portal's guild home (officers and up, like `/report`)."""

from __future__ import annotations

from datetime import datetime

from core.money import fmt
from core.permissions import Level
from core.web.attention import Attention
from plugins.economy import ledger
from plugins.economy.ledger import TREASURY


async def items(guild_id: int, now: datetime) -> list[Attention]:
    held = await ledger.balance(guild_id, TREASURY, until=now)
    text = f"The treasury holds {fmt(held)}."
    return [Attention("treasury", text, Level.OFFICER, "report")]
