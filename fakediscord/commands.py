"""Application commands: what the bot synced, and turning "mining event start" + keyword
arguments into the typed, nested `data` a Discord client would send for them."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fakediscord import payloads
from fakediscord.entities import Channel, Member, Role, User
from fakediscord.errors import CommandNotSynced, CommandUnavailable, FakeDiscordError
from fakediscord.messages import File

if TYPE_CHECKING:
    from fakediscord.entities import Guild
    from fakediscord.world import FakeDiscord

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
CHAT_INPUT = 1


@dataclass(frozen=True)
class CommandSync:
    """One bulk overwrite the bot made: which scope, which top-level names, when."""

    guild_id: int | None
    names: tuple[str, ...]
    at: datetime


class CommandRegistry:
    """Global and per-guild commands as the bot last overwrote them."""

    def __init__(self, application_id: int, new_id: Callable[[], int], now: Callable[[], datetime]):
        self._application_id = application_id
        self._new_id = new_id
        self._now = now
        self._scopes: dict[int | None, list[dict[str, Any]]] = {}
        self.syncs: list[CommandSync] = []
        # (guild, command name) -> roles a server admin allowed on it (Integrations settings)
        self._allowed_roles: dict[tuple[int, str], set[int]] = {}

    def allow_role(self, guild_id: int, name: str, role_id: int) -> None:
        """What an admin does in Server Settings → Integrations: let a role (the guild's id for
        @everyone) use a command that `default_member_permissions` hides from it."""
        self._allowed_roles.setdefault((guild_id, name), set()).add(role_id)

    def allowed_roles(self, guild_id: int, name: str) -> set[int]:
        return self._allowed_roles.get((guild_id, name), set())

    def list(self, guild_id: int | None) -> list[dict[str, Any]]:
        return self._scopes.get(guild_id, [])

    def overwrite(
        self, guild_id: int | None, commands: builtins.list[dict[str, Any]]
    ) -> builtins.list[dict[str, Any]]:
        """Bulk overwrite one scope; a command keeps its id when name and type stay the same."""
        old = {(c["name"], c.get("type", CHAT_INPUT)): c["id"] for c in self.list(guild_id)}
        stored = []
        for command in commands:
            kind = command.get("type", CHAT_INPUT)
            stored.append(
                {
                    "default_member_permissions": None,
                    "contexts": None,
                    "integration_types": [0],
                    "nsfw": False,
                    "options": [],
                    "description": "",
                    **command,
                    "id": old.get((command["name"], kind)) or str(self._new_id()),
                    "application_id": str(self._application_id),
                    "version": str(self._new_id()),
                    "type": kind,
                    **({} if guild_id is None else {"guild_id": str(guild_id)}),
                }
            )
        self._scopes[guild_id] = stored
        self.syncs.append(CommandSync(guild_id, tuple(c["name"] for c in stored), self._now()))
        return stored

    def find(self, guild_id: int, name: str) -> dict[str, Any] | None:
        """A guild's own command first, then a global one, as Discord shows them."""
        for scope in (guild_id, None):
            for command in self.list(scope):
                if command["name"] == name and command["type"] == CHAT_INPUT:
                    return command
        return None

    def visible_names(self, guild_id: int) -> builtins.list[str]:
        return sorted({c["name"] for scope in (guild_id, None) for c in self.list(scope)})


def build_command_data(
    world: FakeDiscord,
    guild: Guild,
    member: Member,
    path: str,
    values: Mapping[str, Any],
    *,
    focused: str | None = None,
    unchecked: bool = False,
) -> dict[str, Any]:
    """The `data` of an APPLICATION_COMMAND (or, with `focused`, AUTOCOMPLETE) interaction.

    `unchecked` sends values Discord's client would refuse (beyond an option's range, length
    or choices): what a modified client or a direct API call can do, for testing the bot's
    own checks. Types, names and required options are still checked."""
    words = path.strip().lstrip("/").split()
    if not words:
        raise FakeDiscordError("empty command")
    command = world.commands.find(guild.id, words[0])
    if command is None:
        raise CommandNotSynced(
            f"/{words[0]} is not synced for {guild.name!r}; "
            f"synced there: {', '.join(world.commands.visible_names(guild.id)) or 'nothing'}"
        )
    _check_visible(command, member, world.commands.allowed_roles(guild.id, command["name"]))
    data: dict[str, Any] = {"id": command["id"], "name": command["name"], "type": CHAT_INPUT}
    if "guild_id" in command:
        data["guild_id"] = command["guild_id"]
    container, node = data, command
    for word in words[1:]:
        sub = next(
            (o for o in node.get("options", []) if o["name"] == word and o["type"] in (1, 2)), None
        )
        if sub is None:
            raise FakeDiscordError(
                f"/{path}: {word!r} is not a subcommand of /{node['name']}; "
                f"it has: {', '.join(_subcommand_names(node)) or 'none'}"
            )
        nested: dict[str, Any] = {"name": word, "type": sub["type"], "options": []}
        container.setdefault("options", []).append(nested)
        container, node = nested, sub
    if _subcommand_names(node):
        raise FakeDiscordError(f"/{path} needs a subcommand: {', '.join(_subcommand_names(node))}")

    builder = _OptionBuilder(world, guild, f"/{' '.join(words)}", unchecked=unchecked)
    container["options"] = builder.build(node.get("options", []), values, focused)
    if builder.resolved:
        data["resolved"] = builder.resolved
    return data


def _subcommand_names(node: dict[str, Any]) -> list[str]:
    return [o["name"] for o in node.get("options", []) if o["type"] in (1, 2)]


def _check_visible(command: dict[str, Any], member: Member, allowed_roles: set[int]) -> None:
    required = command.get("default_member_permissions")
    # an allowed role opens the command to its members; the guild's id stands for @everyone
    allowed = {member.guild.id, *(role.id for role in member.roles)} & allowed_roles
    if required is None or allowed:
        return
    from fakediscord.entities import ADMINISTRATOR

    bits = int(required)
    perms = member.permissions
    if (bits == 0 and not perms & ADMINISTRATOR) or (perms & bits) != bits:
        raise CommandUnavailable(
            f"{member.name} cannot use /{command['name']}: it needs permissions {bits:#x} "
            "(default_member_permissions), so Discord does not offer it"
        )


class _OptionBuilder:
    """Checks values as Discord's client does and converts them to wire options + `resolved`."""

    def __init__(
        self, world: FakeDiscord, guild: Guild, where: str, *, unchecked: bool = False
    ) -> None:
        self.world = world
        self.guild = guild
        self.where = where
        self.unchecked = unchecked
        self.resolved: dict[str, dict[str, Any]] = {}

    def build(
        self, specs: list[dict[str, Any]], values: Mapping[str, Any], focused: str | None
    ) -> list[dict[str, Any]]:
        by_name = {s["name"]: s for s in specs}
        unknown = set(values) - set(by_name)
        if unknown:
            raise FakeDiscordError(
                f"{self.where} has no option {', '.join(sorted(unknown))}; "
                f"options: {', '.join(by_name) or 'none'}"
            )
        if focused is not None and not by_name[focused].get("autocomplete"):
            raise FakeDiscordError(f"{self.where}: option {focused!r} has no autocomplete")
        if focused is None:
            missing = [s["name"] for s in specs if s.get("required") and s["name"] not in values]
            if missing:
                raise FakeDiscordError(
                    f"{self.where}: missing required option(s) {', '.join(missing)}"
                )
        options = []
        for name, value in values.items():
            spec = by_name[name]
            if name == focused:
                options.append(
                    {"name": name, "type": spec["type"], "value": str(value), "focused": True}
                )
            else:
                options.append(
                    {"name": name, "type": spec["type"], "value": self._convert(spec, value)}
                )
        return options

    def _convert(self, spec: dict[str, Any], value: Any) -> Any:
        kind, name = spec["type"], spec["name"]
        where = f"{self.where} option {name!r}"
        if kind == STRING:
            if not isinstance(value, str):
                raise FakeDiscordError(f"{where} takes a string, got {value!r}")
            limits = spec.get("min_length", 0), spec.get("max_length", 6000)
            if not self.unchecked and not limits[0] <= len(value) <= limits[1]:
                raise FakeDiscordError(f"{where}: length {len(value)} is out of bounds")
            wire: Any = value
        elif kind in (INTEGER, NUMBER):
            if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
                raise FakeDiscordError(f"{where} takes a number, got {value!r}")
            if kind == INTEGER and value != int(value):
                raise FakeDiscordError(f"{where} takes an integer, got {value!r}")
            wire = int(value) if kind == INTEGER else float(value)
            if not self.unchecked and "min_value" in spec and wire < spec["min_value"]:
                raise FakeDiscordError(f"{where}: {value} is below {spec['min_value']}")
            if not self.unchecked and "max_value" in spec and wire > spec["max_value"]:
                raise FakeDiscordError(f"{where}: {value} is above {spec['max_value']}")
        elif kind == BOOLEAN:
            if not isinstance(value, bool):
                raise FakeDiscordError(f"{where} takes True or False, got {value!r}")
            wire = value
        elif kind == USER or (kind == MENTIONABLE and isinstance(value, Member | User)):
            wire = self._resolve_user(where, value)
        elif kind == ROLE or (kind == MENTIONABLE and isinstance(value, Role)):
            wire = self._resolve_role(where, value)
        elif kind == CHANNEL:
            wire = self._resolve_channel(where, spec, value)
        elif kind == ATTACHMENT:
            wire = self._resolve_attachment(where, value)
        else:
            raise FakeDiscordError(f"{where}: option type {kind} is not supported by the stand-in")
        choices = spec.get("choices")
        if choices and not self.unchecked and wire not in [c["value"] for c in choices]:
            offered = ", ".join(repr(c["value"]) for c in choices)
            raise FakeDiscordError(f"{where}: {value!r} is not one of the choices {offered}")
        return wire

    def _resolve_user(self, where: str, value: Any) -> str:
        if isinstance(value, Member):
            if value.guild is not self.guild:
                raise FakeDiscordError(f"{where}: {value.name} is not in {self.guild.name!r}")
            self.resolved.setdefault("users", {})[str(value.id)] = payloads.user(value.user)
            member = {
                **payloads.member(value, with_user=False),
                "permissions": str(value.permissions),
            }
            self.resolved.setdefault("members", {})[str(value.id)] = member
            return str(value.id)
        if isinstance(value, User):
            self.resolved.setdefault("users", {})[str(value.id)] = payloads.user(value)
            return str(value.id)
        raise FakeDiscordError(f"{where} takes a member, got {value!r}")

    def _resolve_role(self, where: str, value: Any) -> str:
        if not isinstance(value, Role) or value.guild is not self.guild:
            raise FakeDiscordError(f"{where} takes a role of {self.guild.name!r}, got {value!r}")
        self.resolved.setdefault("roles", {})[str(value.id)] = payloads.role(value)
        return str(value.id)

    def _resolve_channel(self, where: str, spec: dict[str, Any], value: Any) -> str:
        if not isinstance(value, Channel) or value.guild is not self.guild:
            raise FakeDiscordError(f"{where} takes a channel of {self.guild.name!r}, got {value!r}")
        allowed = spec.get("channel_types")
        if allowed and int(value.type) not in allowed:
            raise FakeDiscordError(f"{where}: {value.name!r} is not of type {allowed}")
        data = {**payloads.channel(value), "permissions": str(self.guild.me.permissions)}
        self.resolved.setdefault("channels", {})[str(value.id)] = data
        return str(value.id)

    def _resolve_attachment(self, where: str, value: Any) -> str:
        if not isinstance(value, File):
            raise FakeDiscordError(f"{where} takes fakediscord.File(name, data), got {value!r}")
        upload = self.world.store_upload(value)
        self.resolved.setdefault("attachments", {})[str(upload.id)] = payloads.attachment(
            upload, self.world.base_url
        )
        return str(upload.id)
