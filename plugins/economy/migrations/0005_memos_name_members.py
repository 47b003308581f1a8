"""Trade memos name the member who traded in words, not as a Discord mention.

`record_trade` wrote "… by <@id>" at the end of the memo of a trade made through a member's
wallet; it now writes the member's name (`core.names`). This turns the rows written before
into that form: only that ending, and only for the member the trade row names, so a mention a
member typed into a counterparty or location stays as typed. Backward puts the mention back.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from plugins.economy.memo_rewrite import mention_of, set_memos, user_names


async def _trades(apps, db) -> list[tuple[int, str, int]]:
    trade = apps.get_model("economy", "Trade")
    return await (
        trade.filter(member_id__isnull=False)
        .using_db(db)
        .values_list("transaction_id", "transaction__memo", "member_id")
    )


async def forward(apps, schema_editor) -> None:
    db = schema_editor.client
    rows = await _trades(apps, db)
    names = await user_names(apps, db, [member for _, _, member in rows])
    memos = {}
    for tx_id, memo, member in rows:
        head, by, tail = memo.rpartition(" by ")
        if by and mention_of(member).fullmatch(tail):
            memos[tx_id] = f"{head} by {names[member]}"
    await set_memos(apps, db, memos)


async def backward(apps, schema_editor) -> None:
    db = schema_editor.client
    rows = await _trades(apps, db)
    names = await user_names(apps, db, [member for _, _, member in rows])
    memos = {}
    for tx_id, memo, member in rows:
        suffix = f" by {names[member]}"
        if memo.endswith(suffix):
            memos[tx_id] = f"{memo[: -len(suffix)]} by <@{member}>"
    await set_memos(apps, db, memos)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("economy", "0004_market_prices")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
