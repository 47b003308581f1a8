"""A local Discord stand-in: REST + gateway on 127.0.0.1 that the unmodified discord.py connects to.

world = FakeDiscord()
guild = world.guild("Red Legion")
alpha = guild.voice("Alpha")
ace = guild.member("Ace", roles=[guild.role("Officer")])
async with world.serve(), world.run_client(client):
    await ace.join(alpha)
    reply = await ace.slash("mining event start", name="Sunday op")
"""

from fakediscord.entities import Channel, ChannelType, Guild, Member, Role, User
from fakediscord.errors import (
    ApiError,
    BotError,
    CommandNotSynced,
    CommandUnavailable,
    FakeDiscordError,
    NoResponse,
    NotConnected,
    NotHandled,
)
from fakediscord.interactions import Choice, Reply
from fakediscord.messages import File, Message
from fakediscord.world import FakeDiscord

__all__ = [
    "ApiError",
    "BotError",
    "Channel",
    "ChannelType",
    "Choice",
    "CommandNotSynced",
    "CommandUnavailable",
    "FakeDiscord",
    "FakeDiscordError",
    "File",
    "Guild",
    "Member",
    "Message",
    "NoResponse",
    "NotConnected",
    "NotHandled",
    "Reply",
    "Role",
    "User",
]
