"""The world's things: users, guilds, channels, roles, members.

They are the state the stand-in serves *and* the handles tests drive (`await member.join(vc)`).
Changing something after a bot connected sends the matching gateway event; the async methods also
wait until an in-process bot has handled it (see `FakeDiscord.emit`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord

from fakediscord import payloads
from fakediscord.errors import FakeDiscordError

if TYPE_CHECKING:
    from fakediscord.interactions import Choice, Reply
    from fakediscord.messages import Message
    from fakediscord.world import FakeDiscord

ALL_PERMISSIONS = discord.Permissions.all().value
ADMINISTRATOR = discord.Permissions(administrator=True).value
# What @everyone may do in a fresh guild: talk, listen, use commands; nothing that manages anything.
EVERYONE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    read_message_history=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    connect=True,
    speak=True,
    use_voice_activation=True,
    use_application_commands=True,
).value


class ChannelType(enum.IntEnum):
    TEXT = 0
    DM = 1
    VOICE = 2
    CATEGORY = 4


def permission_bits(value: int | discord.Permissions) -> int:
    return value.value if isinstance(value, discord.Permissions) else int(value)


@dataclass(eq=False)
class User:
    id: int
    name: str
    bot: bool = False

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@dataclass(eq=False)
class Role:
    guild: Guild = field(repr=False)
    id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False
    bot_id: int | None = None

    @property
    def is_everyone(self) -> bool:
        return self.id == self.guild.id

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    async def edit(
        self,
        *,
        name: str | None = None,
        permissions: int | discord.Permissions | None = None,
        color: int | None = None,
    ) -> None:
        """Change the role and wait until the bot handled GUILD_ROLE_UPDATE."""
        if name is not None:
            self.name = name
        if permissions is not None:
            self.permissions = permission_bits(permissions)
        if color is not None:
            self.color = color
        await self.guild.world.emit(
            "GUILD_ROLE_UPDATE",
            {"guild_id": str(self.guild.id), "role": payloads.role(self)},
            self.guild.id,
        )

    async def delete(self) -> None:
        """Delete the role (members lose it) and wait until the bot handled GUILD_ROLE_DELETE."""
        if self.is_everyone:
            raise FakeDiscordError("@everyone cannot be deleted")
        del self.guild.roles[self.id]
        for member in self.guild.members.values():
            if self in member.roles:
                member.roles.remove(self)
        await self.guild.world.emit(
            "GUILD_ROLE_DELETE",
            {"guild_id": str(self.guild.id), "role_id": str(self.id)},
            self.guild.id,
        )


@dataclass(eq=False)
class Channel:
    guild: Guild | None = field(repr=False)
    id: int
    name: str
    type: ChannelType
    position: int = 0
    user_limit: int = 0
    bitrate: int = 64_000
    recipient: User | None = field(default=None, repr=False)

    @property
    def is_voice(self) -> bool:
        return self.type is ChannelType.VOICE

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def world(self) -> FakeDiscord:
        if self.guild is None:
            raise FakeDiscordError("DM channels do not know their world")
        return self.guild.world

    @property
    def messages(self) -> list[Message]:
        """What the bot sent here (ephemeral interaction replies included), oldest first."""
        return self.world.messages_in(self)

    @property
    def voice_members(self) -> list[Member]:
        """Who sits in this voice channel right now."""
        if self.guild is None:
            return []
        return [m for m in self.guild.members.values() if m.voice and m.voice.channel is self]


@dataclass(eq=False)
class VoiceState:
    channel: Channel
    session_id: str
    since: datetime
    self_mute: bool = False
    self_deaf: bool = False


@dataclass(eq=False)
class Member:
    guild: Guild = field(repr=False)
    user: User
    joined_at: datetime
    nick: str | None = None
    roles: list[Role] = field(default_factory=list)
    voice: VoiceState | None = None

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def display_name(self) -> str:
        return self.nick or self.user.name

    @property
    def mention(self) -> str:
        return self.user.mention

    @property
    def permissions(self) -> int:
        """Guild-level permissions (roles OR-ed, administrator and owner get everything).

        Channel overwrites are not modelled.
        """
        if self.id == self.guild.owner_id:
            return ALL_PERMISSIONS
        bits = self.guild.everyone.permissions
        for role in self.roles:
            bits |= role.permissions
        return ALL_PERMISSIONS if bits & ADMINISTRATOR else bits

    @property
    def world(self) -> FakeDiscord:
        return self.guild.world

    # --- voice -----------------------------------------------------------------------------
    async def join(self, channel: Channel) -> None:
        """Join a voice channel; returns once the bot has handled the VOICE_STATE_UPDATE."""
        if self.voice is not None:
            raise FakeDiscordError(
                f"{self.name} is already in {self.voice.channel.name!r}: use move() or leave()"
            )
        await self._set_voice(channel)

    async def move(self, channel: Channel) -> None:
        """Move to another voice channel (one VOICE_STATE_UPDATE, as Discord sends)."""
        if self.voice is None:
            raise FakeDiscordError(f"{self.name} is not in a voice channel: use join()")
        if self.voice.channel is channel:
            raise FakeDiscordError(f"{self.name} is already in {channel.name!r}")
        await self._set_voice(channel)

    async def leave(self) -> None:
        """Leave voice; returns once the bot has handled the VOICE_STATE_UPDATE."""
        if self.voice is None:
            raise FakeDiscordError(f"{self.name} is not in a voice channel")
        self.voice = None
        await self.world.emit("VOICE_STATE_UPDATE", payloads.voice_state(self), self.guild.id)

    async def _set_voice(self, channel: Channel) -> None:
        if not channel.is_voice or channel.guild is not self.guild:
            raise FakeDiscordError(
                f"{channel.name!r} is not a voice channel of {self.guild.name!r}"
            )
        if channel.user_limit and len(channel.voice_members) >= channel.user_limit:
            raise FakeDiscordError(f"{channel.name!r} is full ({channel.user_limit} members)")
        self.voice = VoiceState(channel, self.world.new_voice_session(), self.world.clock.now())
        await self.world.emit("VOICE_STATE_UPDATE", payloads.voice_state(self), self.guild.id)

    # --- roles, nickname, leaving ------------------------------------------------------------
    async def add_roles(self, *roles: Role) -> None:
        await self.edit(roles=[*self.roles, *(r for r in roles if r not in self.roles)])

    async def remove_roles(self, *roles: Role) -> None:
        await self.edit(roles=[r for r in self.roles if r not in roles])

    async def edit(self, *, nick: str | None = None, roles: Iterable[Role] | None = None) -> None:
        """Change nickname or roles; waits until the bot handled GUILD_MEMBER_UPDATE."""
        self.update(nick=nick, roles=roles)
        await self.world.emit("GUILD_MEMBER_UPDATE", payloads.member_update(self), self.guild.id)

    def update(self, *, nick: str | None = None, roles: Iterable[Role] | None = None) -> None:
        """Change state without sending anything (the REST side sends the event itself)."""
        if nick is not None:
            self.nick = nick or None
        if roles is not None:
            roles = list(roles)
            for role in roles:
                if role.guild is not self.guild or role.is_everyone:
                    raise FakeDiscordError(
                        f"{role.name!r} is not a role to give in {self.guild.name!r}"
                    )
            self.roles = roles

    async def leave_guild(self) -> None:
        """Leave the guild (voice first, as Discord does); waits for GUILD_MEMBER_REMOVE."""
        if self.voice is not None:
            await self.leave()
        del self.guild.members[self.id]
        await self.world.emit(
            "GUILD_MEMBER_REMOVE",
            {"guild_id": str(self.guild.id), "user": payloads.user(self.user)},
            self.guild.id,
        )

    # --- commands ----------------------------------------------------------------------------
    async def slash(
        self,
        command: str,
        options: Mapping[str, Any] | None = None,
        /,
        *,
        in_channel: Channel | None = None,
        allow_errors: bool = False,
        unchecked: bool = False,
        **kwargs: Any,
    ) -> Reply:
        """Run a slash command, e.g. `slash("mining event start", name="Sunday op")`.

        Options are keyword arguments (or a dict, for names that clash with the parameters here).
        `unchecked=True` sends values Discord's client would stop (out of range, too long, not a
        choice), as a modified client could.
        Returns once the bot answered (after a defer: once it followed up or edited) and, for an
        in-process bot, once the command's handler finished.
        """
        return await self.world.invoke(
            self,
            command,
            {**(options or {}), **kwargs},
            channel=in_channel,
            allow_errors=allow_errors,
            unchecked=unchecked,
        )

    async def autocomplete(
        self,
        command: str,
        options: Mapping[str, Any] | None = None,
        /,
        *,
        focused: str | None = None,
        in_channel: Channel | None = None,
        **kwargs: Any,
    ) -> list[Choice]:
        """Type into an option with autocomplete; returns the choices the bot offered.

        The focused option is the only one given, or the one named by `focused`.
        """
        values = {**(options or {}), **kwargs}
        if focused is None:
            if len(values) != 1:
                raise FakeDiscordError("autocomplete: name the option being typed with focused=")
            focused = next(iter(values))
        reply = await self.world.invoke(self, command, values, channel=in_channel, focused=focused)
        return reply.choices

    async def click(
        self,
        message: Message | Reply,
        custom_id: str,
        *,
        values: list[str] | None = None,
        allow_errors: bool = False,
    ) -> Reply:
        """Press a button (by `custom_id`), or pick `values` in a select, on a bot's message."""
        return await self.world.click(
            self, message, custom_id, values=values, allow_errors=allow_errors
        )

    async def submit(self, reply: Reply, *, allow_errors: bool = False, **fields: str) -> Reply:
        """Fill in the modal the bot opened (text inputs by custom_id) and submit it."""
        return await self.world.submit(self, reply, fields, allow_errors=allow_errors)

    @property
    def dms(self) -> list[Message]:
        """Direct messages the bot sent this member."""
        channel = self.world.dm_channels.get(self.id)
        return [] if channel is None else self.world.messages_in(channel)


class Guild:
    """A guild and its factory methods: `text`, `voice`, `role`, `member` get or create by name."""

    def __init__(self, world: FakeDiscord, id: int, name: str) -> None:
        self.world = world
        self.id = id
        self.name = name
        self.owner_id = world.owner.id
        self.afk_channel_id: int | None = None
        self.created_at = world.clock.now()
        self.channels: dict[int, Channel] = {}
        self.roles: dict[int, Role] = {id: Role(self, id, "@everyone", EVERYONE_PERMISSIONS)}
        self.members: dict[int, Member] = {}

    def __repr__(self) -> str:
        return f"<Guild {self.name!r} id={self.id}>"

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    @property
    def me(self) -> Member:
        """The bot's own member."""
        return self.members[self.world.bot_user.id]

    @property
    def afk_channel(self) -> Channel | None:
        return None if self.afk_channel_id is None else self.channels[self.afk_channel_id]

    @property
    def default_channel(self) -> Channel:
        return next(c for c in self.channels.values() if c.type is ChannelType.TEXT)

    @property
    def voice_states(self) -> list[Member]:
        return [m for m in self.members.values() if m.voice is not None]

    def get_member(self, name: str) -> Member:
        for member in self.members.values():
            if name in (member.name, member.nick):
                return member
        raise KeyError(f"no member {name!r} in {self.name!r}")

    # --- factories -----------------------------------------------------------------------------
    def text(self, name: str) -> Channel:
        return self._channel(name, ChannelType.TEXT)

    def voice(self, name: str, *, afk: bool = False, user_limit: int = 0) -> Channel:
        channel = self._channel(name, ChannelType.VOICE, user_limit=user_limit)
        if afk and self.afk_channel_id != channel.id:
            self.afk_channel_id = channel.id
            self.world.publish("GUILD_UPDATE", payloads.guild(self), self.id)
        return channel

    def role(
        self, name: str, *, permissions: int | discord.Permissions = 0, mentionable: bool = False
    ) -> Role:
        """Get or create a role; `permissions` as bits or `discord.Permissions(...)`; anyone may
        ping a `mentionable` one (others only whoever may mention everyone)."""
        for role in self.roles.values():
            if role.name == name:
                return role
        return self._add_role(name, permission_bits(permissions), mentionable=mentionable)

    def member(
        self,
        name: str,
        *,
        roles: Iterable[Role] = (),
        bot: bool = False,
        nick: str | None = None,
    ) -> Member:
        """Get or create a member. Created while a bot is connected: GUILD_MEMBER_ADD is sent
        without waiting (use `await add_member(...)` to wait for the bot)."""
        for member in self.members.values():
            if member.name == name:
                return member
        member = self._add_member(
            User(self.world.ids.next(), name, bot=bot), nick=nick, roles=roles
        )
        self.world.publish("GUILD_MEMBER_ADD", payloads.member_add(member), self.id)
        return member

    async def add_member(
        self,
        name: str,
        *,
        roles: Iterable[Role] = (),
        bot: bool = False,
        nick: str | None = None,
    ) -> Member:
        """A new member joins; waits until the bot handled GUILD_MEMBER_ADD."""
        if any(m.name == name for m in self.members.values()):
            raise FakeDiscordError(f"{name!r} is already a member of {self.name!r}")
        member = self._add_member(
            User(self.world.ids.next(), name, bot=bot), nick=nick, roles=roles
        )
        await self.world.emit("GUILD_MEMBER_ADD", payloads.member_add(member), self.id)
        return member

    async def create_role(self, name: str, *, permissions: int | discord.Permissions = 0) -> Role:
        """Create a role; waits until the bot handled GUILD_ROLE_CREATE."""
        if any(r.name == name for r in self.roles.values()):
            raise FakeDiscordError(f"role {name!r} already exists in {self.name!r}")
        role = Role(
            self, self.world.ids.next(), name, permission_bits(permissions), len(self.roles)
        )
        self.roles[role.id] = role
        await self.world.emit(
            "GUILD_ROLE_CREATE", {"guild_id": str(self.id), "role": payloads.role(role)}, self.id
        )
        return role

    # --- internals -------------------------------------------------------------------------------
    def _channel(self, name: str, kind: ChannelType, *, user_limit: int = 0) -> Channel:
        for channel in self.channels.values():
            if channel.name == name and channel.type is kind:
                return channel
        position = sum(1 for c in self.channels.values() if c.type is kind)
        channel = Channel(self, self.world.ids.next(), name, kind, position, user_limit=user_limit)
        self.channels[channel.id] = channel
        self.world.publish("CHANNEL_CREATE", payloads.channel(channel), self.id)
        return channel

    def _add_role(
        self, name: str, permissions: int, *, bot_id: int | None = None, mentionable: bool = False
    ) -> Role:
        role = Role(self, self.world.ids.next(), name, permissions, len(self.roles))
        role.mentionable = mentionable
        role.managed = bot_id is not None
        role.bot_id = bot_id
        self.roles[role.id] = role
        self.world.publish(
            "GUILD_ROLE_CREATE", {"guild_id": str(self.id), "role": payloads.role(role)}, self.id
        )
        return role

    def _add_member(
        self, user: User, *, nick: str | None = None, roles: Iterable[Role] = ()
    ) -> Member:
        member = Member(self, user, self.world.clock.now(), nick=nick)
        member.update(roles=roles)
        self.members[user.id] = member
        self.world.users[user.id] = user
        return member
