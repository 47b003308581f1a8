"""One plugin cannot stop the bot: a plugin whose command hook raises, or whose slash group or
CLI subcommand takes a name another plugin owns, is left out by name with the reason; the rest
starts, and `plugins list` / `config check` exit 1 so a deployment check notices.

The rogue plugins live in tests/data/rogue and are installed through entry points, like any
third-party package.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import discord
import pytest
from discord import app_commands

from core.bot import RedLegionBot, check_commands
from core.hookspecs import hookimpl
from core.plugin_spec import PluginSpec
from core.plugins import PluginManager
from fakediscord import FakeDiscord
from storage import Database
from tests.support import make_settings
from tests.test_cli import redlegion

ROGUE = Path(__file__).parent / "data" / "rogue"


@pytest.fixture
def rogue(monkeypatch: pytest.MonkeyPatch) -> Iterator[PluginManager]:
    """The built-ins plus the three rogue plugins, found through their entry points."""
    monkeypatch.syspath_prepend(str(ROGUE))
    from redlegion_rogue import raiser

    raiser.HEARD.clear()
    yield PluginManager()
    for name in [m for m in sys.modules if m.startswith("redlegion_rogue")]:
        sys.modules.pop(name)


def plugin(name: str, depends: tuple[str, ...] = (), **hooks: object) -> ModuleType:
    module = ModuleType(f"fake_{name}")

    @hookimpl
    def redlegion_plugin() -> PluginSpec:
        return PluginSpec(name=name, version="1.0", depends=depends)

    module.redlegion_plugin = redlegion_plugin  # type: ignore[attr-defined]
    for hook, fn in hooks.items():
        setattr(module, hook, fn)
    return module


def group_hook(*names: str):
    @hookimpl
    def redlegion_app_commands(bot: object) -> list[app_commands.Group]:
        return [app_commands.Group(name=n, description=n) for n in names]

    return redlegion_app_commands


# -- the plugin manager's one "left out" list ------------------------------------------------


def test_leave_out_takes_dependents_and_their_hooks_along():
    heard: list[str] = []

    def listener(name: str):
        @hookimpl
        def redlegion_member_update(bot: object, event: object) -> None:
            heard.append(name)

        return redlegion_member_update

    pm = PluginManager(
        builtins=[
            plugin("a", redlegion_member_update=listener("a")),
            plugin("b", depends=("a",), redlegion_member_update=listener("b")),
            plugin("c", redlegion_member_update=listener("c")),
        ],
        entry_point_group=None,
    )
    assert pm.leave_out("a", "its commands clash") == ["a", "b"]
    assert pm.names == ["c"]
    assert [(p.name, p.reason) for p in pm.problems] == [
        ("a", "its commands clash"),
        ("b", "depends on 'a', which was left out"),
    ]
    pm.pm.hook.redlegion_member_update(bot=None, ctx=None, event=None)
    assert heard == ["c"]


def test_leave_out_records_a_plugin_that_is_not_installed():
    pm = PluginManager(builtins=[plugin("a")], entry_point_group=None)
    assert pm.leave_out("ghost", "named in the config but not installed") == ["ghost"]
    assert pm.names == ["a"]
    assert str(pm.problems[0]) == (
        "plugin 'ghost' (not installed) left out: named in the config but not installed"
    )


# -- slash commands --------------------------------------------------------------------------


def test_slash_clash_leaves_out_the_later_plugin_and_takes_its_commands_back():
    first = plugin("first", redlegion_app_commands=group_hook("ops"))
    second = plugin("second", redlegion_app_commands=group_hook("extra", "ops"))
    third = plugin("third", depends=("second",), redlegion_app_commands=group_hook("more"))
    core_clash = plugin("corey", redlegion_app_commands=group_hook("help"))
    pm = PluginManager(builtins=[first, second, third, core_clash], entry_point_group=None)
    settings = make_settings({}, pm)
    bot = RedLegionBot(settings, pm)
    bot.register_commands()
    names = {c.name for c in bot.tree.get_commands()}
    assert {"ops", "help", "plugins"} <= names
    assert not {"extra", "more"} & names  # the left-out plugin's first group went back out
    assert bot.tree.get_command("ops").extras["plugin"] == "first"
    reasons = {p.name: p.reason for p in pm.problems}
    assert reasons == {
        "second": "slash command /ops is already taken by plugin 'first'",
        "third": "depends on 'second', which was left out",
        "corey": "slash command /help is already taken by core",
    }
    assert pm.names == ["first"]


def test_a_raising_command_hook_leaves_out_only_that_plugin():
    @hookimpl
    def redlegion_app_commands(bot: object) -> list[app_commands.Group]:
        raise KeyError("settings")

    pm = PluginManager(
        builtins=[plugin("bad", redlegion_app_commands=redlegion_app_commands), plugin("ok")],
        entry_point_group=None,
    )
    check_commands(make_settings({}, pm), pm)
    assert pm.names == ["ok"]
    assert pm.problems[0].name == "bad"
    assert pm.problems[0].reason == "its redlegion_app_commands hook failed: KeyError('settings')"


async def test_the_bot_starts_without_the_rogue_plugins(
    fake_discord: FakeDiscord, rogue: PluginManager, db: Database
):
    """Through the stand-in: commands published without them, /mining the real one, and the
    left-out listener hears no voice."""
    from redlegion_rogue import raiser

    guild = fake_discord.guild("Red Legion")
    admin = discord.Permissions(manage_guild=True)
    boss = guild.member("Boss", roles=[guild.role("Leaders", permissions=admin)])
    rocks = guild.voice("Rocks")
    settings = make_settings({}, rogue)
    bot = RedLegionBot(settings, rogue, clock=fake_discord.clock, guild_ready_timeout=0.05)
    # start-up logs an error per left-out plugin (checked below): that is the point
    async with fake_discord.serve(), fake_discord.run_client(bot, allow_errors=True):
        synced = fake_discord.commands.syncs[-1].names
        assert synced.count("mining") == 1 and "plugins" in synced
        reply = await boss.slash("mining channel add", channel=rocks)
        assert "now counts as a mining channel" in reply.text
        listed = await boss.slash("plugins list")
        assert "raiser" not in listed.text and "slashclash" not in listed.text
        await boss.join(rocks)
    assert raiser.HEARD == []
    assert {p.name: p.reason for p in rogue.problems} == {
        "raiser": "its redlegion_app_commands hook failed: "
        "RuntimeError('raiser cannot build its commands')",
        "slashclash": "slash command /mining is already taken by plugin 'mining'",
    }
    assert "raiser" not in rogue.names and "mining" in rogue.names


# -- the CLI, as an operator runs it -----------------------------------------------------------


def test_plugins_list_shows_left_out_plugins_and_exits_1(tmp_path: Path):
    result = redlegion("plugins", "list", cwd=tmp_path, extra_path=[ROGUE])
    assert result.returncode == 1, result.stdout + result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert "enabled" in lines["mining"] and "enabled" in lines["loans"]
    assert (
        "left out (CLI subcommand 'mining' is already taken by plugin 'mining')"
        in (lines["cliclash"])
    )
    assert "left out (its redlegion_app_commands hook failed: RuntimeError(" in lines["raiser"]
    assert (
        "left out (slash command /mining is already taken by plugin 'mining')"
        in (lines["slashclash"])
    )
    assert "plugin 'raiser' (entry point raiser (redlegion-rogue)) left out" in result.stderr


def test_config_check_names_left_out_plugins_and_exits_1(tmp_path: Path):
    result = redlegion("config", "check", cwd=tmp_path, extra_path=[ROGUE])
    assert result.returncode == 1, result.stdout + result.stderr
    assert "plugins: economy, mining, loans\n" in result.stdout
    for name in ("raiser", "slashclash", "cliclash"):
        assert f"error: plugin '{name}' (entry point {name} (redlegion-rogue)) left out" in (
            result.stdout
        )
    clean = redlegion("config", "check", cwd=tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "error:" not in clean.stdout and "PyNaCl" not in clean.stderr


def test_a_cli_clash_breaks_no_other_command(tmp_path: Path, empty_db_url: str):
    up = redlegion(
        "db", "upgrade", "--database-url", empty_db_url, cwd=tmp_path, extra_path=[ROGUE]
    )
    assert up.returncode == 0, up.stderr
    assert "applying mining.0001_initial" in up.stdout
    mining = redlegion("mining", "--help", cwd=tmp_path, extra_path=[ROGUE])
    assert mining.returncode == 0, mining.stderr
    assert "report" in mining.stdout  # the built-in's subcommand, not the rogue's
    half_added = redlegion("rogue-ok", cwd=tmp_path, extra_path=[ROGUE])
    assert half_added.returncode == 2
    assert "invalid choice: 'rogue-ok'" in half_added.stderr
