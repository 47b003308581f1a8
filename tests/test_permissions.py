"""Permission levels from Discord roles, config seeding, and the admin's edits."""

from __future__ import annotations

import pytest
from discord import app_commands

from core.errors import InvalidInput
from core.models import Guild, RoleLevel
from core.permissions import (
    Level,
    declared_level,
    level_of,
    requires,
    role_levels,
    seed_role_levels,
    set_role_level,
)
from storage import Database
from tests.support import make_settings

GUILD, OTHER = 1, 2
ORG, OFFICER, TREASURER = 10, 20, 30

SETTINGS = {
    "guilds": {
        str(GUILD): {"org_role": ORG, "roles": {"officer": [OFFICER], "treasurer": [TREASURER]}}
    }
}


@pytest.fixture
async def guilds(db: Database) -> None:
    await Guild.create(id=GUILD, name="Red Legion")
    await Guild.create(id=OTHER, name="Other")


async def test_levels_from_roles(guilds: None):
    settings = make_settings(SETTINGS)
    assert await seed_role_levels(settings, GUILD) == 2
    assert await level_of(settings, GUILD, []) == Level.EVERYONE
    assert await level_of(settings, GUILD, [ORG]) == Level.MEMBER
    assert await level_of(settings, GUILD, [ORG, OFFICER]) == Level.OFFICER
    assert await level_of(settings, GUILD, [OFFICER, TREASURER]) == Level.TREASURER
    assert await level_of(settings, GUILD, [], is_guild_admin=True) == Level.ADMIN


async def test_role_mapping_is_per_guild(guilds: None):
    settings = make_settings(SETTINGS)
    await seed_role_levels(settings, GUILD)
    # the same role id means nothing in another guild, and without org_role all are members
    assert await level_of(settings, OTHER, [OFFICER]) == Level.MEMBER


async def test_seeding_is_idempotent_and_keeps_admin_edits(guilds: None):
    settings = make_settings(SETTINGS)
    await seed_role_levels(settings, GUILD)
    await set_role_level(GUILD, OFFICER, Level.ADMIN)
    assert await seed_role_levels(settings, GUILD) == 0
    assert (await role_levels(GUILD))[OFFICER] == Level.ADMIN


async def test_clearing_a_role(guilds: None):
    await set_role_level(GUILD, 99, Level.TREASURER)
    await set_role_level(GUILD, 99, None)
    assert await role_levels(GUILD) == {}


async def test_member_level_is_not_a_role_mapping(guilds: None):
    with pytest.raises(InvalidInput, match="officer, treasurer or admin"):
        await set_role_level(GUILD, 99, Level.MEMBER)
    assert await RoleLevel.all().count() == 0


def test_level_parse():
    assert Level.parse(" Treasurer ") == Level.TREASURER
    with pytest.raises(InvalidInput, match="unknown level 'captain'"):
        Level.parse("captain")


def test_declared_level_inherits_from_group():
    @requires(Level.OFFICER)
    class Ops(app_commands.Group, name="ops", description="ops"):
        @app_commands.command(name="plain", description="x")
        async def plain(self, interaction) -> None: ...

        @requires(Level.ADMIN)
        @app_commands.command(name="strict", description="x")
        async def strict(self, interaction) -> None: ...

    group = Ops()
    assert declared_level(group.get_command("plain")) == Level.OFFICER
    assert declared_level(group.get_command("strict")) == Level.ADMIN
