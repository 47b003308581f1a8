"""Interactions a member started and what the bot answered, following Discord's rules:
one initial callback, then edits of the original response and follow-ups; after a defer the
first follow-up (or an edit) replaces the "thinking" message."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fakediscord import payloads
from fakediscord.errors import ApiError
from fakediscord.messages import EPHEMERAL, LOADING, File, Message

if TYPE_CHECKING:
    from fakediscord.entities import Channel, Member
    from fakediscord.world import FakeDiscord

# Interaction types
APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
# Callback types
MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, AUTOCOMPLETE_RESULT, MODAL = (
    4,
    5,
    6,
    7,
    8,
    9,
)


@dataclass(frozen=True)
class Choice:
    name: str
    value: str | int | float


class InteractionRecord:
    def __init__(
        self,
        world: FakeDiscord,
        *,
        id: int,
        token: str,
        type: int,
        member: Member,
        channel: Channel,
        name: str,
        created_at: datetime,
        message: Message | None = None,
    ) -> None:
        self.world = world
        self.id = id
        self.token = token
        self.type = type
        self.member = member
        self.channel = channel
        self.name = name
        self.created_at = created_at
        self.message = message  # the message a clicked component sits on
        self.response_type: int | None = None
        self.original: Message | None = None
        self.followups: list[Message] = []
        self.choices: list[Choice] = []
        self.modal: dict[str, Any] | None = None
        self.answered = asyncio.Event()
        self.sent_at: float | None = None  # event-loop time INTERACTION_CREATE went out
        self.options: dict[str, str] = {}  # as the member typed them, for transcripts

    def __repr__(self) -> str:
        return f"<Interaction {self.name!r} by {self.member.name} id={self.id}>"

    # --- what the REST side calls ---------------------------------------------------------------
    def callback(self, body: dict[str, Any], files: list[File]) -> dict[str, Any]:
        """Apply an initial response; returns the `with_response` body discord.py parses."""
        if self.response_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        deadline = self.world.response_deadline
        if deadline is not None and self.sent_at is not None:
            late = asyncio.get_running_loop().time() - self.sent_at
            if late > deadline:  # Discord has already told the member the app did not respond
                raise ApiError(404, 10062, "Unknown interaction")
        kind = body.get("type")
        data = body.get("data") or {}
        allowed = {
            APPLICATION_COMMAND: {MESSAGE, DEFERRED_MESSAGE, MODAL},
            MESSAGE_COMPONENT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL},
            AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
            MODAL_SUBMIT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE},
        }[self.type]
        if kind not in allowed:
            raise ApiError(
                400,
                50035,
                f"Invalid Form Body: callback type {kind} for interaction type {self.type}",
            )
        self.response_type = kind
        resource: dict[str, Any] = {"type": kind}
        if kind in (MESSAGE, DEFERRED_MESSAGE):
            flags = int(data.get("flags") or 0) & EPHEMERAL
            if kind == DEFERRED_MESSAGE:
                flags |= LOADING
            self.original = self.world.create_message(
                self.channel, data if kind == MESSAGE else {}, files, flags=flags, interaction=self
            )
            resource["message"] = self._payload(self.original)
        elif kind == UPDATE_MESSAGE and self.message is not None:
            self.message.apply(data, files, self.world.ids.next)
            self.message.edited_at = self.world.clock.now()
            resource["message"] = self._payload(self.message)
        elif kind == AUTOCOMPLETE_RESULT:
            self.choices = [Choice(c["name"], c["value"]) for c in data.get("choices", [])]
        elif kind == MODAL:
            self.modal = data
        if kind != DEFERRED_MESSAGE:
            self.answered.set()
        interaction = {"id": str(self.id), "type": self.type}
        if self.original is not None:
            interaction.update(
                response_message_id=str(self.original.id),
                response_message_loading=self.original.loading,
                response_message_ephemeral=self.original.ephemeral,
            )
        return {"interaction": interaction, "resource": resource}

    def response_message(self) -> Message | None:
        """What `@original` names: the response message, or, once a component's interaction
        was answered by updating (or deferring an update of) its message, that message."""
        if self.original is None and self.response_type in (UPDATE_MESSAGE, DEFERRED_UPDATE):
            return self.message
        return self.original

    def edit_original(self, body: dict[str, Any], files: list[File]) -> Message:
        message = self.response_message()
        if message is None or message.deleted:
            raise ApiError(404, 10008, "Unknown Message")
        self._fill(message, body, files)
        return message

    def followup(self, body: dict[str, Any], files: list[File]) -> Message:
        if self.response_type is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        if self.original is not None and self.original.loading:
            # Discord: the first follow-up after a defer replaces the "thinking" message; whether
            # it is ephemeral was decided by the defer.
            self._fill(self.original, {k: v for k, v in body.items() if k != "flags"}, files)
            return self.original
        flags = int(body.get("flags") or 0) & EPHEMERAL
        message = self.world.create_message(
            self.channel, body, files, flags=flags, interaction=self
        )
        self.followups.append(message)
        self.answered.set()
        return message

    def find_message(self, message_id: int) -> Message:
        for message in [self.response_message(), *self.followups]:
            if message is not None and message.id == message_id and not message.deleted:
                return message
        raise ApiError(404, 10008, "Unknown Message")

    def _fill(self, message: Message, body: dict[str, Any], files: list[File]) -> None:
        message.apply(body, files, self.world.ids.next)
        if message.loading:
            message.flags &= ~LOADING
        else:
            message.edited_at = self.world.clock.now()
        self.answered.set()

    def _payload(self, message: Message) -> dict[str, Any]:
        return payloads.message(message, self.world.base_url)


class Reply:
    """What the bot answered to one interaction; live, so later edits and follow-ups show up."""

    def __init__(self, record: InteractionRecord) -> None:
        self.interaction = record

    def __repr__(self) -> str:
        return f"<Reply to /{self.interaction.name}: {self.text!r} ephemeral={self.ephemeral}>"

    @property
    def message(self) -> Message | None:
        """The original response (after a defer: what replaced the "thinking" message)."""
        record = self.interaction
        if record.response_type == UPDATE_MESSAGE:
            return record.message
        return record.original

    @property
    def content(self) -> str | None:
        return None if self.message is None else self.message.content

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return [] if self.message is None else self.message.embeds

    @property
    def ephemeral(self) -> bool:
        return self.message is not None and self.message.ephemeral

    @property
    def files(self) -> list[File]:
        return [f for m in self.messages for f in m.files]

    @property
    def deferred(self) -> bool:
        return self.interaction.response_type == DEFERRED_MESSAGE

    @property
    def followups(self) -> list[Message]:
        return list(self.interaction.followups)

    @property
    def messages(self) -> list[Message]:
        """The original response and every follow-up, oldest first."""
        first = [] if self.message is None else [self.message]
        return [m for m in [*first, *self.interaction.followups] if not m.deleted]

    @property
    def text(self) -> str:
        """Visible text of every message of the reply (content and embeds)."""
        return "\n".join(m.text for m in self.messages)

    @property
    def choices(self) -> list[Choice]:
        return self.interaction.choices

    @property
    def modal(self) -> dict[str, Any] | None:
        return self.interaction.modal
