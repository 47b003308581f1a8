"""Knowing when an in-process bot has *handled* what the stand-in sent it.

Nothing in the bot has to cooperate. For a discord.py client running in this event loop:
1. the frame was processed once the client's websocket for that session reports a sequence
   at or past the frame's (discord.py parses a dispatch synchronously, and parsing schedules
   every handler as a task before the next frame is read);
2. the handlers are the tasks discord.py creates for them, by name: "discord.py: on_<event>"
   (`Client._schedule_event`), "CommandTree-invoker" (app commands), and the ones `discord.ui`
   runs a pressed button's, a picked select's or a submitted modal's callback in
   (`View._dispatch_item`, `ViewStore.dispatch_dynamic_items`, `Modal._dispatch_submit`, and a
   view's `on_timeout`). We wait until every such task started after the send has finished,
   including ones those handlers dispatched in turn. (A view's callback task is created while
   the INTERACTION_CREATE is parsed, beside `on_interaction`; not waiting for it made a click
   whose callback awaits anything before answering read as "no answer", at random.)
3. a session belongs to a watched client when that client's websocket holds its session id.
   Between an IDENTIFY and the READY it answers, a reconnecting client holds no session id (or
   a forgotten one): while a watched client serving that shard is in that state, we wait for it
   rather than take the session for another process's (which returned at once, before the
   bot had seen the event).
Errors the bot logs meanwhile (discord.py's `on_error`, `CommandTree.on_error` and
`View.on_error` log them) are collected so the test can fail with the traceback instead of a
puzzling assertion.

A bot in another process cannot be watched: sends then return once the frame is queued.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import discord

from fakediscord.errors import NotHandled

if TYPE_CHECKING:
    from fakediscord.gateway import Session

HANDLER_TASK_NAMES = (
    "discord.py: ",
    "CommandTree-invoker",
    "discord-ui-view-dispatch-",
    "discord-ui-dynamic-item-",
    "discord-ui-modal-dispatch-",
    "discord-ui-view-timeout-",
)
POLL_SECONDS = 0.001


def handler_tasks() -> set[asyncio.Task[object]]:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return set()  # building the world before any loop runs: nothing can be handling yet
    return {
        t
        for t in asyncio.all_tasks()
        if t.get_name().startswith(HANDLER_TASK_NAMES) and not t.done()
    }


@dataclass(eq=False)
class Delivery:
    """One event sent to some sessions, with what was running before it went out."""

    event: str
    targets: list[tuple[Session, int]]
    tasks_before: set[asyncio.Task[object]] = field(default_factory=set)
    errors_mark: int = 0


class ErrorLog(logging.Handler):
    """Keeps ERROR records logged while the stand-in serves (its own excepted)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("fakediscord"):
            self.records.append(record)

    def since(self, mark: int) -> list[logging.LogRecord]:
        return self.records[mark:]


class Watcher:
    """The in-process discord.py clients the stand-in waits on.

    `sessions` is the gateway's live sessions by id (the same mapping, kept current by it).
    """

    def __init__(self, sessions: Mapping[str, Session] | None = None) -> None:
        self.clients: list[discord.Client] = []
        self.sessions: Mapping[str, Session] = sessions if sessions is not None else {}

    def attach(self, client: discord.Client) -> None:
        if client not in self.clients:
            self.clients.append(client)

    def detach(self, client: discord.Client) -> None:
        if client in self.clients:
            self.clients.remove(client)

    def owner(self, session: Session) -> discord.Client | None:
        """The watched client whose websocket speaks for `session`, if it is one of ours."""
        for client in self.clients:
            if client.is_closed():
                continue
            ws = _websocket(client, session.shard_id)
            if ws is not None and ws.session_id == session.id:
                return client
        return None

    def reconnecting(self, session: Session) -> bool:
        """Whether a watched client serving `session`'s shard holds no live session yet: it is
        (re)identifying, and `session` may be the one it is about to read READY for."""
        for client in self.clients:
            if client.is_closed() or not _serves(client, session):
                continue
            ws = _websocket(client, session.shard_id)
            if ws is None or ws.session_id is None or ws.session_id not in self.sessions:
                return True
        return False

    async def settle(self, delivery: Delivery, within: float) -> bool:
        """Wait until watched clients processed `delivery` and their handlers finished.

        Returns whether any target was a watched client's session (if not, nothing could be
        waited for: the caller may wait for an effect instead).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        watched = False
        for session, seq in delivery.targets:
            while True:
                client = self.owner(session)
                if client is not None:
                    watched = True
                    ws = _websocket(client, session.shard_id)
                    if ws is not None and ws.session_id == session.id and (ws.sequence or 0) >= seq:
                        break
                elif not self.reconnecting(session):
                    break  # another process's session
                if loop.time() > deadline:
                    raise NotHandled(
                        f"the bot did not receive {delivery.event} (seq {seq}) within {within}s"
                    )
                await asyncio.sleep(POLL_SECONDS)
        if watched:
            await self.quiesce(delivery.event, deadline - loop.time(), ignore=delivery.tasks_before)
        return watched

    async def quiesce(
        self, what: str, within: float, *, ignore: set[asyncio.Task[object]] | None = None
    ) -> None:
        """Wait until discord.py's handler tasks (other than `ignore`) have all finished."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while pending := handler_tasks() - (ignore or set()):
            remaining = deadline - loop.time()
            if remaining <= 0:
                names = ", ".join(sorted(t.get_name() for t in pending))
                raise NotHandled(
                    f"the bot's handlers for {what} did not finish within {within}s: {names}"
                )
            await asyncio.wait(pending, timeout=remaining)


def _serves(client: discord.Client, session: Session) -> bool:
    """Whether `client` identifies as `session`'s shard: an AutoShardedClient runs the shards
    it was given (all of them by default), a plain Client its one `shard_id` (0 unsharded)."""
    if isinstance(client, discord.AutoShardedClient):
        return client.shard_ids is None or session.shard_id in client.shard_ids
    return (client.shard_id or 0) == session.shard_id


def _websocket(client: discord.Client, shard_id: int) -> discord.gateway.DiscordWebSocket | None:
    # Client and AutoShardedClient both answer `_get_websocket(shard_id=...)`; it is what
    # discord.py itself uses to find a shard's socket (e.g. for voice and chunk requests).
    try:
        return client._get_websocket(shard_id=shard_id)
    except (KeyError, AttributeError):
        return None
