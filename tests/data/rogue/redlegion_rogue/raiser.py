"""Its slash-command hook raises; it also listens to voice, to show a left-out plugin hears
nothing."""

from __future__ import annotations

from core.hookspecs import hookimpl
from core.plugin_spec import PluginSpec

HEARD: list[int] = []


@hookimpl
def redlegion_plugin() -> PluginSpec:
    return PluginSpec(name="raiser", version="0.1.0", description="Fails to register commands")


@hookimpl
def redlegion_app_commands(bot: object) -> list[object]:
    raise RuntimeError("raiser cannot build its commands")


@hookimpl
async def redlegion_voice_state_update(bot: object, event: object) -> None:
    HEARD.append(event.user_id)  # type: ignore[attr-defined]
