"""Publish the slash-command tree only when it changed (discord.py: don't sync on every start).

The digest of what was last published is kept per application and scope in the database, so
every process of the bot (and `redlegion commands sync`) agrees on it. Publishing first and
recording after means a failed publication is retried at the next start.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from core.models import CommandDigest


def digest(payload: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _scope(guild_id: int | None) -> str:
    return "global" if guild_id is None else str(guild_id)


async def publish_needed(
    application_id: int,
    guild_id: int | None,
    payload: list[dict[str, Any]],
    *,
    force: bool,
) -> bool:
    if force:
        return True
    row = await CommandDigest.get_or_none(application_id=application_id, scope=_scope(guild_id))
    return row is None or row.digest != digest(payload)


async def published(
    application_id: int, guild_id: int | None, payload: list[dict[str, Any]], now: datetime
) -> None:
    await CommandDigest.update_or_create(
        application_id=application_id,
        scope=_scope(guild_id),
        defaults={"digest": digest(payload), "synced_at": now},
    )
