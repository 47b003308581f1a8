"""Slash commands on Discord: published only when the tree changed, hidden from members where
a whole command is for officers, `/help` from the tree, and `redlegion commands sync`."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import discord
import pytest

from core.models import CommandDigest
from core.plugins import PluginManager
from core.standin import running_bot
from fakediscord import FakeDiscord
from fakediscord.errors import CommandUnavailable
from storage import Database
from tests.support import make_settings

ECONOMY_ONLY = ("plugins.economy.plugin",)


def everything() -> PluginManager:
    return PluginManager(entry_point_group=None)


async def test_a_restart_with_the_same_commands_does_not_sync_again(db: Database):
    world = FakeDiscord()
    world.guild("Red Legion")
    settings = make_settings()
    async with world.serve():
        async with running_bot(world, settings, everything()):
            pass
        assert [s.guild_id for s in world.commands.syncs] == [None]
        async with running_bot(world, settings, everything()):
            pass
        assert len(world.commands.syncs) == 1, "unchanged tree: nothing published"
        # a plugin fewer: the tree changed, so it is published, once
        async with running_bot(
            world, settings, PluginManager(builtins=ECONOMY_ONLY, entry_point_group=None)
        ):
            pass
        assert len(world.commands.syncs) == 2
        assert "mining" not in world.commands.syncs[-1].names
        assert await CommandDigest.filter(scope="global").count() == 1


async def test_commands_missing_on_discord_are_published_though_the_digest_matches(db: Database):
    """The digest records what we sent; a new Discord (another app, commands deleted by hand)
    holds none of it, so a start on the same database must publish again."""
    settings = make_settings()
    for round_ in (1, 2):
        world = FakeDiscord()
        world.guild("Red Legion")
        async with world.serve(), running_bot(world, settings, everything()):
            pass
        assert [s.guild_id for s in world.commands.syncs] == [None], f"start {round_}"
        assert "mining" in {c["name"] for c in world.commands.list(None)}


async def test_guild_scope_syncs_each_listed_guild_once(db: Database):
    world = FakeDiscord()
    first, second = world.guild("Red Legion"), world.guild("Blue Fleet")
    settings = make_settings({"commands": {"scope": "guilds", "guilds": [first.id, second.id]}})
    async with world.serve():
        for _ in range(2):
            async with running_bot(world, settings, everything()):
                pass
    assert sorted(s.guild_id for s in world.commands.syncs) == sorted([first.id, second.id])


async def test_officer_only_commands_are_hidden_until_the_server_allows_the_role(db: Database):
    world = FakeDiscord()
    guild = world.guild("Red Legion")
    treasurer_role = guild.role("Treasurer")
    tess = guild.member("Tess", roles=[treasurer_role])
    mia = guild.member("Mia")
    boss = guild.member(
        "Boss", roles=[guild.role("Leaders", permissions=discord.Permissions(manage_guild=True))]
    )
    settings = make_settings(
        {"guilds": {str(guild.id): {"roles": {"treasurer": [treasurer_role.id]}}}}
    )
    async with world.serve(), running_bot(world, settings, everything(), allow_mapped_roles=False):
        published = {c["name"]: c for c in world.commands.list(None)}
        hidden = {n for n, c in published.items() if c["default_member_permissions"] is not None}
        # every subcommand of these needs officer or more; the others have some for members
        assert hidden == {"bank", "trade", "report", "roles"}
        required = int(published["bank"]["default_member_permissions"])
        assert required == discord.Permissions(manage_guild=True).value
        with pytest.raises(CommandUnavailable):
            await mia.slash("bank statement")
        with pytest.raises(CommandUnavailable):
            await tess.slash("bank statement")  # the trap: a mapped treasurer, hidden too
        world.commands.allow_role(guild.id, "bank", treasurer_role.id)  # the README's step
        answer = await tess.slash("bank statement")
        assert "Statement" in answer.text or "treasury" in answer.text.lower()
        assert (await boss.slash("bank statement")).text  # an admin sees it without a step


async def test_help_lists_what_the_caller_may_use_here(db: Database):
    world = FakeDiscord()
    guild = world.guild("Red Legion")
    officer_role = guild.role("Officer")
    otto = guild.member("Otto", roles=[officer_role])
    mia = guild.member("Mia")
    settings = make_settings(
        {
            "guilds": {
                str(guild.id): {
                    "roles": {"officer": [officer_role.id]},
                    "plugins": {"loans": False},
                }
            }
        }
    )
    async with world.serve(), running_bot(world, settings, everything()):
        member_help = await mia.slash("help")
        officer_help = await otto.slash("help")
    assert member_help.ephemeral
    assert "`event list`" in member_help.text and "`event start`" not in member_help.text
    assert "`payroll commit`" not in member_help.text
    assert "`event start`" in officer_help.text
    assert "`payroll commit`" not in officer_help.text  # treasurer
    assert "/loan" not in officer_help.text  # off in this server
    assert "Your level in this server: **officer**" in officer_help.text
    assert "database reachable" in officer_help.text
    assert "gateway" in officer_help.text


async def run_cli(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDLEGION_CONFIG"}}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "core.cli",
        *args,
        env={**environ, **env},
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_commands_sync_from_the_shell_publishes_to_one_guild(db: Database, tmp_path: Path):
    world = FakeDiscord()
    guild = world.guild("Red Legion")
    async with world.serve(patch_discord=False):
        code, out, err = await run_cli(
            "commands",
            "sync",
            "--guild",
            str(guild.id),
            "--database-url",
            db.url,
            env=world.environ(),
            cwd=tmp_path,
        )
        assert code == 0, err
        assert f"slash commands published: {guild.id}" in out
        assert [s.guild_id for s in world.commands.syncs] == [guild.id]
        assert "mining" in world.commands.syncs[0].names
        # asked again, it publishes again: the operator's command is never skipped
        code, _, err = await run_cli(
            "commands",
            "sync",
            "--guild",
            str(guild.id),
            "--database-url",
            db.url,
            env=world.environ(),
            cwd=tmp_path,
        )
        assert code == 0, err
        assert len(world.commands.syncs) == 2
