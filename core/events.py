"""Plain event objects core hands to plugins: no discord.py types cross into plugin services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


@dataclass(frozen=True, slots=True, kw_only=True)
class VoiceStateEvent:
    guild_id: int
    user_id: int
    before_channel_id: int | None
    after_channel_id: int | None
    is_bot: bool
    afk_channel_id: int | None
    at: datetime
    display_name: str = ""


@dataclass(frozen=True, slots=True)
class VoiceMember:
    user_id: int
    channel_id: int
    is_bot: bool
    display_name: str = ""


@dataclass(frozen=True, slots=True)
class GuildSnapshot:
    """A guild as the bot sees it now: used to reconcile state after a restart."""

    guild_id: int
    name: str
    afk_channel_id: int | None
    voice_channel_ids: frozenset[int]
    in_voice: tuple[VoiceMember, ...]
    at: datetime
    voice_channel_names: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MemberEvent:
    guild_id: int
    user_id: int
    kind: Literal["joined", "updated", "left"]
    username: str
    display_name: str
    role_ids: tuple[int, ...]
    is_bot: bool
    at: datetime
