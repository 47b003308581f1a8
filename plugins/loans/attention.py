"""What in loans waits for the treasury: requests to decide, overdue and defaulted loans.

The guild home lists these (the `redlegion_web_attention` hook); the counts come from
`statements.waiting`, so "overdue" means here what it means everywhere else.
"""

from __future__ import annotations

from datetime import datetime

from core.permissions import Level
from core.web.attention import Attention
from plugins.loans.statements import waiting


def _loans(count: int) -> str:
    return f"{count} loan{'s' if count != 1 else ''}"


async def items(guild_id: int, now: datetime) -> list[Attention]:
    found = await waiting(guild_id, at=now)
    result = []
    if found.requests:
        s = "s" if found.requests != 1 else ""
        verb = "waits" if found.requests == 1 else "wait"
        text = f"{found.requests} loan request{s} {verb} for a decision."
        result.append(Attention("loan_requests", text, Level.TREASURER, "requests"))
    if found.overdue:
        text = f"{_loans(found.overdue)} past due, in their grace period."
        result.append(Attention("loans_overdue", text, Level.OFFICER, "overdue"))
    if found.defaulted:
        text = f"{_loans(found.defaulted)} defaulted."
        result.append(Attention("loans_defaulted", text, Level.OFFICER, "?status=defaulted"))
    return result
