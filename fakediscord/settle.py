"""Knowing when an in-process bot has *handled* what the stand-in sent it.

Nothing in the bot has to cooperate. For a discord.py client running in this event loop:
1. the frame was processed once the client's websocket for that session reports a sequence
   at or past the frame's (discord.py parses a dispatch synchronously, and parsing schedules
   every handler as a task before the next frame is read);
2. the handlers are the tasks discord.py names "discord.py: on_<event>" (`Client._schedule_event`)
   and "CommandTree-invoker" (app commands): we wait until every such task started after the
   send has finished, including ones those handlers dispatched in turn.
Errors the bot logs meanwhile (discord.py's `on_error` and `CommandTree.on_error` log them) are
collected so the test can fail with the traceback instead of a puzzling assertion.

A bot in another process cannot be watched: sends then return once the frame is queued.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fakediscord.errors import NotHandled

if TYPE_CHECKING:
    import discord

    from fakediscord.gateway import Session

HANDLER_TASK_NAMES = ("discord.py: ", "CommandTree-invoker")
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
    """The in-process discord.py clients the stand-in waits on."""

    def __init__(self) -> None:
        self.clients: list[discord.Client] = []

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

    def watches(self, delivery: Delivery) -> bool:
        return any(self.owner(session) for session, _ in delivery.targets)

    async def settle(self, delivery: Delivery, within: float) -> None:
        """Wait until watched clients processed `delivery` and their handlers finished."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        watched = False
        for session, seq in delivery.targets:
            while (client := self.owner(session)) is not None:
                watched = True
                ws = _websocket(client, session.shard_id)
                if ws is not None and ws.session_id == session.id and (ws.sequence or 0) >= seq:
                    break
                if loop.time() > deadline:
                    raise NotHandled(
                        f"the bot did not receive {delivery.event} (seq {seq}) within {within}s"
                    )
                await asyncio.sleep(POLL_SECONDS)
        if watched:
            await self.quiesce(delivery.event, deadline - loop.time(), ignore=delivery.tasks_before)

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


def _websocket(client: discord.Client, shard_id: int) -> discord.gateway.DiscordWebSocket | None:
    # Client and AutoShardedClient both answer `_get_websocket(shard_id=...)`; it is what
    # discord.py itself uses to find a shard's socket (e.g. for voice and chunk requests).
    try:
        return client._get_websocket(shard_id=shard_id)
    except (KeyError, AttributeError):
        return None
