"""The gateway WebSocket: HELLO, IDENTIFY, heartbeats, RESUME, member chunks and dispatches.

Frames are plain JSON text (discord.py only inflates binary frames). A session outlives its
connection: dispatches made while a bot is disconnected are kept and replayed on RESUME.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from fakediscord import payloads

if TYPE_CHECKING:
    from fakediscord.entities import Guild
    from fakediscord.world import FakeDiscord

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE_STATE, RESUME, RECONNECT = 0, 1, 2, 3, 4, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11
HEARTBEAT_INTERVAL_MS = 41_250
REPLAY_LIMIT = 5_000

GUILDS, GUILD_MEMBERS, GUILD_PRESENCES = 1 << 0, 1 << 1, 1 << 8
GUILD_VOICE_STATES, GUILD_MESSAGES, DIRECT_MESSAGES, MESSAGE_CONTENT = (
    1 << 7,
    1 << 9,
    1 << 12,
    1 << 15,
)
PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT
ALL_INTENTS = (1 << 26) - 1

# Which intent a dispatch needs; events not listed always go out.
EVENT_INTENTS = {
    "GUILD_UPDATE": GUILDS,
    "GUILD_DELETE": GUILDS,
    "GUILD_ROLE_CREATE": GUILDS,
    "GUILD_ROLE_UPDATE": GUILDS,
    "GUILD_ROLE_DELETE": GUILDS,
    "CHANNEL_CREATE": GUILDS,
    "CHANNEL_UPDATE": GUILDS,
    "CHANNEL_DELETE": GUILDS,
    "GUILD_MEMBER_ADD": GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": GUILD_MEMBERS,
    "VOICE_STATE_UPDATE": GUILD_VOICE_STATES,
    "MESSAGE_CREATE": GUILD_MESSAGES,
    "MESSAGE_UPDATE": GUILD_MESSAGES,
    "MESSAGE_DELETE": GUILD_MESSAGES,
}


class Connection:
    """One WebSocket; frames go out in order through a queue so dispatching stays synchronous."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        self.ws = ws
        self.transport = request.transport
        self.session: Session | None = None
        self.cut = False  # we closed it (a drop), so its close code says nothing about the bot
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write(), name="fakediscord: gateway writer")

    def send(self, frame: str) -> None:
        self._queue.put_nowait(frame)

    def send_op(self, op: int, data: Any = None) -> None:
        self.send(json.dumps({"op": op, "d": data, "s": None, "t": None}))

    async def _write(self) -> None:
        while (frame := await self._queue.get()) is not None:
            try:
                await self.ws.send_str(frame)
            except (ConnectionError, RuntimeError):
                return  # closing; the session keeps the frame for a RESUME

    async def stop(self) -> None:
        self._queue.put_nowait(None)
        await asyncio.gather(self._writer, return_exceptions=True)


@dataclass(eq=False)
class Session:
    """What Discord remembers of an IDENTIFY: shard, intents, sequence and the frames sent."""

    id: str
    shard_id: int
    shard_count: int
    intents: int
    seq: int = 0
    frames: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=REPLAY_LIMIT))
    connection: Connection | None = None

    def covers(self, guild_id: int) -> bool:
        return (guild_id >> 22) % self.shard_count == self.shard_id

    def wants(self, event: str, guild_id: int | None) -> bool:
        needed = EVENT_INTENTS.get(event, 0)
        if event.startswith("MESSAGE_") and guild_id is None:
            needed = DIRECT_MESSAGES
        return not needed or bool(self.intents & needed)

    def dispatch(self, event: str, data: Any) -> int:
        self.seq += 1
        frame = json.dumps({"op": DISPATCH, "t": event, "s": self.seq, "d": data})
        self.frames.append((self.seq, frame))
        if self.connection is not None:
            self.connection.send(frame)
        return self.seq


class Gateway:
    def __init__(self, world: FakeDiscord) -> None:
        self.world = world
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.identified = 0  # IDENTIFYs accepted so far, for tests that wait for a bot process
        # (count, future) pairs: resolved the moment the count-th IDENTIFY is accepted, so a
        # test can act before the bot has even read its READY.
        self._identify_waiters: list[tuple[int, asyncio.Future[None]]] = []

    async def wait_for_identify(self, count: int) -> None:
        """Return as soon as `count` IDENTIFYs in total were accepted (READY already queued)."""
        if self.identified >= count:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._identify_waiters.append((count, future))
        await future

    # --- sending --------------------------------------------------------------------------------
    def targets(self, event: str, guild_id: int | None) -> list[Session]:
        return [
            s
            for s in self.sessions.values()
            if (guild_id is None or s.covers(guild_id)) and s.wants(event, guild_id)
        ]

    def interaction_target(self, guild_id: int) -> Session | None:
        """Discord sends an interaction to one session: a connected one if any."""
        sessions = [s for s in self.sessions.values() if s.covers(guild_id)]
        connected = [s for s in sessions if s.connection is not None]
        candidates = connected or sessions
        return candidates[-1] if candidates else None

    async def drop(self, *, code: int = 4000, abrupt: bool = False) -> None:
        """Cut every connection (sessions stay resumable): a close frame with `code`, or, with
        `abrupt`, the TCP connection just dies."""
        for connection in list(self.connections):
            connection.cut = True
            if abrupt and connection.transport is not None:
                connection.transport.abort()
            else:
                await connection.ws.close(code=code, message=b"dropped by fakediscord")

    def reconnect(self) -> None:
        """Ask every connected bot to reconnect and resume (op 7)."""
        for connection in self.connections:
            connection.send_op(RECONNECT)

    def invalidate(self) -> None:
        """Forget every session: a bot that resumes is told to identify again."""
        self.sessions.clear()

    async def close(self) -> None:
        for connection in list(self.connections):
            await connection.ws.close(code=1001, message=b"fakediscord stopping")

    # --- the socket -----------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        connection = Connection(ws, request)
        self.connections.add(connection)
        connection.send_op(HELLO, {"heartbeat_interval": HEARTBEAT_INTERVAL_MS})
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    log.warning("fakediscord gateway: unexpected %s frame; closing", msg.type.name)
                    await ws.close(code=4002, message=b"decode error")
                    break
                await self._receive(connection, json.loads(msg.data))
        finally:
            self.connections.discard(connection)
            session = connection.session
            if session is not None and session.connection is connection:
                session.connection = None
                if not connection.cut and ws.close_code in (1000, 1001):
                    # The bot closed cleanly: that ends the session, as on Discord.
                    self.sessions.pop(session.id, None)
            await connection.stop()
        return ws

    async def _receive(self, connection: Connection, payload: dict[str, Any]) -> None:
        op = payload.get("op")
        data: Any = payload.get("d")  # its shape depends on `op`
        if op == HEARTBEAT:
            connection.send_op(HEARTBEAT_ACK)
        elif op == IDENTIFY:
            await self._identify(connection, data)
        elif op == RESUME:
            self._resume(connection, data)
        elif op == REQUEST_MEMBERS:
            self._request_members(connection, data)
        elif op in (PRESENCE, VOICE_STATE):
            log.debug("fakediscord gateway: ignoring op %s %s", op, data)
        else:
            log.warning("fakediscord gateway: unknown op %s; closing with 4001", op)
            await connection.ws.close(code=4001, message=b"unknown opcode")

    async def _identify(self, connection: Connection, data: dict[str, Any]) -> None:
        world = self.world
        if connection.session is not None:
            await connection.ws.close(code=4005, message=b"already authenticated")
            return
        if _bare_token(data.get("token")) != world.token:
            await connection.ws.close(code=4004, message=b"authentication failed")
            return
        shard_id, shard_count = data.get("shard") or [0, 1]
        if not 0 <= shard_id < shard_count:
            await connection.ws.close(code=4010, message=b"invalid shard")
            return
        intents = data.get("intents", ALL_INTENTS)
        if intents & PRIVILEGED & ~world.privileged_intents:
            await connection.ws.close(code=4014, message=b"disallowed intent(s)")
            return
        session = Session(
            secrets.token_hex(16), shard_id, shard_count, intents, connection=connection
        )
        self.sessions[session.id] = session
        connection.session = session
        self.identified += 1
        guilds = [g for g in world.guilds.values() if session.covers(g.id)]
        session.dispatch("READY", self._ready(session, [g.id for g in guilds]))
        for guild in guilds:
            self.send_guild_create(session, guild)
        for waiter in [w for w in self._identify_waiters if w[0] <= self.identified]:
            self._identify_waiters.remove(waiter)
            if not waiter[1].done():
                waiter[1].set_result(None)

    def send_guild_create(self, session: Session, guild: Guild) -> None:
        all_members = bool(session.intents & GUILD_PRESENCES)
        session.dispatch("GUILD_CREATE", payloads.guild_create(guild, all_members=all_members))

    def _ready(self, session: Session, guild_ids: list[int]) -> dict[str, Any]:
        world = self.world
        return {
            "v": 10,
            "user": {**payloads.user(world.bot_user), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(gid), "unavailable": True} for gid in guild_ids],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": world.gateway_url,
            "shard": [session.shard_id, session.shard_count],
            "application": {"id": str(world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "auth": {},
        }

    def _resume(self, connection: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(data.get("session_id", ""))
        last = data.get("seq") or 0
        if (
            session is None
            or _bare_token(data.get("token")) != self.world.token
            or (session.frames and session.frames[0][0] > last + 1)  # replay buffer overran
        ):
            connection.send_op(INVALID_SESSION, False)
            return
        if session.connection is not None and session.connection is not connection:
            session.connection.session = None  # the old socket no longer speaks for the session
        session.connection = connection
        connection.session = session
        replay = [frame for seq, frame in session.frames if seq > last]
        for frame in replay:
            connection.send(frame)
        log.info(
            "fakediscord gateway: session %s resumed, %d event(s) replayed", session.id, len(replay)
        )
        session.dispatch("RESUMED", {})

    def _request_members(self, connection: Connection, data: dict[str, Any]) -> None:
        session = connection.session
        guild = self.world.guilds.get(int(data.get("guild_id", 0)))
        if session is None or guild is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = (data.get("query") or "").lower()
        members = [
            m
            for m in guild.members.values()
            if (m.id in wanted if wanted else m.display_name.lower().startswith(query))
        ]
        limit = data.get("limit") or 0
        if limit and not wanted:
            members = members[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [payloads.member(m) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if wanted:
            chunk["not_found"] = [str(u) for u in wanted - {m.id for m in members}]
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        session.dispatch("GUILD_MEMBERS_CHUNK", chunk)


def _bare_token(token: Any) -> str:
    text = str(token or "")
    return text.removeprefix("Bot ")
