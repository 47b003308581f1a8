"""The JSON shapes Discord sends, built from the world's state.

Only what discord.py reads plus the fields Discord always includes; ids are strings as on the wire.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fakediscord.entities import Channel, Guild, Member, Role, User
    from fakediscord.messages import Attachment, Message


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def user(u: User) -> dict[str, Any]:
    return {
        "id": str(u.id),
        "username": u.name,
        "discriminator": "0",
        "global_name": u.name,
        "avatar": None,
        "bot": u.bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
    }


def member(m: Member, *, with_user: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "roles": [str(r.id) for r in m.roles],
        "nick": m.nick,
        "avatar": None,
        "joined_at": iso(m.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user(m.user)
    return data


def member_add(m: Member) -> dict[str, Any]:
    return {**member(m), "guild_id": str(m.guild.id)}


def member_update(m: Member) -> dict[str, Any]:
    return {**member(m), "guild_id": str(m.guild.id)}


def role(r: Role) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(r.id),
        "name": r.name,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": r.managed,
        "mentionable": r.mentionable,
        "flags": 0,
    }
    if r.bot_id is not None:
        data["tags"] = {"bot_id": str(r.bot_id)}
    return data


def channel(c: Channel) -> dict[str, Any]:
    from fakediscord.entities import ChannelType

    data: dict[str, Any] = {"id": str(c.id), "type": int(c.type)}
    if c.type is ChannelType.DM:
        assert c.recipient is not None
        return {**data, "last_message_id": None, "recipients": [user(c.recipient)], "flags": 0}
    assert c.guild is not None
    data.update(
        guild_id=str(c.guild.id),
        name=c.name,
        position=c.position,
        permission_overwrites=[],
        parent_id=None,
        nsfw=False,
        flags=0,
    )
    if c.type is ChannelType.VOICE:
        data.update(
            bitrate=c.bitrate, user_limit=c.user_limit, rtc_region=None, last_message_id=None
        )
    elif c.type is ChannelType.TEXT:
        data.update(topic=None, last_message_id=None, rate_limit_per_user=0)
    return data


def voice_state(m: Member, *, in_guild_create: bool = False) -> dict[str, Any]:
    v = m.voice
    data: dict[str, Any] = {
        "channel_id": None if v is None else str(v.channel.id),
        "user_id": str(m.id),
        "session_id": "" if v is None else v.session_id,
        "deaf": False,
        "mute": False,
        "self_deaf": False if v is None else v.self_deaf,
        "self_mute": False if v is None else v.self_mute,
        "self_stream": False,
        "self_video": False,
        "suppress": False,
        "request_to_speak_timestamp": None,
    }
    if not in_guild_create:
        data["guild_id"] = str(m.guild.id)
        data["member"] = member(m)
    return data


def guild(g: Guild) -> dict[str, Any]:
    """The guild object as in GUILD_UPDATE and REST (no members, channels or voice states)."""
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(g.owner_id),
        "afk_channel_id": None if g.afk_channel_id is None else str(g.afk_channel_id),
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "vanity_url_code": None,
        "features": [],
        "emojis": [],
        "stickers": [],
        "roles": [role(r) for r in g.roles.values()],
    }


def guild_create(g: Guild, *, all_members: bool) -> dict[str, Any]:
    """GUILD_CREATE. Like Discord without the presence intent, it carries only the bot and the
    members in voice unless `all_members`; the rest come by REQUEST_GUILD_MEMBERS."""
    members = [
        m for m in g.members.values() if all_members or m.voice or m.id == g.world.bot_user.id
    ]
    return {
        **guild(g),
        "joined_at": iso(g.me.joined_at),
        "large": False,
        "unavailable": False,
        "member_count": len(g.members),
        "members": [member(m) for m in members],
        "voice_states": [voice_state(m, in_guild_create=True) for m in g.voice_states],
        "channels": [
            {k: v for k, v in channel(c).items() if k != "guild_id"} for c in g.channels.values()
        ],
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def attachment(a: Attachment, base_url: str) -> dict[str, Any]:
    url = f"{base_url}/attachments/{a.id}/{a.file.name}"
    data: dict[str, Any] = {
        "id": str(a.id),
        "filename": a.file.name,
        "size": len(a.file.data),
        "url": url,
        "proxy_url": url,
        "content_type": a.file.content_type,
    }
    if a.description is not None:
        data["description"] = a.description
    return data


def message(msg: Message, base_url: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(msg.id),
        "channel_id": str(msg.channel.id),
        "author": user(msg.author),
        "content": msg.content,
        "timestamp": iso(msg.created_at),
        "edited_timestamp": iso(msg.edited_at),
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [attachment(a, base_url) for a in msg.attachments],
        "embeds": msg.embeds,
        "components": msg.components,
        "reactions": [
            {"emoji": {"id": None, "name": emoji}, "count": 1, "me": True}
            for emoji in msg.reactions
        ],
        "pinned": False,
        "type": msg.type,
        "flags": msg.flags,
    }
    if msg.channel.guild is not None:
        data["guild_id"] = str(msg.channel.guild.id)
    if msg.interaction is not None:
        record = msg.interaction
        data["webhook_id"] = str(record.world.application_id)
        data["application_id"] = str(record.world.application_id)
        data["interaction_metadata"] = {
            "id": str(record.id),
            "type": record.type,
            "user": user(record.member.user),
            "authorizing_integration_owners": {"0": str(record.member.guild.id)},
        }
    return data
