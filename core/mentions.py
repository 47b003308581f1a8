"""Whom the bot's messages may ping: nobody, except the members a reply is about.

Replies echo what members typed (event names, reasons, memos, nicknames), so a message that let
Discord parse mentions would ping the whole server for an event named `@everyone`. The bot is
built with `allowed_mentions=NOBODY` (core/bot.py), which discord.py applies to every message,
reply and follow-up; a reply that should notify the members it is about (the borrower whose
loan was approved, the member whose time was set) passes `about(...)` for exactly those.
"""

from __future__ import annotations

import discord

NOBODY = discord.AllowedMentions.none()


def about(*user_ids: int | None) -> discord.AllowedMentions:
    """Ping exactly these users if the content names them (`<@id>`); never `@everyone`,
    `@here`, a role, or anyone else the text happens to name. `None`s are skipped."""
    ids = sorted({i for i in user_ids if i is not None})
    return discord.AllowedMentions(
        everyone=False, roles=False, replied_user=False, users=[discord.Object(id=i) for i in ids]
    )
