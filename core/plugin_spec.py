"""The declaration a plugin hands to core through the `redlegion_plugin` hook."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel


@dataclass(frozen=True)
class PluginSpec:
    name: str
    version: str
    description: str = ""
    depends: tuple[str, ...] = ()
    #: dotted module holding the plugin's Tortoise models; the Tortoise app is named `name`
    models: str | None = None
    #: dotted package holding the app's Tortoise migrations
    migrations: str | None = None
    #: pydantic model validating the `[name]` config section (and its per-guild overrides)
    settings: type[BaseModel] | None = None
    #: whether the plugin is on in a guild that config says nothing about
    enabled_by_default: bool = True
    extra: dict[str, object] = field(default_factory=dict)
    #: what the plugin offers plugins that depend on it (`PluginContext.service(name)`), e.g.
    #: economy's balances and postings; the rest of the plugin is internal to it
    service: object | None = None
