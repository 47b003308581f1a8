"""What needs someone's attention in a guild, gathered from every plugin for the guild home.

Each plugin answers the `redlegion_web_attention` hook with `Attention` items; core asks only the
plugins that are on in that guild and keeps the items the caller's level may see, so a plugin
says who an item is for and never filters by level or enablement itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from core.permissions import Level

if TYPE_CHECKING:
    from core.plugins import PluginManager


@dataclass(frozen=True)
class Attention:
    """One thing waiting. `text` is plain text (the page escapes it: names stay names);
    `path` is a link relative to the plugin's root ("" its index, None no link); `level` is
    the least level that sees it; `kind` names it for tests and styling."""

    kind: str
    text: str
    level: Level = Level.MEMBER
    path: str | None = None


@dataclass(frozen=True)
class PluginAttention:
    plugin: str
    item: Attention


async def gather(
    plugins: PluginManager,
    guild_id: int,
    *,
    level: Level,
    now: datetime,
    enabled: Callable[[str], bool],
) -> list[PluginAttention]:
    """Every enabled plugin's items for `level`, in load order."""
    found: list[PluginAttention] = []
    for name, hook in plugins.impls("redlegion_web_attention"):
        if not enabled(name):
            continue
        items: Iterable[Attention] = await hook(guild_id=guild_id, now=now)
        found += [PluginAttention(name, item) for item in items if level >= item.level]
    return found
