"""Messages the bot sent (to channels, DMs, or as interaction responses) and their files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fakediscord import mentions
from fakediscord.errors import ApiError
from fakediscord.mentions import NOBODY, Pings

if TYPE_CHECKING:
    from fakediscord.entities import Channel, User
    from fakediscord.interactions import InteractionRecord

EPHEMERAL = 1 << 6
LOADING = 1 << 7
DEFAULT = 0
REPLY = 19
CHAT_INPUT_COMMAND = 20


@dataclass(frozen=True)
class File:
    """A file's name and bytes: what the bot attached, or what a member uploads as an option."""

    name: str
    data: bytes
    content_type: str | None = None


@dataclass(eq=False)
class Attachment:
    id: int
    file: File
    description: str | None = None


@dataclass(eq=False)
class Message:
    id: int
    channel: Channel = field(repr=False)
    author: User = field(repr=False)
    created_at: datetime
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    type: int = DEFAULT
    edited_at: datetime | None = None
    deleted: bool = False
    reactions: list[str] = field(default_factory=list)
    interaction: InteractionRecord | None = field(default=None, repr=False)
    # as last sent with the content; None: the sender gave none, so Discord parses every kind
    allowed_mentions: dict[str, Any] | None = field(default=None, repr=False)
    # (pings, stray pings), decided when the content was sent, with the permissions then
    _ping_state: tuple[Pings, Pings] = field(default=(NOBODY, NOBODY), repr=False)

    @property
    def pings(self) -> Pings:
        """Who this message pings (see fakediscord/mentions.py): nobody when ephemeral or a DM."""
        return self._ping_state[0]

    @property
    def stray_pings(self) -> Pings:
        """What it pings other than by an id the bot listed in `allowed_mentions`: pings from
        `parse`, or from sending no `allowed_mentions` at all."""
        return self._ping_state[1]

    @property
    def pinged(self) -> frozenset[int]:
        """Ids of the guild members this message notifies."""
        guild = self.channel.guild
        return frozenset() if guild is None else self.pings.members(guild)

    def _pings(self) -> tuple[Pings, Pings]:
        guild = self.channel.guild
        if self.ephemeral or guild is None:
            return NOBODY, NOBODY
        author = guild.members.get(self.author.id)
        return mentions.pings(self.content, self.allowed_mentions, guild=guild, author=author)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred response still "thinking"."""
        return bool(self.flags & LOADING)

    @property
    def files(self) -> list[File]:
        return [a.file for a in self.attachments]

    @property
    def text(self) -> str:
        """Content plus every embed's visible text, for `"Sunday op" in msg.text` assertions."""
        return render_text(self.content, self.embeds)

    @property
    def custom_ids(self) -> list[str]:
        """custom_id of every button or select on the message."""
        return [
            c["custom_id"]
            for row in self.components
            for c in row.get("components", [])
            if "custom_id" in c
        ]

    def apply(self, body: dict[str, Any], files: list[File], new_id: Callable[[], int]) -> None:
        """Apply a create or edit body (content, embeds, components, attachments, flags).

        On edit, `attachments` lists the existing ones to keep (by id) and the new uploads;
        without it, existing attachments stay.
        """
        validate_body(body)
        if "allowed_mentions" in body:
            self.allowed_mentions = body["allowed_mentions"]
        elif "content" in body:
            self.allowed_mentions = None
        if "content" in body:
            self.content = body["content"] or ""
            self._ping_state = self._pings()
        if "embeds" in body:
            self.embeds = list(body["embeds"] or [])
        if "embed" in body:  # older single-embed form
            self.embeds = [body["embed"]] if body["embed"] else []
        if "components" in body:
            self.components = list(body["components"] or [])
        if "flags" in body and body["flags"] is not None:
            # Only suppress-embeds style bits may change; ephemeral is fixed at creation.
            self.flags = (self.flags & (EPHEMERAL | LOADING)) | (
                int(body["flags"]) & ~(EPHEMERAL | LOADING)
            )
        described = {str(a.get("id")): a for a in body.get("attachments") or []}
        if "attachments" in body:
            self.attachments = [a for a in self.attachments if str(a.id) in described]
        for index, upload in enumerate(files):
            meta = described.get(str(index), {})
            self.attachments.append(Attachment(new_id(), upload, meta.get("description")))


class InvalidFormBody(ApiError):
    """A body Discord would refuse with 400 / code 50035."""

    def __init__(self, why: str) -> None:
        super().__init__(400, 50035, f"Invalid Form Body: {why}")


def validate_body(body: dict[str, Any]) -> None:
    mentions.validate(body.get("allowed_mentions"))
    content = body.get("content") or ""
    if len(content) > 2000:
        raise InvalidFormBody(f"content is {len(content)} characters; Discord allows 2000")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        raise InvalidFormBody(f"{len(embeds)} embeds; Discord allows 10")
    for embed in embeds:
        size = len(render_text(None, [embed]))
        if size > 6000:
            raise InvalidFormBody(f"an embed holds {size} characters; Discord allows 6000")
        if len(embed.get("fields", [])) > 25:
            raise InvalidFormBody("an embed has more than 25 fields")


def render_text(content: str | None, embeds: list[dict[str, Any]]) -> str:
    parts = [content or ""]
    for embed in embeds:
        parts += [embed.get("title", ""), embed.get("description", "")]
        for f in embed.get("fields", []):
            parts += [f.get("name", ""), f.get("value", "")]
        parts += [embed.get("footer", {}).get("text", ""), embed.get("author", {}).get("name", "")]
    return "\n".join(p for p in parts if p)
