"""`FakeDiscord`: the stand-in's world and the entry point tests use."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import weakref
from collections.abc import AsyncIterator
from typing import Any

import discord

from clocks import Clock, VirtualClock
from fakediscord import payloads
from fakediscord.commands import CommandRegistry, build_command_data
from fakediscord.entities import ADMINISTRATOR, Channel, ChannelType, Guild, Member, Role, User
from fakediscord.errors import BotError, FakeDiscordError, NoResponse, NotConnected
from fakediscord.gateway import PRIVILEGED, Gateway
from fakediscord.ids import Snowflakes
from fakediscord.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    DEFERRED_MESSAGE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionRecord,
    Reply,
)
from fakediscord.messages import CHAT_INPUT_COMMAND, DEFAULT, REPLY, Attachment, File, Message
from fakediscord.oauth import OAuth2
from fakediscord.server import Server, discord_pointed_at
from fakediscord.settle import Delivery, ErrorLog, Watcher, handler_tasks

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "fakediscord.bot.token"

# every world alive, so a pytest fixture can look at what the bot sent in each (pings)
WORLDS: weakref.WeakSet[FakeDiscord] = weakref.WeakSet()


class FakeDiscord:
    """A Discord of one application (the bot) and the guilds, members and messages it sees.

    Build the world (`guild`, then `text`/`voice`/`role`/`member` on it), `serve()` it, connect
    a bot (`run_client`, or a bot process given `api_base`/`gateway_url`), then drive members.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        token: str = DEFAULT_TOKEN,
        bot_name: str = "Red Legion Bot",
        timeout: float = 5.0,
        shard_count: int = 1,
        privileged_intents: int = PRIVILEGED,
        id_clock: Clock | None = None,
    ) -> None:
        self.clock: Clock = clock if clock is not None else VirtualClock()
        # ids follow `clock` unless told otherwise: the demo replays a past Sunday, yet each run
        # needs ids (a guild) of its own to be run again on the same database
        self.ids = Snowflakes(id_clock or self.clock)
        self.token = token
        self.timeout = timeout  # seconds (real time) to wait for the bot
        self.shard_count = shard_count  # what GET /gateway/bot recommends
        self.privileged_intents = privileged_intents  # as enabled in the developer portal
        # Discord drops an interaction not answered (or deferred) within 3 s of real time. Off by
        # default so a slow CI machine does not fail tests; set 3.0 to catch missing defers.
        self.response_deadline: float | None = None
        self.owner = User(self.ids.next(), "Application Owner")
        self.bot_user = User(self.ids.next(), bot_name, bot=True)
        self.application_id = self.bot_user.id
        self.users: dict[int, User] = {u.id: u for u in (self.owner, self.bot_user)}
        self.guilds: dict[int, Guild] = {}
        self.dm_channels: dict[int, Channel] = {}  # by recipient user id
        self.messages: list[Message] = []  # everything the bot sent, in order
        self.interactions: dict[str, InteractionRecord] = {}  # by token
        WORLDS.add(self)
        self.uploads: dict[int, Attachment] = {}  # files members attached to commands
        self.unknown_routes: list[tuple[str, str]] = []
        self.commands = CommandRegistry(self.application_id, self.ids.next, self.clock.now)
        self.gateway = Gateway(self)
        self.oauth = OAuth2(self)  # the portal's sign-in side (fakediscord/oauth.py)
        self.watcher = Watcher(self.gateway.sessions)
        self.errors = ErrorLog()
        self._server: Server | None = None

    # --- building the world ---------------------------------------------------------------------
    def guild(self, name: str, *, owner: str | None = None) -> Guild:
        """Get or create a guild by name. A new guild has a "general" text channel and the bot
        as a member (with an administrator role); `owner` creates that member as its owner."""
        for guild in self.guilds.values():
            if guild.name == name:
                return guild
        guild = Guild(self, self.ids.spread(len(self.guilds)), name)
        guild.text("general")
        bot_role = guild._add_role(self.bot_user.name, ADMINISTRATOR, bot_id=self.bot_user.id)
        guild._add_member(self.bot_user, roles=[bot_role])
        if owner is not None:
            guild.owner_id = guild._add_member(User(self.ids.next(), owner)).id
        self.guilds[guild.id] = guild
        for session in self.gateway.targets("GUILD_CREATE", guild.id):
            self.gateway.send_guild_create(session, guild)
        return guild

    # --- serving --------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def serve(self, *, patch_discord: bool = True) -> AsyncIterator[FakeDiscord]:
        """Run the server; with `patch_discord`, point this process's discord.py at it."""
        if self._server is not None:
            raise FakeDiscordError("this world is already serving")
        self._server = Server(self)
        await self._server.start()
        root = logging.getLogger()
        root.addHandler(self.errors)
        try:
            with (
                discord_pointed_at(self.api_base, self.gateway_url)
                if patch_discord
                else contextlib.nullcontext()
            ):
                try:
                    yield self
                finally:
                    for client in list(self.watcher.clients):
                        log.warning(
                            "fakediscord: closing %r, still running when serve() ended", client
                        )
                        await client.close()
                    await self.gateway.close()
        finally:
            root.removeHandler(self.errors)
            await self._server.stop()
            self._server = None

    @property
    def serving(self) -> bool:
        return self._server is not None

    @property
    def base_url(self) -> str:
        return self._running_server().base_url

    @property
    def api_base(self) -> str:
        """REST base for a bot process: `discord.http.Route.BASE` (…/api/v10)."""
        return self._running_server().api_base

    @property
    def gateway_url(self) -> str:
        """Gateway for a bot process: `DiscordWebSocket.DEFAULT_GATEWAY`."""
        return self._running_server().gateway_url

    def environ(self) -> dict[str, str]:
        """Environment for a `redlegion run` process that should use this stand-in."""
        return {
            "REDLEGION_DISCORD_API_BASE": self.api_base,
            "REDLEGION_DISCORD_GATEWAY_URL": self.gateway_url,
            "DISCORD_TOKEN": self.token,
        }

    def _running_server(self) -> Server:
        if self._server is None:
            raise FakeDiscordError("the stand-in is not serving: use `async with world.serve():`")
        return self._server

    @contextlib.asynccontextmanager
    async def run_client(
        self, client: discord.Client, *, allow_errors: bool = False
    ) -> AsyncIterator[discord.Client]:
        """Start a discord.py client against the stand-in, wait until it is ready and its
        start-up handlers (`on_ready`, `on_guild_available`, ...) finished; close it after.
        Errors logged while starting raise `BotError` unless `allow_errors`.

        Build the client with a small `guild_ready_timeout` (e.g. 0.05): discord.py waits that
        long after the last GUILD_CREATE before it is ready (default 2 s).
        """
        self._running_server()
        self.watcher.attach(client)
        start = self._delivery("start-up")
        task = asyncio.create_task(client.start(self.token), name="fakediscord: client")
        try:
            await self._until_ready(client, task)
            await self.watcher.quiesce("start-up", self.timeout)
            self._check_errors(start, "start-up", allow_errors)
            yield client
        finally:
            await client.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(task, self.timeout)
            self.watcher.detach(client)

    async def _until_ready(self, client: discord.Client, task: asyncio.Task[None]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while not client.is_ready():
            if task.done():
                task.result()  # raises why the client stopped
                raise FakeDiscordError("the client stopped before it was ready")
            if loop.time() > deadline:
                raise FakeDiscordError(f"the client was not ready within {self.timeout}s")
            await asyncio.sleep(0.005)

    async def wait_for_identify(self, count: int = 1, *, within: float = 60.0) -> None:
        """Wait until `count` IDENTIFYs in total were accepted (e.g. a bot process connected).

        Returns the moment the stand-in accepts it, before the bot has read its READY: what is
        sent then waits for the bot like anything else (see `fakediscord.settle`). The bound is
        not `self.timeout`: a bot process starts Python and migrates a database first, which on
        a loaded machine takes longer than the bot may take to answer an interaction.
        """
        try:
            await asyncio.wait_for(self.gateway.wait_for_identify(count), within)
        except TimeoutError:
            raise FakeDiscordError(f"timed out waiting for {count} IDENTIFY(s)") from None

    async def drop_connections(self, *, code: int = 4000, abrupt: bool = False) -> None:
        """Cut the bot's gateway connections; sessions stay resumable (see `Gateway.drop`)."""
        await self.gateway.drop(code=code, abrupt=abrupt)

    # --- sending events -------------------------------------------------------------------------
    def publish(self, event: str, data: dict[str, Any], guild_id: int | None) -> Delivery:
        """Send a dispatch to every session that covers the guild and has the intent for it.

        Returns at once; `emit` also waits for the bot.
        """
        delivery = self._delivery(event)
        if guild_id is not None and guild_id not in self.guilds:
            return delivery  # a guild still being built: its GUILD_CREATE carries everything
        for session in self.gateway.targets(event, guild_id):
            delivery.targets.append((session, session.dispatch(event, data)))
        return delivery

    async def emit(
        self,
        event: str,
        data: dict[str, Any],
        guild_id: int | None,
        *,
        allow_errors: bool = False,
    ) -> None:
        """Send a dispatch and wait until in-process bots handled it (see `fakediscord.settle`).

        Raises `BotError` if the bot logged errors meanwhile, unless `allow_errors`.
        """
        delivery = self.publish(event, data, guild_id)
        await self.watcher.settle(delivery, self.timeout)
        self._check_errors(delivery, event, allow_errors)

    def _delivery(self, event: str) -> Delivery:
        return Delivery(event, [], handler_tasks(), len(self.errors.records))

    def _check_errors(self, delivery: Delivery, what: str, allow_errors: bool) -> None:
        errors = self.errors.since(delivery.errors_mark)
        if errors and not allow_errors:
            raise BotError(what, errors)

    # --- interactions ---------------------------------------------------------------------------
    async def invoke(
        self,
        member: Member,
        command: str,
        values: dict[str, Any],
        *,
        channel: Channel | None = None,
        allow_errors: bool = False,
        focused: str | None = None,
        unchecked: bool = False,
    ) -> Reply:
        """A member runs a slash command (or, with `focused`, types into an autocomplete);
        `unchecked` skips the client-side range, length and choice checks."""
        guild = member.guild
        if member.user.bot:
            raise FakeDiscordError(f"{member.name} is a bot; bots cannot run slash commands")
        if guild.members.get(member.id) is not member:
            raise FakeDiscordError(f"{member.name} is not a member of {guild.name!r}")
        data = build_command_data(
            self, guild, member, command, values, focused=focused, unchecked=unchecked
        )
        record = self._interaction(
            AUTOCOMPLETE if focused else APPLICATION_COMMAND,
            member,
            channel or guild.default_channel,
            " ".join(command.strip().lstrip("/").split()),
        )
        record.options = {k: _shown(v) for k, v in values.items()}
        return await self._deliver(record, data, allow_errors)

    async def click(
        self,
        member: Member,
        message: Message | Reply,
        custom_id: str,
        *,
        values: list[str] | None = None,
        allow_errors: bool = False,
    ) -> Reply:
        """A member presses a button, or picks `values` in a select, on a message the bot sent."""
        target = message.message if isinstance(message, Reply) else message
        if target is None:
            raise FakeDiscordError("that reply has no message to click on")
        component = next(
            (
                c
                for row in target.components
                for c in row.get("components", [])
                if c.get("custom_id") == custom_id
            ),
            None,
        )
        if component is None:
            raise FakeDiscordError(
                f"no component {custom_id!r} on the message; it has {target.custom_ids}"
            )
        if component.get("disabled"):
            raise FakeDiscordError(f"{custom_id!r} is disabled")
        record = self._interaction(
            MESSAGE_COMPONENT, member, target.channel, f"click {custom_id}", target
        )
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] != 2:
            offered = [o["value"] for o in component.get("options", [])]
            if offered and not set(values or []) <= set(offered):
                raise FakeDiscordError(f"{custom_id!r} offers {offered}, not {values}")
            data["values"] = list(values or [])
        return await self._deliver(record, data, allow_errors)

    async def submit(
        self,
        member: Member,
        reply: Reply,
        fields: dict[str, str],
        *,
        allow_errors: bool = False,
    ) -> Reply:
        """A member fills in the modal the bot opened (`reply.modal`) and submits it."""
        modal = reply.modal
        if modal is None:
            raise FakeDiscordError("that reply opened no modal")
        inputs = _text_inputs(modal.get("components", []))
        unknown = set(fields) - set(inputs)
        if unknown:
            raise FakeDiscordError(f"the modal has no field {sorted(unknown)}; it has {inputs}")
        missing = [i for i, required in inputs.items() if required and not fields.get(i)]
        if missing:
            raise FakeDiscordError(f"the modal needs {missing}")
        record = self._interaction(
            MODAL_SUBMIT, member, reply.interaction.channel, f"modal {modal['custom_id']}"
        )
        data = {
            "custom_id": modal["custom_id"],
            "components": _filled(modal.get("components", []), fields),
        }
        return await self._deliver(record, data, allow_errors)

    def _interaction(
        self, kind: int, member: Member, channel: Channel, name: str, message: Message | None = None
    ) -> InteractionRecord:
        record = InteractionRecord(
            self,
            id=self.ids.next(),
            token=secrets.token_urlsafe(32),
            type=kind,
            member=member,
            channel=channel,
            name=name,
            created_at=self.clock.now(),
            message=message,
        )
        self.interactions[record.token] = record
        return record

    async def _deliver(
        self,
        record: InteractionRecord,
        data: dict[str, Any],
        allow_errors: bool,
    ) -> Reply:
        guild = record.member.guild
        session = self.gateway.interaction_target(guild.id)
        if session is None:
            raise NotConnected(f"no bot is connected to the gateway for {guild.name!r}")
        delivery = self._delivery("INTERACTION_CREATE")
        payload = self._interaction_payload(record, data)
        record.sent_at = asyncio.get_running_loop().time()
        delivery.targets.append((session, session.dispatch("INTERACTION_CREATE", payload)))
        timeout = self.timeout
        what = f"/{record.name}" if record.type != MESSAGE_COMPONENT else record.name
        if await self.watcher.settle(delivery, timeout):
            self._check_errors(delivery, what, allow_errors)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(record.answered.wait(), timeout)
        if not record.answered.is_set():
            if record.response_type == DEFERRED_MESSAGE:
                raise NoResponse(
                    f"{what}: the bot deferred but never followed up or edited the response"
                )
            raise NoResponse(f"{what}: the bot did not answer within {timeout}s")
        return Reply(record)

    def _interaction_payload(
        self, record: InteractionRecord, data: dict[str, Any]
    ) -> dict[str, Any]:
        member, guild = record.member, record.member.guild
        payload: dict[str, Any] = {
            "id": str(record.id),
            "application_id": str(self.application_id),
            "type": record.type,
            "token": record.token,
            "version": 1,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": str(record.channel.id),
            "channel": {**payloads.channel(record.channel), "permissions": str(member.permissions)},
            "member": {**payloads.member(member), "permissions": str(member.permissions)},
            "app_permissions": str(guild.me.permissions),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
            "data": data,
        }
        if record.message is not None:
            payload["message"] = payloads.message(record.message, self.base_url)
        return payload

    # --- messages and files ---------------------------------------------------------------------
    def create_message(
        self,
        channel: Channel,
        body: dict[str, Any],
        files: list[File],
        *,
        flags: int = 0,
        interaction: InteractionRecord | None = None,
    ) -> Message:
        """Record a message the bot sent (the REST side calls this)."""
        if interaction is not None:
            kind = CHAT_INPUT_COMMAND
        else:
            kind = REPLY if body.get("message_reference") else DEFAULT
        message = Message(
            self.ids.next(),
            channel,
            self.bot_user,
            self.clock.now(),
            flags=flags,
            type=kind,
            interaction=interaction,
        )
        message.apply(body, files, self.ids.next)
        self.messages.append(message)
        return message

    def stray_pings(self) -> list[Message]:
        """Messages that ping someone other than by an id the bot listed in allowed_mentions
        (`@everyone`, a role, or a user parsed from the content): what a bot that means to
        "mention nobody except the members a reply is about" never sends."""
        return [m for m in self.messages if not m.deleted and m.stray_pings]

    def messages_in(self, channel: Channel) -> list[Message]:
        """Messages the bot sent to a channel (ephemeral interaction replies included)."""
        return [m for m in self.messages if m.channel is channel and not m.deleted]

    def find_message(self, message_id: int) -> Message | None:
        return next((m for m in self.messages if m.id == message_id), None)

    def find_channel(self, channel_id: int) -> Channel | None:
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.channels[channel_id]
        return next((c for c in self.dm_channels.values() if c.id == channel_id), None)

    def dm_channel(self, user: User) -> Channel:
        if user.id not in self.dm_channels:
            self.dm_channels[user.id] = Channel(
                None, self.ids.next(), "", ChannelType.DM, recipient=user
            )
        return self.dm_channels[user.id]

    def store_upload(self, file: File) -> Attachment:
        attachment = Attachment(self.ids.next(), file)
        self.uploads[attachment.id] = attachment
        return attachment

    def find_attachment(self, attachment_id: int) -> Attachment | None:
        if attachment_id in self.uploads:
            return self.uploads[attachment_id]
        return next(
            (a for m in self.messages for a in m.attachments if a.id == attachment_id), None
        )

    def new_voice_session(self) -> str:
        return secrets.token_hex(16)

    def transcript(self) -> list[str]:
        """What members ran and what the bot sent, oldest first, one line each (for the demo
        and for failure messages): `[18:45] #general Ace: /mining event start name:Sunday op`."""
        from fakediscord.transcript import render

        return render(self)


def _shown(value: Any) -> str:
    if isinstance(value, Member | Role):
        return f"@{value.name}"
    if isinstance(value, Channel):
        return f"#{value.name}"
    if isinstance(value, File):
        return value.name
    return str(value)


TEXT_INPUT, ACTION_ROW, LABEL = 4, 1, 18


def _text_inputs(components: list[dict[str, Any]]) -> dict[str, bool]:
    """custom_id → required, for every text input of a modal (in action rows or labels)."""
    found: dict[str, bool] = {}
    for c in components:
        if c.get("type") == TEXT_INPUT:
            found[c["custom_id"]] = c.get("required", True)
        found.update(_text_inputs(c.get("components", [])))
        if "component" in c:
            found.update(_text_inputs([c["component"]]))
    return found


def _filled(components: list[dict[str, Any]], fields: dict[str, str]) -> list[dict[str, Any]]:
    """The modal's layout as Discord submits it: each text input carrying its value."""
    out = []
    for c in components:
        if c.get("type") == TEXT_INPUT:
            out.append(
                {
                    "type": TEXT_INPUT,
                    "custom_id": c["custom_id"],
                    "value": fields.get(c["custom_id"], ""),
                }
            )
        elif c.get("type") == LABEL and "component" in c:
            out.append(
                {
                    "type": LABEL,
                    "id": c.get("id"),
                    "component": _filled([c["component"]], fields)[0],
                }
            )
        elif c.get("type") == ACTION_ROW:
            out.append({"type": ACTION_ROW, "components": _filled(c.get("components", []), fields)})
    return out
