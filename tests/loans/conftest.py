"""A guild with a borrower, a second member, an outsider and a treasurer; another guild too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from core.members import MemberInfo, ensure_guild, upsert_members
from plugins.loans.settings import LoansSettings
from storage import Database

GUILD, OTHER_GUILD = 1001, 2002
BORROWER, MEMBER, OUTSIDER, TREASURER, STRANGER = 11, 12, 13, 14, 21
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    guild: int = GUILD
    other_guild: int = OTHER_GUILD
    borrower: int = BORROWER
    member: int = MEMBER
    outsider: int = OUTSIDER  # in the guild, not an org member
    treasurer: int = TREASURER
    stranger: int = STRANGER  # an org member of the other guild only


@pytest.fixture
async def world(db: Database) -> World:
    await ensure_guild(GUILD, "Red Legion")
    await ensure_guild(OTHER_GUILD, "Elsewhere")
    await upsert_members(
        GUILD,
        [
            MemberInfo(BORROWER, "borrower", "Borrower", is_org_member=True),
            MemberInfo(MEMBER, "member", "Member", is_org_member=True),
            MemberInfo(OUTSIDER, "outsider", "Outsider", is_org_member=False),
            MemberInfo(TREASURER, "treasurer", "Treasurer", is_org_member=True),
        ],
    )
    await upsert_members(OTHER_GUILD, [MemberInfo(STRANGER, "stranger", None, is_org_member=True)])
    return World()


@pytest.fixture
def terms() -> LoansSettings:
    """Round-number settings the tests reason with: 10 % for the term, 30 days, 7 days grace."""
    return LoansSettings(
        default_rate="0.1000",
        max_amount="1000000.00",
        max_open_loans=2,
        default_term_days=30,
        min_term_days=7,
        max_term_days=90,
        grace_days=7,
    )
