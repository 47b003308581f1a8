"""Settings from a TOML file and the environment, validated once at start.

Lookup: `--config PATH`, else `$REDLEGION_CONFIG`, else `./config.toml`; a missing file means
defaults. `DISCORD_TOKEN` and `DATABASE_URL` override the file so secrets need not live in it.
Plugin sections (`[mining]`, `[guilds."ID".mining]`) are validated by each plugin's own
settings model once plugins are loaded (`Settings.bind_plugins`).
"""

from __future__ import annotations

import difflib
import os
import stat
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from core.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("config.toml")
DEFAULT_DATABASE_URL = "sqlite://redlegion.sqlite3"

# Marks a plugin settings field that only the top-level `[plugin]` section may set (a
# per-guild copy would be ignored, so it is refused):
# `heartbeat_seconds: float = Field(60, json_schema_extra=TOP_LEVEL_ONLY)`.
TOP_LEVEL_ONLY: dict[str, Any] = {"top_level_only": True}


def top_level_only(model: type[BaseModel]) -> set[str]:
    """The fields of a plugin settings model marked `TOP_LEVEL_ONLY`."""
    return {
        name
        for name, field in model.model_fields.items()
        if isinstance(field.json_schema_extra, dict)
        and field.json_schema_extra.get("top_level_only")
    }


def did_you_mean(key: str, candidates: Iterable[str]) -> str:
    """ "; did you mean 'X'?" when difflib finds a close known name, else ""."""
    close = difflib.get_close_matches(key, sorted(set(candidates)), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


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
    """`[discord]`: the gateway connection. `api_base`/`gateway_url` are a developer override
    pointing discord.py at the local stand-in; `shard_count`/`shard_ids` are discord.py's own
    sharding (one process runs `shard_ids` of `shard_count` shards; "auto" asks Discord)."""

    api_base: str | None = None
    gateway_url: str | None = None
    # seconds discord.py waits after the last guild arrives before it calls itself ready
    guild_ready_timeout: float = Field(default=2.0, ge=0, le=60)
    # `run` checks the token against Discord before it opens the database; a network failure
    # (DNS, refused connection, 5xx) is retried this many times in all, waiting
    # login_backoff_seconds, then twice that, … (at most 60 s) between tries
    login_attempts: int = Field(default=5, ge=1, le=100)
    login_backoff_seconds: float = Field(default=2.0, ge=0, le=60)
    shard_count: Annotated[int, Field(ge=1, le=10_000)] | Literal["auto"] | None = None
    shard_ids: list[int] | None = None

    @model_validator(mode="after")
    def _shards_in_range(self) -> DiscordEndpoints:
        if self.shard_ids is None:
            return self
        if not isinstance(self.shard_count, int):
            raise ValueError("shard_ids needs a shard_count (a number, not auto)")
        wrong = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
        if wrong or not self.shard_ids or len(set(self.shard_ids)) != len(self.shard_ids):
            raise ValueError(
                f"shard_ids must be distinct numbers from 0 to {self.shard_count - 1}, "
                f"got {self.shard_ids}"
            )
        return self

    def shards(self) -> tuple[int, list[int]] | None:
        """(shard count, this process's shard ids), or None when not sharded or "auto"."""
        if not isinstance(self.shard_count, int):
            return None
        return self.shard_count, self.shard_ids or list(range(self.shard_count))


class WebSettings(_Strict):
    """`[web]`: the officers' portal. Secrets (`client_secret`, `session_secret`) may come from
    `REDLEGION_WEB_CLIENT_SECRET` / `REDLEGION_WEB_SESSION_SECRET` instead of the file."""

    enabled: bool = False  # serve the portal from inside `redlegion run`, in its event loop
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # the address browsers reach the portal at; the OAuth2 redirect URI is built from it
    public_url: str | None = None
    client_id: int | None = None  # the Discord application's id (Developer Portal → OAuth2)
    client_secret: SecretStr | None = None
    session_secret: SecretStr | None = None
    # where OAuth2 is asked: Discord, or the local stand-in in tests and the demo
    oauth_base: str = "https://discord.com"
    api_base: str = "https://discord.com/api/v10"
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    sign_ins_per_minute: int = Field(default=10, ge=1, le=10_000)

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("public_url must start with http:// or https://")
        return value.rstrip("/") if value else value

    def base_url(self) -> str:
        """`public_url`, else the address the portal binds to."""
        return self.public_url or f"http://{self.host}:{self.port}"


class GuildSettings(BaseModel):
    """`[guilds."ID"]`: per-guild overrides. Other tables are plugin sections."""

    model_config = ConfigDict(extra="allow")

    plugins: dict[str, bool] = {}
    org_role: int | None = None
    roles: RoleLevels = RoleLevels()


# what a guild that config does not name gets: read-only, shared
NO_OVERRIDES = GuildSettings()


class Settings(BaseModel):
    model_config = ConfigDict(extra="allow")

    token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    plugins: dict[str, bool] = {}
    commands: CommandSync = CommandSync()
    discord: DiscordEndpoints = DiscordEndpoints()
    web: WebSettings = WebSettings()
    guilds: dict[int, GuildSettings] = {}

    # not keys: where the settings came from, and what load_settings found worth a warning
    _source: str = PrivateAttr(default="(defaults)")
    _warnings: list[str] = PrivateAttr(default_factory=list)
    _plugin_models: dict[str, type[BaseModel]] = {}
    _plugin_cache: dict[tuple[str, int | None], BaseModel] = {}

    @field_validator("log_level", mode="before")
    @classmethod
    def _any_case(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _supported(cls, value: str) -> str:
        from storage.database import backend_of  # raises UnsupportedDatabase, a ValueError

        backend_of(value)
        return value

    @property
    def source(self) -> str:
        """The file these settings were read from, `(defaults)` without one."""
        return self._source

    @source.setter
    def source(self, value: str) -> None:
        self._source = value

    @property
    def warnings(self) -> list[str]:
        """Problems that do not stop the bot but that the operator must hear of."""
        return self._warnings

    def guild(self, guild_id: int) -> GuildSettings:
        """The guild's overrides; one shared, empty set for a guild config does not name
        (asked for every member at start-up: building one each time cost a deep copy)."""
        return self.guilds.get(guild_id) or NO_OVERRIDES

    def bind_plugins(self, models: Mapping[str, type[BaseModel] | None]) -> list[str]:
        """Validate every name and plugin section now that plugins are known.

        An unknown name is refused with a "did you mean" when it is close to a known one. A
        table (or a `[plugins]` switch) naming no plugin here and close to none is a plugin
        that is not installed: its name is returned, and the bot runs without it.
        """
        self._plugin_models = {name: m for name, m in models.items() if m is not None}
        self._plugin_cache = {}
        installed = set(models)
        missing: list[str] = []
        top_keys = set(Settings.model_fields) | installed
        for key, value in (self.model_extra or {}).items():
            if key not in installed:
                self._unknown(key, key, top_keys, isinstance(value, dict), missing)
        for key in self.plugins:
            if key not in installed:
                self._unknown(f"plugins.{key}", key, installed, True, missing)
        guild_keys = set(GuildSettings.model_fields) | installed
        for guild_id, guild in self.guilds.items():
            for key in guild.plugins:
                if key not in installed:
                    path = f"guilds.{guild_id}.plugins.{key}"
                    self._unknown(path, key, installed, True, missing)
            for key, value in (guild.model_extra or {}).items():
                if key not in installed:
                    path = f"guilds.{guild_id}.{key}"
                    self._unknown(path, key, guild_keys, isinstance(value, dict), missing)
        for name, model in models.items():
            self._check_section(name, model, (self.model_extra or {}).get(name), None)
            for guild_id, guild in self.guilds.items():
                self._check_section(name, model, (guild.model_extra or {}).get(name), guild_id)
        for name in self._plugin_models:
            self.plugin_settings(name)
            for guild_id in self.guilds:
                self.plugin_settings(name, guild_id)
        return list(dict.fromkeys(missing))

    def _unknown(
        self, path: str, key: str, known: Iterable[str], may_be_plugin: bool, missing: list[str]
    ) -> None:
        """Refuse an unknown name, unless it may name a plugin that is not installed."""
        hint = did_you_mean(key, known)
        if may_be_plugin and not hint:
            missing.append(key)
            return
        raise ConfigError(f"{self.source}: unknown key '{path}'{hint}")

    def _check_section(
        self, name: str, model: type[BaseModel] | None, data: Any, guild_id: int | None
    ) -> None:
        """Keys of one `[plugin]` or `[guilds."ID".plugin]` section: known to the plugin's
        settings model, and not one only the top-level section may set."""
        if data is None:
            return
        where = name if guild_id is None else f"guilds.{guild_id}.{name}"
        if not isinstance(data, dict):
            raise ConfigError(f"{self.source}: key '{where}' must be a table ([{where}])")
        if model is None:
            for key in data:
                raise ConfigError(
                    f"{self.source}: unknown key '{where}.{key}': the {name} plugin has no settings"
                )
            return
        if model.model_config.get("extra") != "allow":
            for key in data:
                if key not in model.model_fields:
                    hint = did_you_mean(key, model.model_fields)
                    raise ConfigError(f"{self.source}: unknown key '{where}.{key}'{hint}")
        if guild_id is not None:
            for key in data:
                if key in top_level_only(model):
                    raise ConfigError(
                        f"{self.source}: key '{where}.{key}' is top-level only (one value for "
                        f"the whole bot): set it in [{name}], not per guild"
                    )

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
            raise ConfigError(_describe(self.source, exc, prefix=where, model=model)) from None
        self._plugin_cache[key] = value
        return value


def _describe(
    source: str, exc: ValidationError, prefix: str = "", model: type[BaseModel] | None = None
) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        if err["type"] == "extra_forbidden":
            parent = _model_at(model or Settings, err["loc"][:-1])
            hint = did_you_mean(str(err["loc"][-1]), parent.model_fields if parent else ())
            lines.append(f"{source}: unknown key '{key}'{hint}")
        else:
            message = err["msg"].removeprefix("Value error, ")
            lines.append(f"{source}: key '{key}': {message}")
    return "\n".join(lines)


def _model_at(model: type[BaseModel], loc: Iterable[str | int]) -> type[BaseModel] | None:
    """The settings model a validation error's location points into (for its field names)."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _readable_by_others(file: Path) -> str | None:
    """A warning when a file holding the bot token can be read by group or others."""
    if os.name != "posix":
        return None
    mode = stat.S_IMODE(file.stat().st_mode)
    if not mode & (stat.S_IRGRP | stat.S_IROTH):
        return None
    return (
        f"{file} holds the bot token and is readable by group/others (mode {mode:04o}): "
        f"run `chmod 600 {file}`, or keep the token in $DISCORD_TOKEN instead"
    )


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
    warnings: list[str] = []
    if file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source}: not valid TOML: {exc}") from None
        if data.get("token") and (warning := _readable_by_others(file)):
            warnings.append(warning)
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
    web = dict(data.get("web") or {})
    for key in ("client_secret", "session_secret"):
        if value := env.get(f"REDLEGION_WEB_{key.upper()}"):
            web[key] = value
    if web:
        data["web"] = web
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(source, exc)) from None
    settings.source = source
    settings.warnings.extend(warnings)
    return settings
