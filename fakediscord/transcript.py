"""A readable log of a scene: the commands members ran and every message the bot sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fakediscord.interactions import APPLICATION_COMMAND, MESSAGE_COMPONENT, MODAL_SUBMIT

if TYPE_CHECKING:
    from datetime import datetime

    from fakediscord.entities import Channel
    from fakediscord.world import FakeDiscord


def render(world: FakeDiscord) -> list[str]:
    entries: list[tuple[int, str]] = []
    for record in world.interactions.values():
        if record.type == APPLICATION_COMMAND:
            options = " ".join(f"{k}:{v}" for k, v in record.options.items())
            said = f"/{record.name} {options}".rstrip()
        elif record.type in (MESSAGE_COMPONENT, MODAL_SUBMIT):
            said = f"({record.name})"
        else:
            continue  # autocomplete keystrokes
        line = f"{_at(record.created_at)} {_where(record.channel)} {record.member.name}: {said}"
        entries.append((record.id, line))
    for message in world.messages:
        if message.deleted:
            continue
        audience = ""
        if message.ephemeral and message.interaction is not None:
            audience = f" (only {message.interaction.member.name} sees this)"
        files = "".join(f" [{f.name}, {len(f.data)} bytes]" for f in message.files)
        text = message.text.replace("\n", " | ") or ("…thinking" if message.loading else "")
        who = f"{message.author.name}{audience}"
        entries.append(
            (
                message.id,
                f"{_at(message.created_at)} {_where(message.channel)} {who}: {text}{files}",
            )
        )
    return [line for _, line in sorted(entries)]


def _at(moment: datetime) -> str:
    return f"[{moment:%H:%M}]"


def _where(channel: Channel) -> str:
    if channel.recipient is not None:
        return f"DM to {channel.recipient.name}"
    return f"#{channel.name}"
