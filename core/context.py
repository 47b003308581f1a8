"""What the bot hands one plugin: its settings, the clock, background work and the public
services of the plugins it depends on (`PluginContext`).

A plugin's `redlegion_setup(ctx)` gets its own context instead of reaching into the bot:
`ctx.settings(guild_id)` is the plugin's settings model for that guild (typed: annotate
`ctx: PluginContext[MySettings]`), `ctx.every` and `ctx.spawn` start background work the bot
stops on close, and `ctx.service("economy")` is the public service a dependency declared in
its `PluginSpec`, refused for a plugin not in `depends` so a plugin uses only what it said it
needs. Work that talks to Discord itself (posting in a channel, reading `bot.guilds`) still
takes the `bot` argument, which every hook that runs inside the bot also receives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Generic, TypeVar

from discord.ext import tasks
from pydantic import BaseModel

from core.clock import Clock
from core.config import Settings
from core.enablement import Enablement
from core.jobs import Job, Jobs

S = TypeVar("S", bound=BaseModel)


class PluginContext(Generic[S]):
    """One plugin's view of the running bot."""

    def __init__(
        self,
        name: str,
        *,
        config: Settings,
        clock: Clock,
        jobs: Jobs,
        enablement: Enablement,
        services: Mapping[str, object | None],
        ready: Callable[[], Coroutine[Any, Any, Any]],
    ) -> None:
        self._name = name
        self._config = config
        self._clock = clock
        self._jobs = jobs
        self._enablement = enablement
        self._services = dict(services)
        self._ready = ready

    def __repr__(self) -> str:
        return f"<PluginContext {self._name}>"

    @property
    def name(self) -> str:
        """The plugin's name, as its `PluginSpec` declared it."""
        return self._name

    @property
    def clock(self) -> Clock:
        """The bot's clock (virtual in tests and the demo): use it, not `datetime.now()`."""
        return self._clock

    @property
    def demo(self) -> bool:
        """Whether this is `redlegion demo`, which promises to need no network."""
        return self._config.source == "demo"

    def settings(self, guild_id: int | None = None) -> S:
        """The plugin's settings for `guild_id` (`[name]` overlaid with `[guilds."ID".name]`),
        or the plugin-wide ones; validated once and cached."""
        value: S = self._config.plugin_settings(self._name, guild_id)
        return value

    async def is_enabled(self, guild_id: int) -> bool:
        """Whether the plugin is on in that guild (work over many guilds skips the others)."""
        return await self._enablement.is_enabled(self._name, guild_id)

    async def ready(self) -> None:
        """Wait until the bot is connected and has its guilds."""
        await self._ready()

    def every(self, seconds: float, job: Job, *, name: str) -> tasks.Loop[Job]:
        """Run `job` once the bot is ready and then every `seconds` until close (`core.jobs`)."""
        return self._jobs.every(seconds, job, name=name)

    def spawn(self, work: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Run `work` in the background; cancelled when the bot closes, failures logged."""
        return self._jobs.spawn(work, name=name)

    def service(self, plugin: str) -> Any:
        """The public service of `plugin`, which this plugin must declare in `depends`."""
        if plugin not in self._services:
            raise LookupError(
                f"plugin {self._name!r} does not depend on {plugin!r}: add it to the "
                "PluginSpec's depends to use its service"
            )
        service = self._services[plugin]
        if service is None:
            raise LookupError(f"plugin {plugin!r} offers no service to other plugins")
        return service
