"""Who a message would ping, as Discord decides it from the content and `allowed_mentions`.

Discord notifies from the message content only (never from embeds): `@everyone` and `@here`,
`<@id>` / `<@!id>` for a user, `<@&id>` for a role. Without `allowed_mentions` it parses all
three kinds; with it, only the kinds listed in `parse`, plus the user and role ids listed in
`users` / `roles`. `@everyone`/`@here` also need the author's Mention Everyone permission, and a
role mention needs the role to be mentionable or that same permission. Ephemeral messages and
DMs ping nobody else.

Stricter than Discord in one way, on purpose: a mention inside a code block counts here (Discord
does not ping it), so a test never relies on formatting to keep a ping quiet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from fakediscord.errors import ApiError

if TYPE_CHECKING:
    from fakediscord.entities import Guild, Member

USER = re.compile(r"<@!?(\d+)>")
ROLE = re.compile(r"<@&(\d+)>")
EVERYONE = re.compile(r"@(?:everyone|here)")
KINDS = ("users", "roles", "everyone")
MENTION_EVERYONE = discord.Permissions(mention_everyone=True).value


@dataclass(frozen=True)
class Pings:
    """What one message pings: everyone (`@everyone`/`@here`), these users, these roles."""

    everyone: bool = False
    users: frozenset[int] = frozenset()
    roles: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return self.everyone or bool(self.users) or bool(self.roles)

    def members(self, guild: Guild) -> frozenset[int]:
        """The guild members notified: everyone's, each pinged role's, each pinged user."""
        if self.everyone:
            return frozenset(m.id for m in guild.members.values() if not m.user.bot)
        by_role = {m.id for m in guild.members.values() if any(r.id in self.roles for r in m.roles)}
        return frozenset(by_role | {u for u in self.users if u in guild.members})


NOBODY = Pings()


def validate(allowed: Mapping[str, Any] | None) -> None:
    """Refuse what Discord refuses (400 / 50035): unknown kinds, a kind both parsed and listed."""
    if allowed is None:
        return
    parse = allowed.get("parse", [])
    for kind in parse:
        if kind not in KINDS:
            raise ApiError(400, 50035, f"Invalid Form Body: allowed_mentions.parse {kind!r}")
    for kind in ("users", "roles"):
        listed = allowed.get(kind) or []
        if listed and kind in parse:
            raise ApiError(
                400,
                50035,
                f"Invalid Form Body: allowed_mentions: {kind!r} is both parsed and listed",
            )
        if len(listed) > 100:
            raise ApiError(400, 50035, f"Invalid Form Body: allowed_mentions.{kind}: over 100")


def pings(
    content: str,
    allowed: Mapping[str, Any] | None,
    *,
    guild: Guild,
    author: Member | None,
) -> tuple[Pings, Pings]:
    """(everything `content` pings, the part pinged by a kind in `parse` or by no
    `allowed_mentions` at all rather than by an id the sender listed)."""
    parse = set(KINDS) if allowed is None else set(allowed.get("parse", []))
    listed_users = set() if allowed is None else {int(i) for i in allowed.get("users") or []}
    listed_roles = set() if allowed is None else {int(i) for i in allowed.get("roles") or []}
    may_everyone = author is not None and bool(author.permissions & MENTION_EVERYONE)

    everyone = "everyone" in parse and may_everyone and EVERYONE.search(content) is not None
    named_users = {int(i) for i in USER.findall(content)}
    parsed_users = named_users if "users" in parse else set()
    users = parsed_users | (named_users & listed_users)
    named_roles = {
        int(i)
        for i in ROLE.findall(content)
        if int(i) in guild.roles and (guild.roles[int(i)].mentionable or may_everyone)
    }
    parsed_roles = named_roles if "roles" in parse else set()
    roles = parsed_roles | (named_roles & listed_roles)
    return (
        Pings(everyone, frozenset(users), frozenset(roles)),
        Pings(everyone, frozenset(parsed_users), frozenset(parsed_roles)),
    )
