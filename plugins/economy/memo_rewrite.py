"""Rewrite stored ledger memos once, in a data migration: the one way past the append-only
triggers (economy 0003), for a change of form, never of what a transaction says.

Memos used to name members as Discord mentions (`<@id>`), which a CSV, a PDF or a web page
cannot show; they now name them in words (`core.names`). The migrations that turn the old rows
into the new form (economy 0005 for trades, loans 0002 for loans) compute the new memos and
hand them here, inside the migration's transaction: the update trigger is lifted for
`ledger_transactions` alone, the rows are written, and the trigger is put back as 0003 made
it, so a failure leaves the table and its triggers exactly as they were.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

TABLE = "ledger_transactions"
# a mention as the bot wrote it (`<@!id>` is the older nickname form)
MENTION = "<@!?{user_id}>"
MENTIONS = re.compile(r"<@!?(\d+)>")


def mention_of(user_id: int) -> re.Pattern[str]:
    return re.compile(MENTION.format(user_id=user_id))


async def user_names(apps: Any, db: Any, user_ids: Iterable[int]) -> dict[int, str]:
    """Each user's name in words, read through the migration's connection (`core.names`)."""
    from core.names import plain_name

    ids = sorted(set(user_ids))
    if not ids:
        return {}
    user = apps.get_model("core", "User")
    rows = await user.filter(id__in=ids).using_db(db).values_list("id", "display_name", "username")
    found = {uid: plain_name(uid, display, username) for uid, display, username in rows}
    return {uid: found.get(uid, f"member {uid}") for uid in ids}


async def set_memos(apps: Any, db: Any, memos: Mapping[int, str]) -> None:
    """Give these transactions (by id) these memos, past the update trigger."""
    if not memos:
        return
    append_only = importlib.import_module("plugins.economy.migrations.0003_ledger_append_only")
    postgres = db.capabilities.dialect == "postgres"
    if postgres:
        await db.execute_query(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_append_only")
    else:
        await db.execute_query(f"DROP TRIGGER {TABLE}_no_update")
    transaction = apps.get_model("economy", "Transaction")
    for tx_id, memo in sorted(memos.items()):
        await transaction.filter(id=tx_id).using_db(db).update(memo=memo)
    if postgres:
        await db.execute_query(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TABLE}_append_only")
    else:
        [recreate] = [s for s in append_only._sqlite() if f"{TABLE}_no_update" in s]
        await db.execute_query(recreate)
