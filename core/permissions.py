"""Permission levels, how a member gets one, and how a command declares the one it needs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import IntEnum
from typing import Any, TypeVar

from core.config import Settings
from core.errors import InvalidInput
from core.models import RoleLevel


class Level(IntEnum):
    EVERYONE = 0
    MEMBER = 10  # an org member: has the guild's org role (everyone, when none is configured)
    OFFICER = 20
    TREASURER = 30
    ADMIN = 40

    @classmethod
    def parse(cls, text: str) -> Level:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(level.name.lower() for level in cls)
            raise InvalidInput(f"unknown level {text!r}: use one of {names}") from None

    def __str__(self) -> str:
        return self.name.lower()


C = TypeVar("C")


def requires(level: Level) -> Callable[[C], C]:
    """Declare the level a slash command needs; core's central check enforces it.

    Put it above `@app_commands.command(...)`; it works on a `Group` too, as the default for
    every subcommand that declares none.
    """

    def mark(command: C) -> C:
        if isinstance(command, type):  # a Group subclass: instances get extras in __init__
            command.__redlegion_level__ = level  # type: ignore[attr-defined]
        else:
            command.extras["level"] = level  # type: ignore[attr-defined]
        return command

    return mark


def declared_level(command: Any) -> Level | None:
    """The level a command declares, else its parent group's, else None."""
    while command is not None:
        level = command.extras.get("level")
        if level is None:
            level = getattr(command, "__redlegion_level__", None)
        if level is not None:
            return Level(level)
        command = command.parent
    return None


def is_org_member(settings: Settings, guild_id: int, role_ids: Iterable[int]) -> bool:
    org_role = settings.guild(guild_id).org_role
    return org_role is None or org_role in set(role_ids)


def level_from(
    settings: Settings,
    guild_id: int,
    role_ids: Iterable[int],
    mapping: Iterable[tuple[int, str]],
    *,
    is_guild_admin: bool = False,
) -> Level:
    """The rule for a member's level: Administrator/Manage Server → admin, else their highest
    role in the guild's `mapping` ((role id, level name) pairs), else member when they hold
    the org role (everyone, when none is configured)."""
    if is_guild_admin:
        return Level.ADMIN
    roles = set(role_ids)
    best = Level.MEMBER if is_org_member(settings, guild_id, roles) else Level.EVERYONE
    for role_id, name in mapping:
        if role_id in roles:
            best = max(best, Level[str(name).upper()])
    return best


async def level_of(
    settings: Settings,
    guild_id: int,
    role_ids: Iterable[int],
    *,
    is_guild_admin: bool = False,
) -> Level:
    """A member's level (`level_from`), the mapping of their roles read from the database."""
    roles = set(role_ids)
    mapping: list[tuple[int, str]] = []
    if roles and not is_guild_admin:
        mapping = await RoleLevel.filter(guild_id=guild_id, role_id__in=roles).values_list(
            "role_id", "level"
        )
    return level_from(settings, guild_id, roles, mapping, is_guild_admin=is_guild_admin)


async def seed_role_levels(settings: Settings, guild_ids: int | Iterable[int]) -> int:
    """Copy `[guilds."ID".roles]` from config into each guild's mapping where not yet set.

    One read for all the guilds given (start-up seeds a batch at once), none for guilds whose
    config names no roles; returns how many mappings were added.
    """
    ids = [guild_ids] if isinstance(guild_ids, int) else list(guild_ids)
    wanted = {
        (guild_id, role_id): level
        for guild_id in ids
        for level in ("officer", "treasurer", "admin")
        for role_id in getattr(settings.guild(guild_id).roles, level)
    }
    if not wanted:
        return 0
    guilds = sorted({guild_id for guild_id, _ in wanted})
    existing = set(await RoleLevel.filter(guild_id__in=guilds).values_list("guild_id", "role_id"))
    new = [
        RoleLevel(guild_id=guild_id, role_id=role_id, level=level)
        for (guild_id, role_id), level in wanted.items()
        if (guild_id, role_id) not in existing
    ]
    if new:
        await RoleLevel.bulk_create(new, ignore_conflicts=True)
    return len(new)


async def set_role_level(guild_id: int, role_id: int, level: Level | None) -> None:
    """Map a role to a level (officer and up), or remove its mapping with `None`."""
    if level is None:
        await RoleLevel.filter(guild_id=guild_id, role_id=role_id).delete()
        return
    if level < Level.OFFICER:
        raise InvalidInput("roles map to officer, treasurer or admin; members come from org_role")
    await RoleLevel.update_or_create(
        defaults={"level": str(level)}, guild_id=guild_id, role_id=role_id
    )


async def role_levels(guild_id: int) -> dict[int, Level]:
    rows = await RoleLevel.filter(guild_id=guild_id).order_by("role_id")
    return {row.role_id: Level[row.level.upper()] for row in rows}
