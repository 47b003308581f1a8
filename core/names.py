"""How a member is named in text that outlives the message it was written for.

Ledger memos are read long after they are posted, and not only in Discord: a CSV an auditor
opens, a PDF report, a web page. A Discord mention (`<@id>`) means nothing there, so what is
stored names the member in words: their display name as the bot last saw it, else their
username, else `member ID` (the same words `core.errors.MemberRef.plain` uses). The member's
id stays where it is structured (the accounts of the entries, the loan, the trade).
"""

from __future__ import annotations

from collections.abc import Iterable

from core.models import User


def plain_name(user_id: int, display_name: str | None, username: str | None) -> str:
    """A member in words: display name, else username, else `member ID`."""
    return (display_name or "").strip() or (username or "").strip() or f"member {user_id}"


async def member_names(user_ids: Iterable[int]) -> dict[int, str]:
    """Each member's name in words (one query); a member the bot never saw is `member ID`."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = await User.filter(id__in=ids).values_list("id", "display_name", "username")
    found = {uid: plain_name(uid, display, username) for uid, display, username in rows}
    return {uid: found.get(uid, f"member {uid}") for uid in ids}


async def member_name(user_id: int) -> str:
    return (await member_names([user_id]))[user_id]
