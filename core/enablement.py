"""Which plugins are on in a guild: config default → config guild override → admin's choice.

The admin's runtime choice lives in the guild's `settings` JSON (`{"plugins": {name: bool}}`)
and takes effect at once. Choices are cached per guild and dropped through the change feed
(topic `TOPIC`) whenever any process (another shard, the CLI, the portal) changes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from core.config import Settings
from core.errors import InvalidInput, NotFound
from core.models import Guild
from core.plugins import PluginManager
from storage.change_feed import Change, publish

TOPIC = "core.plugins"


@dataclass(frozen=True)
class PluginStatus:
    name: str
    enabled: bool
    reason: str


class Enablement:
    def __init__(self, settings: Settings, plugins: PluginManager) -> None:
        self.settings = settings
        self.plugins = plugins
        self._choices: dict[int, dict[str, bool]] = {}

    async def _runtime_choices(self, guild_id: int | None) -> dict[str, bool]:
        if guild_id is None:
            return {}
        if guild_id not in self._choices:
            await self.load([guild_id])
        return self._choices.get(guild_id, {})

    async def load(self, guild_ids: Iterable[int]) -> None:
        """Read the admins' choices of these guilds afresh, in one query (start-up asks for
        a batch of guilds at once)."""
        ids = list(guild_ids)
        for guild_id in ids:
            self.forget(guild_id)
        if not ids:
            return
        found = dict(await Guild.filter(id__in=ids).values_list("id", "settings"))
        for guild_id in ids:
            settings: Any = found.get(guild_id) or {}  # Guild.settings: dict[str, Any]
            stored: dict[str, Any] = settings.get("plugins", {})
            self._choices[guild_id] = {str(k): bool(v) for k, v in stored.items()}

    def forget(self, guild_id: int) -> None:
        self._choices.pop(guild_id, None)

    def changed(self, change: Change) -> None:
        """A change-feed listener: drop the choices it names (all of them after a gap)."""
        if change.about(TOPIC):
            if change.guild_id is None:
                self._choices.clear()
            else:
                self.forget(change.guild_id)

    async def statuses(self, guild_id: int | None = None) -> list[PluginStatus]:
        """Every loaded plugin with whether it is on here and why, in dependency order."""
        choices = await self._runtime_choices(guild_id)
        guild_cfg = self.settings.guild(guild_id).plugins if guild_id is not None else {}
        result: dict[str, PluginStatus] = {}
        for spec in self.plugins.specs():
            name = spec.name
            if name in choices:
                on, why = choices[name], "set by an admin in this guild"
            elif name in guild_cfg:
                on, why = guild_cfg[name], f"config [guilds.{guild_id}] plugins"
            elif name in self.settings.plugins:
                on, why = self.settings.plugins[name], "config [plugins] default"
            else:
                on, why = spec.enabled_by_default, "plugin default"
            off_deps = [d for d in spec.depends if not result[d].enabled]
            if on and off_deps:
                on, why = False, f"needs {', '.join(off_deps)}, which is off"
            result[name] = PluginStatus(name, on, why)
        return list(result.values())

    async def enabled(self, guild_id: int) -> list[str]:
        return [s.name for s in await self.statuses(guild_id) if s.enabled]

    async def is_enabled(self, name: str, guild_id: int) -> bool:
        return name in await self.enabled(guild_id)

    async def choose(self, guild_id: int, name: str, on: bool) -> list[PluginStatus]:
        """An admin turns a plugin on or off in their guild, effective immediately."""
        if name not in self.plugins.plugins:
            known = ", ".join(self.plugins.names) or "none"
            raise InvalidInput(f"no plugin named {name!r}; loaded plugins: {known}")
        async with in_transaction():
            guild = await Guild.filter(id=guild_id).select_for_update().first()
            if guild is None:
                raise NotFound("this guild is not known to the bot yet")
            settings = dict(guild.settings or {})
            plugins = dict(settings.get("plugins") or {})
            plugins[name] = on
            settings["plugins"] = plugins
            guild.settings = settings
            await guild.save(update_fields=["settings", "updated_at"])
            await publish(TOPIC, guild_id)
        self._choices[guild_id] = plugins
        return await self.statuses(guild_id)
