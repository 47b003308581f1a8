"""`redlegion loans check-overdue`, run as an operator would: a real subprocess."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from plugins.economy.models import Transaction
from plugins.loans.lending import issue_loan
from plugins.loans.models import Loan, LoanStatus
from plugins.loans.settings import LoansSettings
from storage import Database
from tests.loans.conftest import World
from tests.loans.support import check_books
from tests.test_cli import redlegion


async def test_check_overdue_defaults_once_and_skips_guilds_without_loans(
    db: Database, world: World, terms: LoansSettings, tmp_path: Path
):
    long_ago = datetime.now(UTC) - timedelta(days=60)
    recent = datetime.now(UTC) - timedelta(days=1)
    overdue = await issue_loan(
        world.guild, world.borrower, "100", officer_id=world.treasurer, settings=terms, at=long_ago
    )
    current = await issue_loan(
        world.guild, world.member, "100", officer_id=world.treasurer, settings=terms, at=recent
    )
    elsewhere = await issue_loan(
        world.other_guild,
        world.stranger,
        "100",
        officer_id=world.treasurer,
        settings=terms,
        at=long_ago,
    )
    (tmp_path / "config.toml").write_text(
        f'[guilds."{world.other_guild}"]\nplugins = {{ loans = false }}\n'
        f'[guilds."{world.guild}".loans]\nwrite_off_on_default = false\n'
    )

    async def run(*args: str):
        return await asyncio.to_thread(
            redlegion, "loans", "check-overdue", "--database-url", db.url, *args, cwd=tmp_path
        )

    result = await run()
    assert result.returncode == 0, result.stderr
    assert f"guild {world.guild}: loan #{overdue.id} of user {world.borrower} defaulted" in (
        result.stdout
    )
    assert "110.00 aUEC unpaid, 0.00 aUEC written off" in result.stdout
    assert f"guild {world.other_guild}: loans are off there, skipped" in result.stdout
    assert "1 loan(s) defaulted" in result.stdout
    statuses = dict(await Loan.all().values_list("id", "status"))
    assert statuses == {
        overdue.id: LoanStatus.DEFAULTED,
        current.id: LoanStatus.ACTIVE,
        elsewhere.id: LoanStatus.ACTIVE,
    }
    assert await Transaction.filter(kind="loan_write_off").count() == 0
    await check_books(world.guild)

    again = await run("--guild", str(world.guild))
    assert again.returncode == 0, again.stderr
    assert "0 loan(s) defaulted" in again.stdout
