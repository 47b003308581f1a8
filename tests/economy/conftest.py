"""Economy fixtures: two guilds with a few members each, on a freshly migrated database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import members
from storage import Database

GUILD = 1001
OTHER_GUILD = 2002
ALICE, BOB, CAROL = 11, 12, 13
MALLORY = 21  # a member of the other guild only
T0 = datetime(2026, 1, 4, 18, 0, tzinfo=UTC)


@pytest.fixture
async def guilds(db: Database) -> tuple[int, int]:
    """Two guilds: GUILD (Alice, Bob, Carol) and OTHER_GUILD (Mallory)."""
    await members.ensure_guild(GUILD, "Red Legion")
    await members.ensure_guild(OTHER_GUILD, "Blue Faction")
    await members.upsert_members(
        GUILD,
        [
            members.MemberInfo(uid, name, name.title())
            for uid, name in ((ALICE, "alice"), (BOB, "bob"), (CAROL, "carol"))
        ],
    )
    await members.upsert_members(OTHER_GUILD, [members.MemberInfo(MALLORY, "mallory", "Mallory")])
    return GUILD, OTHER_GUILD
