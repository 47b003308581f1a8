"""Mining fixtures: two guilds with members, an approved channel layout, a fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from core import members
from core.events import VoiceStateEvent
from plugins.mining import channels
from plugins.mining.voice import VoiceTracker
from storage import Database

T0 = datetime(2026, 1, 4, 18, 0, tzinfo=UTC)
GUILD = 1001
OTHER_GUILD = 2002
# voice channels of GUILD
ROCKS, REFINERY, LOUNGE, AFK = 11, 12, 13, 14
OTHER_GUILD_VOICE = 21
# members of GUILD; Alice, Cara, Eve and Gus are org members
ALICE, BOB, CARA, DAN, EVE, FAY, GUS, HAL = range(501, 509)
NAMES = dict(
    zip(
        (ALICE, BOB, CARA, DAN, EVE, FAY, GUS, HAL),
        ["Alice", "Bob", "Cara", "Dan", "Eve", "Fay", "Gus", "Hal"],
        strict=True,
    )
)


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def voice_change(
    user: int,
    before: int | None,
    after: int | None,
    minutes: float,
    *,
    guild: int = GUILD,
    is_bot: bool = False,
) -> VoiceStateEvent:
    """A member's voice change in `guild` (AFK is its AFK channel), `minutes` into the op."""
    return VoiceStateEvent(
        guild_id=guild,
        user_id=user,
        before_channel_id=before,
        after_channel_id=after,
        is_bot=is_bot,
        afk_channel_id=AFK,
        at=at(minutes),
    )


@pytest.fixture
async def world(db: Database) -> Database:
    """GUILD with members and approved channels ROCKS and REFINERY; OTHER_GUILD with one."""
    await members.ensure_guild(GUILD, "Red Legion")
    await members.ensure_guild(OTHER_GUILD, "Someone Else")
    await members.upsert_members(
        GUILD,
        [
            members.MemberInfo(uid, name.lower(), name, is_org_member=i % 2 == 0)
            for i, (uid, name) in enumerate(NAMES.items())
        ],
    )
    await members.upsert_members(OTHER_GUILD, [members.MemberInfo(ALICE, "alice", "Alice")])
    voice = {ROCKS, REFINERY, LOUNGE, AFK}
    await channels.add_channel(GUILD, ROCKS, "Rocks", voice_channel_ids=voice)
    await channels.add_channel(GUILD, REFINERY, "Refinery", voice_channel_ids=voice)
    await channels.add_channel(
        OTHER_GUILD, OTHER_GUILD_VOICE, "Theirs", voice_channel_ids={OTHER_GUILD_VOICE}
    )
    return db


VoiceFn = Callable[..., object]


@pytest.fixture
def tracker() -> VoiceTracker:
    return VoiceTracker()


@pytest.fixture
def voice(tracker: VoiceTracker):
    """`await voice(user, before, after, minutes)`: one voice change in GUILD."""

    async def move(
        user: int,
        before: int | None,
        after: int | None,
        minutes: float,
        *,
        guild: int = GUILD,
        is_bot: bool = False,
    ) -> None:
        await tracker.handle(voice_change(user, before, after, minutes, guild=guild, is_bot=is_bot))

    move.tracker = tracker  # type: ignore[attr-defined]
    return move
