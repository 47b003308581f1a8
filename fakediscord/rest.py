"""Discord's REST API (v10), the part a bot calls.

To add a route: write a handler method below and list it in `RestApi.routes`. Anything not
listed answers 404 with Discord's error shape and a warning naming the method and path, so a
missing route shows up in the test output instead of as a silent gap.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, hdrs, web

from fakediscord import payloads
from fakediscord.entities import Channel, Guild, Member, Role, VoiceState
from fakediscord.errors import ApiError
from fakediscord.messages import File, Message

if TYPE_CHECKING:
    from fakediscord.interactions import InteractionRecord
    from fakediscord.world import FakeDiscord

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
TOKEN_AUTHENTICATED = (
    f"{API_PREFIX}/webhooks/",
    f"{API_PREFIX}/interactions/",
    f"{API_PREFIX}/oauth2/token",  # client id and secret (fakediscord/oauth.py)
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json": with "; charset=utf-8" discord.py reads the body as text.
    return web.Response(
        status=status, body=json.dumps(data).encode(), content_type="application/json"
    )


def no_content() -> web.Response:
    return web.Response(status=204)


def not_found(code: int, what: str) -> ApiError:
    return ApiError(404, code, f"Unknown {what}")


async def read_body(request: web.Request) -> tuple[dict[str, Any], list[File]]:
    """A JSON body, or multipart/form-data with `payload_json` and `files[n]` parts."""
    if request.content_type == "multipart/form-data":
        body: dict[str, Any] = {}
        files: list[File] = []
        async for part in await request.multipart():
            if not isinstance(part, BodyPartReader):
                continue  # Discord's multipart has no nested parts
            if part.name == "payload_json":
                body = json.loads(await part.text())
            elif part.filename is not None:
                data = bytes(await part.read())
                files.append(File(part.filename, data, part.headers.get(hdrs.CONTENT_TYPE)))
        return body, files
    if request.can_read_body:
        return await request.json(), []
    return {}, []


class RestApi:
    def __init__(self, world: FakeDiscord) -> None:
        self.world = world

    def routes(self) -> list[web.RouteDef]:
        get, put, post, patch, delete = web.get, web.put, web.post, web.patch, web.delete
        p = API_PREFIX
        return [
            get(f"{p}/users/@me", self.me, allow_head=False),
            get(f"{p}/users/{{user_id}}", self.get_user, allow_head=False),
            post(f"{p}/users/@me/channels", self.open_dm),
            get(f"{p}/oauth2/applications/@me", self.application, allow_head=False),
            get(f"{p}/applications/@me", self.application, allow_head=False),
            get(f"{p}/gateway", self.gateway, allow_head=False),
            get(f"{p}/gateway/bot", self.gateway, allow_head=False),
            get(f"{p}/applications/{{app_id}}/commands", self.get_commands, allow_head=False),
            put(f"{p}/applications/{{app_id}}/commands", self.put_commands),
            get(
                f"{p}/applications/{{app_id}}/guilds/{{guild_id}}/commands",
                self.get_commands,
                allow_head=False,
            ),
            put(f"{p}/applications/{{app_id}}/guilds/{{guild_id}}/commands", self.put_commands),
            post(f"{p}/interactions/{{interaction_id}}/{{token}}/callback", self.callback),
            post(f"{p}/webhooks/{{app_id}}/{{token}}", self.followup),
            get(
                f"{p}/webhooks/{{app_id}}/{{token}}/messages/{{message_id}}",
                self.get_response,
                allow_head=False,
            ),
            patch(f"{p}/webhooks/{{app_id}}/{{token}}/messages/{{message_id}}", self.edit_response),
            delete(
                f"{p}/webhooks/{{app_id}}/{{token}}/messages/{{message_id}}", self.delete_response
            ),
            get(f"{p}/channels/{{channel_id}}", self.get_channel, allow_head=False),
            get(f"{p}/channels/{{channel_id}}/messages", self.history, allow_head=False),
            post(f"{p}/channels/{{channel_id}}/messages", self.send_message),
            get(
                f"{p}/channels/{{channel_id}}/messages/{{message_id}}",
                self.get_message,
                allow_head=False,
            ),
            patch(f"{p}/channels/{{channel_id}}/messages/{{message_id}}", self.edit_message),
            delete(f"{p}/channels/{{channel_id}}/messages/{{message_id}}", self.delete_message),
            put(
                f"{p}/channels/{{channel_id}}/messages/{{message_id}}/reactions/{{emoji}}/@me",
                self.react,
            ),
            post(f"{p}/channels/{{channel_id}}/typing", self.typing),
            get(f"{p}/guilds/{{guild_id}}", self.get_guild, allow_head=False),
            get(f"{p}/guilds/{{guild_id}}/channels", self.guild_channels, allow_head=False),
            get(f"{p}/guilds/{{guild_id}}/roles", self.guild_roles, allow_head=False),
            get(f"{p}/guilds/{{guild_id}}/members", self.list_members, allow_head=False),
            get(f"{p}/guilds/{{guild_id}}/members/{{user_id}}", self.get_member, allow_head=False),
            patch(f"{p}/guilds/{{guild_id}}/members/{{user_id}}", self.edit_member),
            put(f"{p}/guilds/{{guild_id}}/members/{{user_id}}/roles/{{role_id}}", self.add_role),
            delete(
                f"{p}/guilds/{{guild_id}}/members/{{user_id}}/roles/{{role_id}}", self.remove_role
            ),
            get("/attachments/{attachment_id}/{filename}", self.download, allow_head=False),
        ]

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Bot-token auth (webhook and callback routes carry their token in the path) and
        Discord-shaped errors."""
        path = request.path
        needs_auth = path.startswith(API_PREFIX) and not path.startswith(TOKEN_AUTHENTICATED)
        if path == f"{API_PREFIX}/users/@me" and request.method == "GET":
            bearer = self.world.oauth.user_for_token(request.headers.get(hdrs.AUTHORIZATION))
            if bearer is not None:  # a portal's OAuth2 token: the signed-in user, not the bot
                return self.world.oauth.me(bearer)
        if needs_auth and request.headers.get(hdrs.AUTHORIZATION) != f"Bot {self.world.token}":
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        try:
            return await handler(request)
        except ApiError as exc:
            return json_response({"message": exc.message, "code": exc.code}, exc.status)

    async def unknown_route(self, request: web.Request) -> web.Response:
        self.world.unknown_routes.append((request.method, request.path))
        log.warning(
            "fakediscord: no route for %s %s — answered 404; add it to fakediscord/rest.py",
            request.method,
            request.path,
        )
        return json_response({"message": "404: Not Found", "code": 0}, 404)

    # --- lookups --------------------------------------------------------------------------------
    def _guild(self, request: web.Request) -> Guild:
        guild = self.world.guilds.get(_id(request, "guild_id"))
        if guild is None:
            raise not_found(10004, "Guild")
        return guild

    def _member(self, request: web.Request) -> Member:
        member = self._guild(request).members.get(_id(request, "user_id"))
        if member is None:
            raise not_found(10007, "Member")
        return member

    def _channel(self, request: web.Request) -> Channel:
        channel = self.world.find_channel(_id(request, "channel_id"))
        if channel is None:
            raise not_found(10003, "Channel")
        return channel

    def _message(self, request: web.Request) -> Message:
        channel = self._channel(request)
        message = self.world.find_message(_id(request, "message_id"))
        if message is None or message.channel is not channel or message.deleted:
            raise not_found(10008, "Message")
        return message

    def _interaction(self, request: web.Request) -> InteractionRecord:
        if request.match_info.get("app_id", str(self.world.application_id)) != str(
            self.world.application_id
        ):
            raise not_found(10015, "Webhook")
        record = self.world.interactions.get(request.match_info["token"])
        if record is None:
            raise (
                not_found(10062, "interaction")
                if "interaction_id" in request.match_info
                else not_found(10015, "Webhook")
            )
        return record

    def _message_payload(self, message: Message) -> dict[str, Any]:
        return payloads.message(message, self.world.base_url)

    # --- users, application, gateway ------------------------------------------------------------
    async def me(self, request: web.Request) -> web.Response:
        bot = self.world.bot_user
        return json_response({**payloads.user(bot), "verified": True, "mfa_enabled": False})

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.world.users.get(_id(request, "user_id"))
        if user is None:
            raise not_found(10013, "User")
        return json_response(payloads.user(user))

    async def open_dm(self, request: web.Request) -> web.Response:
        body, _ = await read_body(request)
        user = self.world.users.get(int(body.get("recipient_id", 0)))
        if user is None:
            raise not_found(10013, "User")
        return json_response(payloads.channel(self.world.dm_channel(user)))

    async def application(self, request: web.Request) -> web.Response:
        world = self.world
        return json_response(
            {
                "id": str(world.application_id),
                "name": world.bot_user.name,
                "icon": None,
                "description": "",
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": payloads.user(world.owner),
                "team": None,
                "bot": payloads.user(world.bot_user),
            }
        )

    async def gateway(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "url": self.world.gateway_url,
                "shards": self.world.shard_count,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    # --- application commands -------------------------------------------------------------------
    def _command_scope(self, request: web.Request) -> int | None:
        if _id(request, "app_id") != self.world.application_id:
            raise not_found(10002, "Application")
        return None if "guild_id" not in request.match_info else self._guild(request).id

    async def get_commands(self, request: web.Request) -> web.Response:
        return json_response(self.world.commands.list(self._command_scope(request)))

    async def put_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        body, _ = await read_body(request)
        if not isinstance(body, list) or len(body) > 100:
            raise ApiError(400, 50035, "Invalid Form Body: expected a list of at most 100 commands")
        return json_response(self.world.commands.overwrite(scope, body))

    # --- interactions ---------------------------------------------------------------------------
    async def callback(self, request: web.Request) -> web.Response:
        record = self._interaction(request)
        if _id(request, "interaction_id") != record.id:
            raise not_found(10062, "interaction")
        body, files = await read_body(request)
        return json_response(record.callback(body, files))

    async def followup(self, request: web.Request) -> web.Response:
        body, files = await read_body(request)
        message = self._interaction(request).followup(body, files)
        if request.query.get("wait", "false").lower() in ("1", "true"):
            return json_response(self._message_payload(message))
        return no_content()

    def _response_message(self, request: web.Request) -> tuple[InteractionRecord, Message | None]:
        record = self._interaction(request)
        message_id = request.match_info["message_id"]
        if message_id == "@original":
            return record, None
        return record, record.find_message(int(message_id))

    async def get_response(self, request: web.Request) -> web.Response:
        record, message = self._response_message(request)
        message = message or record.response_message()
        if message is None or message.deleted:
            raise not_found(10008, "Message")
        return json_response(self._message_payload(message))

    async def edit_response(self, request: web.Request) -> web.Response:
        record, message = self._response_message(request)
        body, files = await read_body(request)
        if message is None:
            message = record.edit_original(body, files)
        else:
            message.apply(body, files, self.world.ids.next)
            message.edited_at = self.world.clock.now()
        return json_response(self._message_payload(message))

    async def delete_response(self, request: web.Request) -> web.Response:
        record, message = self._response_message(request)
        message = message or record.response_message()
        if message is None or message.deleted:
            raise not_found(10008, "Message")
        message.deleted = True
        return no_content()

    # --- channels and messages ------------------------------------------------------------------
    async def get_channel(self, request: web.Request) -> web.Response:
        return json_response(payloads.channel(self._channel(request)))

    async def history(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        limit = min(int(request.query.get("limit", 50)), 100)
        before = int(request.query.get("before", 0)) or None
        after = int(request.query.get("after", 0))
        found = [
            m
            for m in self.world.messages_in(channel)
            if not m.ephemeral and m.id > after and (before is None or m.id < before)
        ]
        newest_first = sorted(found, key=lambda m: m.id, reverse=True)[:limit]
        return json_response([self._message_payload(m) for m in newest_first])

    async def send_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        body, files = await read_body(request)
        if not (body.get("content") or body.get("embeds") or files or body.get("components")):
            raise ApiError(400, 50006, "Cannot send an empty message")
        message = self.world.create_message(channel, body, files)
        guild_id = None if channel.guild is None else channel.guild.id
        self.world.publish("MESSAGE_CREATE", self._message_payload(message), guild_id)
        return json_response(self._message_payload(message))

    async def get_message(self, request: web.Request) -> web.Response:
        return json_response(self._message_payload(self._message(request)))

    async def edit_message(self, request: web.Request) -> web.Response:
        message = self._message(request)
        if message.author is not self.world.bot_user:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        body, files = await read_body(request)
        message.apply(body, files, self.world.ids.next)
        message.edited_at = self.world.clock.now()
        guild_id = None if message.channel.guild is None else message.channel.guild.id
        self.world.publish("MESSAGE_UPDATE", self._message_payload(message), guild_id)
        return json_response(self._message_payload(message))

    async def delete_message(self, request: web.Request) -> web.Response:
        message = self._message(request)
        message.deleted = True
        guild = message.channel.guild
        event = {"id": str(message.id), "channel_id": str(message.channel.id)}
        if guild is not None:
            event["guild_id"] = str(guild.id)
        self.world.publish("MESSAGE_DELETE", event, None if guild is None else guild.id)
        return no_content()

    async def react(self, request: web.Request) -> web.Response:
        message = self._message(request)
        emoji = request.match_info["emoji"]
        if emoji not in message.reactions:
            message.reactions.append(emoji)
        return no_content()

    async def typing(self, request: web.Request) -> web.Response:
        self._channel(request)
        return no_content()

    async def download(self, request: web.Request) -> web.Response:
        attachment = self.world.find_attachment(_id(request, "attachment_id"))
        if attachment is None or attachment.file.name != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        return web.Response(
            body=attachment.file.data,
            content_type=attachment.file.content_type or "application/octet-stream",
        )

    # --- guilds and members ---------------------------------------------------------------------
    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response(
            {**payloads.guild(guild), "approximate_member_count": len(guild.members)}
        )

    async def guild_channels(self, request: web.Request) -> web.Response:
        return json_response([payloads.channel(c) for c in self._guild(request).channels.values()])

    async def guild_roles(self, request: web.Request) -> web.Response:
        return json_response([payloads.role(r) for r in self._guild(request).roles.values()])

    async def list_members(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        limit = min(int(request.query.get("limit", 1)), 1000)
        after = int(request.query.get("after", 0))
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
        return json_response([payloads.member(m) for m in members[:limit]])

    async def get_member(self, request: web.Request) -> web.Response:
        return json_response(payloads.member(self._member(request)))

    async def edit_member(self, request: web.Request) -> web.Response:
        member = self._member(request)
        guild = member.guild
        body, _ = await read_body(request)
        roles = None
        if "roles" in body:
            roles = [self._role(guild, role_id) for role_id in body["roles"] or []]
        member.update(nick=body.get("nick") if "nick" in body else None, roles=roles)
        if "nick" in body and not body["nick"]:
            member.nick = None
        if "channel_id" in body:
            self._move_voice(member, body["channel_id"])
        self.world.publish("GUILD_MEMBER_UPDATE", payloads.member_update(member), guild.id)
        return json_response(payloads.member(member))

    async def add_role(self, request: web.Request) -> web.Response:
        member = self._member(request)
        role = self._role(member.guild, request.match_info["role_id"])
        if role not in member.roles:
            member.update(roles=[*member.roles, role])
            self.world.publish(
                "GUILD_MEMBER_UPDATE", payloads.member_update(member), member.guild.id
            )
        return no_content()

    async def remove_role(self, request: web.Request) -> web.Response:
        member = self._member(request)
        role = self._role(member.guild, request.match_info["role_id"])
        if role in member.roles:
            member.update(roles=[r for r in member.roles if r is not role])
            self.world.publish(
                "GUILD_MEMBER_UPDATE", payloads.member_update(member), member.guild.id
            )
        return no_content()

    def _role(self, guild: Guild, role_id: Any) -> Role:
        role = guild.roles.get(int(role_id))
        if role is None:
            raise not_found(10011, "Role")
        return role

    def _move_voice(self, member: Member, channel_id: Any) -> None:
        if channel_id is None:
            member.voice = None
        else:
            channel = member.guild.channels.get(int(channel_id))
            if channel is None or not channel.is_voice:
                raise not_found(10003, "Channel")
            if member.voice is None:
                raise ApiError(400, 40032, "Target user is not connected to voice.")
            member.voice = VoiceState(channel, member.voice.session_id, self.world.clock.now())
        self.world.publish("VOICE_STATE_UPDATE", payloads.voice_state(member), member.guild.id)


def _id(request: web.Request, key: str) -> int:
    try:
        return int(request.match_info[key])
    except ValueError:
        raise ApiError(400, 50035, f"Invalid Form Body: {key} is not a snowflake") from None
