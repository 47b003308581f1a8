"""Nobody is pinged by accident: every command of the tree, fed names that are mentions.

Replies echo what members typed (event names, reasons, memos, nicknames). The bot sends every
message with `allowed_mentions` none, and a reply about a member names exactly that member
(`core.mentions.about`), so a text holding `@everyone`, a role or another member's mention pings
nobody. The walk runs each registered slash command twice, once with plausible values and
hostile free text, once with hostile text in every text option, after an op whose event and
member names are hostile; the stand-in decides who each message would ping, as Discord does.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import discord
import pytest

from core import confirm
from core.bot import RedLegionBot
from core.mentions import NOBODY, about
from core.plugins import PluginManager
from core.standin import running_bot
from fakediscord import Channel, FakeDiscord, File, Guild, Member, Role
from fakediscord.errors import NoResponse
from plugins.economy.models import Transaction
from plugins.loans.models import Loan
from plugins.mining.models import MiningEvent, MiningExpense, MiningYield
from storage import Database
from tests.support import make_settings

SUBCOMMAND, GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 10, 11
OMIT = object()


@dataclass
class Scene:
    world: FakeDiscord
    guild: Guild
    alpha: Channel
    boss: Member  # an admin: may run everything
    mallory: Member  # org member whose nickname is a row of mentions
    victim: Member  # named in hostile text, never what a command is about
    pingable: Role  # a mentionable role, named in hostile text
    bot: RedLegionBot

    @property
    def hostile(self) -> str:
        return (
            f"@everyone @here <@&{self.pingable.id}> <@&{self.guild.id}> "
            f"<@{self.victim.id}> <@!{self.victim.id}>"
        )


@pytest.fixture
async def scene(fake_discord: FakeDiscord, db: Database) -> AsyncIterator[Scene]:
    world = fake_discord
    guild = world.guild("Red Legion")
    admins = guild.role("Leaders", permissions=discord.Permissions(manage_guild=True))
    pingable = guild.role("Pingable", mentionable=True)
    victim = guild.member("Victim", roles=[pingable])
    boss = guild.member("Boss", roles=[admins, pingable])
    mallory = guild.member("Mallory", roles=[pingable])
    mallory.nick = f"@everyone <@&{pingable.id}> <@{victim.id}>"
    alpha = guild.voice("Alpha")
    settings = make_settings(
        {
            "loans": {"check_interval_minutes": 0},
            "guilds": {str(guild.id): {"loans": {"max_open_loans": 5, "min_term_days": 1}}},
        }
    )
    plugins = PluginManager(entry_point_group=None)
    async with world.serve(), running_bot(world, settings, plugins) as bot:
        yield Scene(world, guild, alpha, boss, mallory, victim, pingable, bot)


def leaves(commands: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(qualified name, options) of every slash command Discord holds, subcommands included."""
    found = []

    def walk(prefix: str, node: dict[str, Any]) -> None:
        subs = [o for o in node.get("options", []) if o["type"] in (SUBCOMMAND, GROUP)]
        if not subs:
            found.append((prefix, node.get("options", [])))
        for sub in subs:
            walk(f"{prefix} {sub['name']}", sub)

    for command in commands:
        walk(command["name"], command)
    return found


async def latest_id(model: Any, scene: Scene, **where: Any) -> int:
    row = await model.filter(**where).order_by("-id").first()
    return row.id if row is not None else 1


def plausible(scene: Scene, event_id: int) -> dict[str, Callable[[], Any]]:
    """Values that let a command get past its checks, by option name (awaited when needed)."""
    guild = scene.guild.id
    return {
        "material": lambda: "Gold",
        "scu": lambda: "10",
        "price": lambda: "100",
        "price_per_scu": lambda: "100",
        "amount": lambda: "100",
        "value": lambda: "1000",
        "rate": lambda: "5%",
        "total": lambda: OMIT,
        "when": lambda: OMIT,
        "start": lambda: OMIT,
        "end": lambda: OMIT,
        "minutes": lambda: 30,
        "term_days": lambda: 30,
        "event": lambda: event_id,
        "line": lambda: latest_id(MiningYield, scene, event_id=event_id),
        "expense": lambda: latest_id(MiningExpense, scene, event_id=event_id),
        "transaction": lambda: latest_id(Transaction, scene, guild_id=guild),
        "id": lambda: latest_id(Loan, scene, guild_id=guild),
    }


def plausible_files(scene: Scene) -> dict[str, bytes]:
    return {
        "price import": b"name,price_sell\nGold,6400\n" + scene.hostile.encode() + b",1\n",
        "mining yield import": b"material,scu\nGold,1\n",
    }


async def option_value(
    scene: Scene,
    command: str,
    spec: dict[str, Any],
    known: dict[str, Callable[[], Any]],
    all_hostile: bool,
) -> Any:
    kind, name = spec["type"], spec["name"]
    if spec.get("choices"):
        return spec["choices"][0]["value"]
    if kind == STRING and (all_hostile or name not in known):
        return scene.hostile[: spec.get("max_length", 6000)]
    if kind == ATTACHMENT:
        if all_hostile:
            return File("hostile.csv", scene.hostile.encode())
        return File(f"{command.replace(' ', '_')}.csv", plausible_files(scene)[command])
    if kind == USER:
        return scene.mallory
    if kind == CHANNEL:
        return scene.alpha
    if kind == ROLE:
        return scene.pingable
    if kind == BOOLEAN:
        return True
    if name in known:
        value = known[name]()
        return await value if hasattr(value, "__await__") else value
    if kind in (INTEGER, NUMBER):
        return max(spec.get("min_value", 1), 1)
    return OMIT


async def run_every_command(scene: Scene, event_id: int, *, all_hostile: bool) -> set[str]:
    ran = set()
    known = plausible(scene, event_id)
    member_commands = {"loan request", "loan mine", "balance", "mining payroll donate"}
    for name, options in leaves(scene.world.commands.list(None)):
        values = {}
        for spec in options:
            value = await option_value(scene, name, spec, known, all_hostile)
            if value is not OMIT:
                values[spec["name"]] = value
        caller = scene.mallory if name in member_commands else scene.boss
        # a command the stand-in saw no answer to still sent nothing that could ping
        with contextlib.suppress(NoResponse):
            await caller.slash(name, values, allow_errors=True)
        ran.add(name)
    return ran


async def test_no_command_pings_anyone_its_text_names(scene: Scene):
    boss, mallory, world = scene.boss, scene.mallory, scene.world
    await boss.slash("mining channel add", channel=scene.alpha)
    created = await boss.slash("mining event create", name=scene.hostile[:100])
    event_id = (await MiningEvent.filter(guild_id=scene.guild.id).first()).id  # type: ignore[union-attr]
    assert "@everyone" in created.text
    await boss.slash("mining event start", event=event_id)
    await mallory.join(scene.alpha)
    world.clock.advance(minutes=60)
    await boss.slash("mining event stop", event=event_id)

    ran = await run_every_command(scene, event_id, all_hostile=False)
    ran |= await run_every_command(scene, event_id, all_hostile=True)

    registered = {name for name, _ in leaves(world.commands.list(None))}
    assert ran == registered and len(registered) > 40
    public = [m for m in world.messages if not m.ephemeral and not m.deleted]
    echoed = [m for m in public if "@everyone" in m.content or f"<@{scene.victim.id}>" in m.content]
    assert len(echoed) >= 8, [m.content for m in public]  # the walk did put mentions in replies
    assert world.stray_pings() == []
    for message in world.messages:
        assert scene.victim.id not in message.pinged, message.content
        assert not message.pings.everyone and not message.pings.roles, message.content
    # what was pinged, was pinged by name: the member a reply was about
    assert {u for m in world.messages for u in m.pinged} <= {mallory.id}
    assert any(mallory.id in m.pinged for m in world.messages)


async def test_a_reply_about_a_member_pings_exactly_them(scene: Scene):
    await scene.boss.slash("loan issue", member=scene.mallory, amount="100", reason=scene.hostile)
    [issued] = [m for m in scene.world.messages if "issued to" in m.content]
    assert issued.pinged == {scene.mallory.id} and not issued.stray_pings
    loan_id = await latest_id(Loan, scene, guild_id=scene.guild.id)
    asked = await scene.boss.slash("loan forgive", id=loan_id)
    assert asked.message is not None and asked.message.pinged == frozenset()  # only a question
    forgiven = await scene.boss.click(asked, confirm.CONFIRM_ID)
    [announced] = forgiven.followups
    assert "is forgiven" in announced.content and announced.pinged == {scene.mallory.id}
    assert asked.message.pinged == frozenset()  # an edit pings nobody either
    await scene.mallory.slash("loan request", amount="50", reason=scene.hostile)
    asked = await latest_id(Loan, scene, guild_id=scene.guild.id)
    rejected = await scene.boss.slash("loan reject", id=asked, reason=scene.hostile)
    assert "@everyone" in rejected.text and not rejected.ephemeral
    assert rejected.message is not None and rejected.message.pinged == {scene.mallory.id}
    assert scene.world.stray_pings() == []


def test_the_bot_mentions_nobody_unless_told():
    assert NOBODY.to_dict() == {"parse": []}
    assert about(3, None, 2, 3).to_dict() == {"parse": [], "users": [2, 3]}
    plugins = PluginManager(builtins=(), entry_point_group=None)
    bot = RedLegionBot(make_settings({}, plugins), plugins)
    assert bot.allowed_mentions is not None and bot.allowed_mentions.to_dict() == {"parse": []}
