"""Loan memos name the borrower in words, not as a Discord mention.

Disbursements, repayments and write-offs were posted with the borrower as `<@id>`; they are
now posted with the borrower's name (`core.names`). This turns the rows written before into
that form, for the borrower of the loan each transaction's reference names (loan memos hold
no text a member typed). Backward puts the mention back where the bot wrote the name.
"""

import re

from tortoise import migrations
from tortoise.migrations import operations as ops

from plugins.economy.memo_rewrite import mention_of, set_memos, user_names

KINDS = ("loan_disbursement", "loan_repayment", "loan_write_off")
LOAN = re.compile(r"^loan:(\d+):")


async def _rows(apps, db) -> tuple[list[tuple[int, str, int]], dict[int, str]]:
    """(transaction id, memo, borrower id) of every loan posting, and the borrowers' names."""
    transaction = apps.get_model("economy", "Transaction")
    loan = apps.get_model("loans", "Loan")
    postings = await (
        transaction.filter(kind__in=KINDS, reference__isnull=False)
        .using_db(db)
        .values_list("id", "memo", "reference")
    )
    borrowers = dict(await loan.all().using_db(db).values_list("id", "borrower_id"))
    rows = []
    for tx_id, memo, reference in postings:
        found = LOAN.match(reference or "")
        if found and int(found.group(1)) in borrowers:
            rows.append((tx_id, memo, borrowers[int(found.group(1))]))
    return rows, await user_names(apps, db, {borrower for _, _, borrower in rows})


async def forward(apps, schema_editor) -> None:
    db = schema_editor.client
    rows, names = await _rows(apps, db)
    memos = {}
    for tx_id, memo, borrower in rows:
        renamed = mention_of(borrower).sub(lambda _, name=names[borrower]: name, memo)
        if renamed != memo:
            memos[tx_id] = renamed
    await set_memos(apps, db, memos)


def _with_mention(memo: str, name: str, borrower: int) -> str:
    """The memo as the bot wrote it before: the name, where the bot puts it, as `<@id>`."""
    mention = f"<@{borrower}>"
    if memo.endswith(f" to {name}"):  # disbursement: "Loan #N of X to NAME"
        return memo[: -len(name)] + mention
    if f" by {name} (interest " in memo:  # repayment: "… on loan #N by NAME (interest …"
        return memo.replace(f" by {name} (interest ", f" by {mention} (interest ", 1)
    head, of, tail = memo.partition(f" of {name} ")  # write-off: "Loan #N of NAME why: …"
    return f"{head} of {mention} {tail}" if of else memo


async def backward(apps, schema_editor) -> None:
    db = schema_editor.client
    rows, names = await _rows(apps, db)
    memos = {}
    for tx_id, memo, borrower in rows:
        restored = _with_mention(memo, names[borrower], borrower)
        if restored != memo:
            memos[tx_id] = restored
    await set_memos(apps, db, memos)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("economy", "0005_memos_name_members"),
        ("loans", "0001_initial"),
    ]

    initial = False

    operations = [ops.RunPython(forward, backward)]
