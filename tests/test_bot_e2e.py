"""The real bot through the local Discord stand-in, with a third-party plugin installed.

Scenarios from an admin's point of view: the plugin migrates and loads, answers its command,
is off in one guild and on in another, hears voice only where it is on, and the central
permission check refuses without changing anything.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest

from core.config import Settings
from core.models import Guild as GuildRow
from core.plugins import PluginManager
from core.standin import running_bot
from fakediscord import Channel, FakeDiscord, Guild, Member
from storage import Database, migrations
from tests.support import NO_UEX_SYNC, make_settings

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Org:
    world: FakeDiscord
    on: Guild  # hello on
    off: Guild  # hello off by config
    alpha_on: Channel
    alpha_off: Channel
    boss_on: Member
    boss_off: Member
    pilot_on: Member
    pilot_off: Member


def build_org(world: FakeDiscord) -> Org:
    on, off = world.guild("Red Legion"), world.guild("Blue Fleet")
    admin = discord.Permissions(manage_guild=True)
    return Org(
        world=world,
        on=on,
        off=off,
        alpha_on=on.voice("Alpha"),
        alpha_off=off.voice("Alpha"),
        boss_on=on.member("Boss", roles=[on.role("Leaders", permissions=admin)]),
        boss_off=off.member("Boss", roles=[off.role("Leaders", permissions=admin)]),
        pilot_on=on.member("Pilot"),
        pilot_off=off.member("Pilot"),
    )


@pytest.fixture
def hello_plugins(monkeypatch: pytest.MonkeyPatch, thirdparty_path: str) -> PluginManager:
    """Only the third-party plugin, found through its entry point like an installed package."""
    monkeypatch.syspath_prepend(thirdparty_path)
    from redlegion_hello import plugin as hello

    hello.HEARD.clear()
    return PluginManager(builtins=())


@pytest.fixture
async def hello_db(empty_db_url: str, hello_plugins: PluginManager) -> AsyncIterator[Database]:
    async with Database(empty_db_url, hello_plugins.specs()) as db:
        assert await migrations.upgrade(db) == 6  # core 0001 to 0004, hello 0001 and 0002
        yield db


def org_settings(org: Org, plugins: PluginManager) -> Settings:
    return make_settings({"guilds": {str(org.off.id): {"plugins": {"hello": False}}}}, plugins)


async def test_third_party_plugin_end_to_end(
    fake_discord: FakeDiscord, hello_plugins: PluginManager, hello_db: Database
):
    from redlegion_hello import plugin as hello
    from redlegion_hello.models import Greeting

    org = build_org(fake_discord)
    settings = org_settings(org, hello_plugins)
    async with fake_discord.serve(), running_bot(fake_discord, settings, hello_plugins):
        synced = fake_discord.commands.syncs[-1].names
        assert {"hello", "plugins", "roles"} <= set(synced)

        listed = await org.pilot_off.slash("plugins list")
        assert "off  hello (config [guilds." in listed.text

        reply = await org.pilot_on.slash("hello say", text="o7")
        assert reply.content == "Hello, o7! (1 greetings here)"
        assert not reply.ephemeral

        refused = await org.pilot_off.slash("hello say", text="o7")
        assert refused.ephemeral
        assert refused.content == "The hello plugin is turned off in this server."
        assert await Greeting.filter(guild_id=org.off.id).count() == 0

        await org.pilot_on.join(org.alpha_on)
        await org.pilot_off.join(org.alpha_off)
        assert [(org.on.id, org.pilot_on.id)] == hello.HEARD


async def test_a_plugin_reads_its_guild_setting_and_its_background_work_stops_on_close(
    fake_discord: FakeDiscord, hello_plugins: PluginManager, hello_db: Database
):
    """The plugin's own context: its typed setting with the guild's override, a task it
    spawned that starts after ready and is cancelled when the bot closes, and no service
    of a plugin it did not declare in `depends`."""
    from redlegion_hello import plugin as hello

    hello.WAVES.clear()
    hello.GREETED.clear()
    org = build_org(fake_discord)
    settings = make_settings(
        {"hello": {"greeting": "Hi"}, "guilds": {str(org.on.id): {"hello": {"greeting": "Ahoy"}}}},
        hello_plugins,
    )
    async with fake_discord.serve(), running_bot(fake_discord, settings, hello_plugins) as bot:
        reply = await org.pilot_on.slash("hello say", text="o7")
        assert reply.content == "Ahoy, o7! (1 greetings here)"
        ctx = bot.context("hello")
        assert ctx.settings().greeting == "Hi" and ctx.settings(org.on.id).greeting == "Ahoy"
        assert await ctx.is_enabled(org.on.id)
        assert "hello-wave" in bot.jobs.running() and hello.WAVES == ["ready"]
        await org.pilot_on.join(org.alpha_on)  # an event hook gets the plugin's context too
        assert hello.GREETED == ["Ahoy"]
        with pytest.raises(LookupError, match="'hello' does not depend on 'economy'"):
            ctx.service("economy")
    assert hello.WAVES == ["ready", "stopped"], "the spawned task is cancelled on close"
    assert bot.jobs.running() == []


async def test_admin_switches_a_plugin_at_runtime(
    fake_discord: FakeDiscord, hello_plugins: PluginManager, hello_db: Database
):
    from redlegion_hello import plugin as hello

    org = build_org(fake_discord)
    settings = org_settings(org, hello_plugins)
    async with fake_discord.serve(), running_bot(fake_discord, settings, hello_plugins):
        denied = await org.pilot_on.slash("plugins disable", plugin="hello")
        assert denied.ephemeral
        assert "/plugins disable needs the admin level; you have member" in denied.content
        assert (await GuildRow.get(id=org.on.id)).settings == {}

        done = await org.boss_on.slash("plugins disable", plugin="hello")
        assert done.content == "The hello plugin is now off in this server."
        refused = await org.pilot_on.slash("hello say", text="still here?")
        assert "turned off" in refused.content
        await org.pilot_on.join(org.alpha_on)
        assert hello.HEARD == []

        await org.boss_off.slash("plugins enable", plugin="hello")
        reply = await org.pilot_off.slash("hello say", text="now on")
        assert reply.content == "Hello, now on! (1 greetings here)"

        unknown = await org.boss_on.slash("plugins enable", plugin="lones")
        assert unknown.ephemeral and "no plugin named 'lones'" in unknown.content


async def test_unexpected_error_is_logged_with_an_id_the_member_sees(
    fake_discord: FakeDiscord, hello_plugins: PluginManager, hello_db: Database, caplog
):
    from redlegion_hello.models import Greeting

    org = build_org(fake_discord)
    settings = org_settings(org, hello_plugins)
    async with fake_discord.serve(), running_bot(fake_discord, settings, hello_plugins):
        await Greeting.all().delete()
        original = Greeting.create

        async def broken(**kwargs: object) -> None:
            raise RuntimeError("disk on fire")

        Greeting.create = broken  # type: ignore[method-assign,assignment]
        try:
            reply = await org.pilot_on.slash("hello say", text="x", allow_errors=True)
        finally:
            Greeting.create = original  # type: ignore[method-assign]
        assert reply.ephemeral
        assert "Something went wrong on our side (error id `" in reply.content
        error_id = reply.content.split("`")[1]
        assert any(error_id in r.getMessage() for r in caplog.records)
        assert "disk on fire" not in reply.content


def snapshot_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_killed_bot_reconciles_current_voice_on_restart(
    fake_discord: FakeDiscord, empty_db_url: str, thirdparty_path: str, tmp_path: Path
):
    """SIGKILL the real `redlegion run`, change voice while it is down, start it again: the
    reconciliation hook sees who is in voice now."""
    org = build_org(fake_discord)
    snapshots = tmp_path / "snapshots.jsonl"
    env = {
        **os.environ,
        "DATABASE_URL": empty_db_url,
        "PYTHONPATH": os.pathsep.join([thirdparty_path, str(REPO)]),
        "HELLO_SNAPSHOT_FILE": str(snapshots),
        "REDLEGION_DISCORD_GUILD_READY_TIMEOUT": "0.05",
        "REDLEGION_CONFIG": str(tmp_path / "config.toml"),
    }
    (tmp_path / "config.toml").write_text(
        NO_UEX_SYNC + f'[guilds."{org.off.id}"]\nplugins = {{ hello = false }}\n'
    )

    log = tmp_path / "bot.log"

    async def start() -> asyncio.subprocess.Process:
        with log.open("ab") as out:
            return await asyncio.create_subprocess_exec(
                sys.executable, "-m", "core.cli", "run", env=env, cwd=tmp_path,
                stdout=out, stderr=out,
            )  # fmt: skip

    async def read_snapshots(count: int) -> list[dict]:
        for _ in range(300):
            lines = await asyncio.to_thread(snapshot_lines, snapshots)
            if len(lines) >= count:
                return lines
            await asyncio.sleep(0.05)
        raise AssertionError(f"no reconciliation #{count}; bot log:\n{log.read_text()[-3000:]}")

    def kill(process: asyncio.subprocess.Process) -> None:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)

    async with fake_discord.serve(patch_discord=False):
        env.update(fake_discord.environ())
        await org.pilot_on.join(org.alpha_on)
        first = await start()
        try:
            seen = await read_snapshots(1)
            assert seen == [
                {"guild": org.on.id, "in_voice": {str(org.pilot_on.id): org.alpha_on.id}}
            ]
        finally:
            kill(first)
            await first.wait()

        beta = org.on.voice("Beta")
        await org.pilot_on.move(beta)
        await org.boss_on.join(org.alpha_on)

        second = await start()
        try:
            seen = await read_snapshots(2)
            assert seen[1] == {
                "guild": org.on.id,
                "in_voice": {str(org.pilot_on.id): beta.id, str(org.boss_on.id): org.alpha_on.id},
            }
        finally:
            kill(second)
            await second.wait()
    assert fake_discord.gateway.identified == 2


async def test_guild_joined_while_running_keeps_members_in_step(
    fake_discord: FakeDiscord, hello_plugins: PluginManager, hello_db: Database
):
    """A guild the bot joins while running gets its row before any member event needs it."""
    from core.models import GuildMembership

    org = build_org(fake_discord)
    settings = org_settings(org, hello_plugins)
    async with fake_discord.serve(), running_bot(fake_discord, settings, hello_plugins):
        late = fake_discord.guild("Late Guild")
        newbie = await late.add_member("Newbie")
        assert await GuildRow.filter(id=late.id, name="Late Guild").exists()
        assert await GuildMembership.filter(guild_id=late.id, user_id=newbie.id).exists()
        await newbie.leave_guild()
        left = await GuildMembership.get(guild_id=late.id, user_id=newbie.id)
        assert left.is_active is False
