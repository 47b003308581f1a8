"""Approved mining voice channels per guild: time counts only in these."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from tortoise.transactions import atomic

from core.errors import InvalidInput, NotFound
from plugins.mining import sessions, topics
from plugins.mining.models import EventStatus, MiningChannel, MiningEvent
from storage.change_feed import publish

NAME_MAX = 100


@atomic()
async def add_channel(
    guild_id: int,
    channel_id: int,
    name: str,
    *,
    voice_channel_ids: Collection[int],
    afk_channel_id: int | None = None,
) -> tuple[MiningChannel, bool]:
    """Approve a voice channel of this guild; (channel, newly approved).

    `voice_channel_ids` are the guild's voice channels as Discord reports them, so a text
    channel or another server's channel is refused.
    """
    if channel_id not in voice_channel_ids:
        raise InvalidInput(f"Channel {channel_id} is not a voice channel of this server.")
    if channel_id == afk_channel_id:
        raise InvalidInput(
            f"Channel {channel_id} is this server's AFK channel: time there never counts."
        )
    name = (name or "").strip()[:NAME_MAX] or str(channel_id)
    channel, created = await MiningChannel.get_or_create(
        guild_id=guild_id, channel_id=channel_id, defaults={"channel_name": name}
    )
    if created:
        await publish(topics.CHANNELS, guild_id)
        return channel, True
    changed = not channel.is_active or channel.channel_name != name
    if changed:
        was_active = channel.is_active
        channel.is_active, channel.channel_name = True, name
        await channel.save(update_fields=["is_active", "channel_name"])
        await publish(topics.CHANNELS, guild_id)
        return channel, not was_active
    return channel, False


@atomic()
async def remove_channel(guild_id: int, channel_id: int, *, at: datetime) -> int:
    """Stop counting time in a channel; sessions open there in active events close now.

    Returns how many sessions were closed.
    """
    updated = await MiningChannel.filter(
        guild_id=guild_id, channel_id=channel_id, is_active=True
    ).update(is_active=False)
    if not updated:
        raise NotFound(f"<#{channel_id}> is not an approved mining channel here.")
    await publish(topics.CHANNELS, guild_id)
    active = await MiningEvent.filter(guild_id=guild_id, status=EventStatus.ACTIVE).values_list(
        "id", flat=True
    )
    return await sessions.close_sessions(list(active), at, channel_id=channel_id)


async def list_channels(guild_id: int) -> list[MiningChannel]:
    return await MiningChannel.filter(guild_id=guild_id, is_active=True).order_by("channel_name")


async def approved_channel_ids(guild_id: int) -> frozenset[int]:
    ids = await MiningChannel.filter(guild_id=guild_id, is_active=True).values_list(
        "channel_id", flat=True
    )
    return frozenset(ids)


async def approved_channels_of(guild_ids: Sequence[int]) -> dict[int, frozenset[int]]:
    """Each guild's approved channels, for many guilds in one query (start-up)."""
    found: dict[int, set[int]] = {}
    rows = await MiningChannel.filter(guild_id__in=guild_ids, is_active=True).values_list(
        "guild_id", "channel_id"
    )
    for guild_id, channel_id in rows:
        found.setdefault(guild_id, set()).add(channel_id)
    return {guild_id: frozenset(ids) for guild_id, ids in found.items()}
