"""Settings from a TOML file and the environment, validated once at start.

Lookup: `--config PATH`, else `$REDLEGION_CONFIG`, else `./config.toml`; a missing file means
defaults. `DISCORD_TOKEN` and `DATABASE_URL` override the file so secrets need not live in it.
Plugin sections (`[mining]`, `[guilds."ID".mining]`) are validated by each plugin's own
settings model once plugins are loaded (`Settings.bind_plugins`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from core.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("config.toml")
DEFAULT_DATABASE_URL = "sqlite://redlegion.sqlite3"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoleLevels(_Strict):
    """Discord role ids granting each permission level in a guild."""

    officer: list[int] = []
    treasurer: list[int] = []
    admin: list[int] = []


class CommandSync(_Strict):
    """Where slash commands are published: everywhere, to listed guilds (instant), or nowhere."""

    scope: Literal["global", "guilds", "none"] = "global"
    guilds: list[int] = []


class DiscordEndpoints(_Strict):
    """Developer override pointing discord.py at the local stand-in instead of Discord."""

    api_base: str | None = None
    gateway_url: str | None = None
    # seconds discord.py waits after the last guild arrives before it calls itself ready
    guild_ready_timeout: float = Field(default=2.0, ge=0, le=60)


class GuildSettings(BaseModel):
    """`[guilds."ID"]`: per-guild overrides. Other tables are plugin sections."""

    model_config = ConfigDict(extra="allow")

    plugins: dict[str, bool] = {}
    org_role: int | None = None
    roles: RoleLevels = RoleLevels()


class Settings(BaseModel):
    model_config = ConfigDict(extra="allow")

    token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    plugins: dict[str, bool] = {}
    commands: CommandSync = CommandSync()
    discord: DiscordEndpoints = DiscordEndpoints()
    guilds: dict[int, GuildSettings] = {}
    source: str = Field(default="(defaults)", exclude=True)

    _plugin_models: dict[str, type[BaseModel]] = {}
    _plugin_cache: dict[tuple[str, int | None], BaseModel] = {}

    def guild(self, guild_id: int) -> GuildSettings:
        return self.guilds.get(guild_id) or GuildSettings()

    def bind_plugins(self, models: Mapping[str, type[BaseModel] | None]) -> None:
        """Validate plugin sections now that plugins are known; unknown top-level keys fail."""
        self._plugin_models = {name: m for name, m in models.items() if m is not None}
        self._plugin_cache = {}
        for key in self.model_extra or {}:
            if key not in models:
                raise ConfigError(f"{self.source}: unknown key '{key}'")
        for guild_id, guild in self.guilds.items():
            for key in guild.model_extra or {}:
                if key not in models:
                    raise ConfigError(f"{self.source}: unknown key 'guilds.{guild_id}.{key}'")
        for name in self._plugin_models:
            self.plugin_settings(name)
            for guild_id in self.guilds:
                self.plugin_settings(name, guild_id)

    def plugin_settings(self, plugin: str, guild_id: int | None = None) -> Any:
        """A plugin's settings for a guild: `[plugin]` overlaid with `[guilds."ID".plugin]`."""
        key = (plugin, guild_id if guild_id in self.guilds else None)
        if key in self._plugin_cache:
            return self._plugin_cache[key]
        model = self._plugin_models.get(plugin)
        if model is None:
            raise KeyError(f"plugin {plugin!r} declares no settings")
        data = dict((self.model_extra or {}).get(plugin) or {})
        where = plugin
        if key[1] is not None:
            data.update((self.guilds[key[1]].model_extra or {}).get(plugin) or {})
            where = f"guilds.{key[1]}.{plugin}"
        try:
            value = model.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(_describe(self.source, exc, prefix=where)) from None
        self._plugin_cache[key] = value
        return value


def _describe(source: str, exc: ValidationError, prefix: str = "") -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        lines.append(f"{source}: key '{key}': {err['msg']}")
    return "\n".join(lines)


def config_path(
    explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Path:
    if explicit:
        return Path(explicit)
    if chosen := (os.environ if env is None else env).get("REDLEGION_CONFIG"):
        return Path(chosen)
    return DEFAULT_CONFIG_PATH


def load_settings(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Read, overlay the environment, validate. Raises ConfigError naming file and key."""
    env = os.environ if env is None else env
    file = config_path(path, env)
    data: dict[str, Any] = {}
    source = str(file)
    if file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    elif path is not None or "REDLEGION_CONFIG" in env:
        raise ConfigError(f"{source}: config file not found")
    else:
        source = "(defaults)"
    if token := env.get("DISCORD_TOKEN"):
        data["token"] = token
    if url := env.get("DATABASE_URL"):
        data["database_url"] = url
    endpoints = dict(data.get("discord") or {})
    for key in ("api_base", "gateway_url", "guild_ready_timeout"):
        if value := env.get(f"REDLEGION_DISCORD_{key.upper()}"):
            endpoints[key] = value
    if endpoints:
        data["discord"] = endpoints
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(source, exc)) from None
    settings.source = source
    return settings
