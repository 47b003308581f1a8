"""Whom the bot's messages may ping: nobody, except the members a reply is about.

Replies echo what members typed (event names, reasons, memos, nicknames), so a message that let
Discord parse mentions would ping the whole server for an event named `@everyone`. The bot is
built with `allowed_mentions=NOBODY` (core/bot.py), which discord.py applies to every message,
reply and follow-up; a reply that should notify the members it is about (the borrower whose
loan was approved, the member whose time was set) passes `about(...)` for exactly those.
"""

from __future__ import annotations

import re

import discord

from core.errors import MemberRef, UserError

NOBODY = discord.AllowedMentions.none()


def about(*user_ids: int | None) -> discord.AllowedMentions:
    """Ping exactly these users if the content names them (`<@id>`); never `@everyone`,
    `@here`, a role, or anyone else the text happens to name. `None`s are skipped."""
    ids = sorted({i for i in user_ids if i is not None})
    return discord.AllowedMentions(
        everyone=False, roles=False, replied_user=False, users=[discord.Object(id=i) for i in ids]
    )


def mention(member: MemberRef | int) -> str:
    """How Discord writes a member: `<@id>`, shown as their name in the member's client (what
    it pings is up to the message's allowed mentions, NOBODY unless `about`)."""
    user_id = member.user_id if isinstance(member, MemberRef) else member
    return f"<@{user_id}>"


def render(error: UserError) -> str:
    """A UserError as Discord shows it: the members it names as mentions."""
    return error.render(mention)


USER = re.compile(r"<@!?(\d{1,20})>")


def user_id(text: str) -> int | None:
    """The user id of a mention (`<@123…>`, `<@!123…>`) or of bare digits; None if `text` is
    neither. Reading mentions is the Discord face's job: services take ids."""
    text = text.strip()
    if match := USER.fullmatch(text):
        return int(match.group(1))
    if text.isdigit() and len(text) <= 20:
        return int(text)
    return None
