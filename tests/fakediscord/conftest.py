"""A plain discord.py client with a command tree, run against the stand-in."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest
import pytest_asyncio
from discord import app_commands

from fakediscord import Channel, FakeDiscord, Guild, Member, Role


@dataclass
class Scene:
    """The world the tests share: one guild, voice channels incl. AFK, an officer and a recruit."""

    world: FakeDiscord
    guild: Guild
    alpha: Channel
    beta: Channel
    afk: Channel
    officer: Role
    ace: Member
    rookie: Member


@dataclass
class RecordingBot:
    client: discord.Client
    tree: app_commands.CommandTree
    events: list[tuple[Any, ...]] = field(default_factory=list)


def build_scene(world: FakeDiscord) -> Scene:
    guild = world.guild("Red Legion")
    officer = guild.role("Officer", permissions=discord.Permissions(manage_guild=True))
    return Scene(
        world=world,
        guild=guild,
        alpha=guild.voice("Alpha"),
        beta=guild.voice("Beta"),
        afk=guild.voice("AFK", afk=True),
        officer=officer,
        ace=guild.member("Ace", roles=[officer]),
        rookie=guild.member("Rookie"),
    )


def build_bot(*, intents: discord.Intents | None = None) -> RecordingBot:
    """A client whose handlers record what they saw, slowly (a short sleep) so that a stand-in
    that did not wait for the handler would be caught."""
    if intents is None:
        intents = discord.Intents.default()
        intents.members = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.05)
    tree = app_commands.CommandTree(client)
    bot = RecordingBot(client, tree)

    @client.event
    async def on_voice_state_update(
        member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        before_name = before.channel.name if before.channel else None
        after_name = after.channel.name if after.channel else None  # read before yielding
        await asyncio.sleep(0.01)
        bot.events.append(("voice", member.name, before_name, after_name))

    @client.event
    async def on_member_join(member: discord.Member) -> None:
        await asyncio.sleep(0.01)
        bot.events.append(("join", member.name))

    @client.event
    async def on_member_update(before: discord.Member, after: discord.Member) -> None:
        await asyncio.sleep(0.01)
        bot.events.append(("update", after.name, after.nick, sorted(r.name for r in after.roles)))

    @client.event
    async def on_member_remove(member: discord.Member) -> None:
        bot.events.append(("remove", member.name))

    @client.event
    async def on_guild_role_create(role: discord.Role) -> None:
        bot.events.append(("role+", role.name, role.permissions.administrator))

    @client.event
    async def on_guild_role_update(before: discord.Role, after: discord.Role) -> None:
        bot.events.append(("role~", before.name, after.name))

    @client.event
    async def on_guild_role_delete(role: discord.Role) -> None:
        bot.events.append(("role-", role.name))

    add_commands(bot)
    return bot


MATERIALS = ["Quantanium", "Quartz", "Laranite", "Agricium"]


def add_commands(bot: RecordingBot) -> None:
    tree = bot.tree
    mining = app_commands.Group(name="mining", description="Mining operations")
    event = app_commands.Group(name="event", description="Mining events", parent=mining)

    @event.command(name="start", description="Open a mining event")
    async def start(
        interaction: discord.Interaction,
        name: str,
        crew: app_commands.Range[int, 1, 50] = 1,
        share: float = 1.0,
        announce: bool = False,
        lead: discord.Member | None = None,
        channel: discord.VoiceChannel | None = None,
        role: discord.Role | None = None,
    ) -> None:
        parts = [f"started {name}", f"crew={crew}", f"share={share}", f"announce={announce}"]
        if lead is not None:
            parts.append(f"lead={lead.display_name}")
        if channel is not None:
            parts.append(f"channel={channel.name}")
        if role is not None:
            parts.append(f"role={role.name}")
        parts.append(f"by={interaction.user.display_name}")
        at = interaction.created_at.isoformat()
        await interaction.response.send_message(" ".join(parts) + f" at={at}", ephemeral=True)

    @mining.command(name="status", description="Public status with an embed")
    async def status(interaction: discord.Interaction) -> None:
        embed = discord.Embed(title="Mining status", description="All quiet")
        embed.add_field(name="Active events", value="0")
        await interaction.response.send_message("status", embed=embed)

    @tree.command(name="report", description="Deferred, then a PDF as a follow-up")
    async def report(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        await asyncio.sleep(0.01)
        pdf = discord.File(io.BytesIO(b"%PDF-1.4 fake"), filename="report.pdf")
        await interaction.followup.send("Your report", file=pdf)

    @tree.command(name="slow", description="Deferred, then the original response edited")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="done after all")
        await interaction.followup.send("and one more thing", ephemeral=True)

    @tree.command(name="upload", description="Reads an attached file")
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        await interaction.response.send_message(f"{file.filename}: {data.decode()}")

    @tree.command(name="boom", description="Raises")
    async def boom(interaction: discord.Interaction) -> None:
        raise RuntimeError("kaboom")

    @tree.command(name="silent", description="Never answers")
    async def silent(interaction: discord.Interaction) -> None:
        return None

    @tree.command(name="admin", description="Officers only")
    @app_commands.default_permissions(manage_guild=True)
    async def admin(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("yes, officer")

    @tree.command(name="kind", description="Pick from choices")
    @app_commands.choices(
        what=[
            app_commands.Choice(name="Ore", value="ore"),
            app_commands.Choice(name="Gem", value="gem"),
        ]
    )
    async def kind(interaction: discord.Interaction, what: app_commands.Choice[str]) -> None:
        await interaction.response.send_message(f"picked {what.name}")

    @tree.command(name="confirm", description="A button to press")
    async def confirm(interaction: discord.Interaction) -> None:
        view = discord.ui.View()
        button: discord.ui.Button[discord.ui.View] = discord.ui.Button(
            label="Pay out", custom_id="payout"
        )

        async def pressed(press: discord.Interaction) -> None:
            await asyncio.sleep(0.01)  # e.g. the database, before answering
            await press.response.edit_message(content="Paid out", view=None)

        button.callback = pressed  # type: ignore[method-assign]
        view.add_item(button)
        await interaction.response.send_message("Pay out now?", view=view)

    @tree.command(name="tally", description="A button that answers, then keeps working")
    async def tally(interaction: discord.Interaction) -> None:
        view = discord.ui.View()
        count: discord.ui.Button[discord.ui.View] = discord.ui.Button(
            label="Count", custom_id="count"
        )
        broken: discord.ui.Button[discord.ui.View] = discord.ui.Button(
            label="Break", custom_id="break"
        )

        async def counted(press: discord.Interaction) -> None:
            await press.response.send_message("counting", ephemeral=True)
            await asyncio.sleep(0.01)
            await press.followup.send("counted 3", ephemeral=True)

        async def breaks(press: discord.Interaction) -> None:
            await asyncio.sleep(0.01)
            raise RuntimeError("the button broke")

        redo: discord.ui.Button[discord.ui.View] = discord.ui.Button(label="Redo", custom_id="redo")

        async def redone(press: discord.Interaction) -> None:
            await press.response.edit_message(content="tallying")
            await press.edit_original_response(content="tallied")  # the message it sits on

        count.callback = counted  # type: ignore[method-assign]
        broken.callback = breaks  # type: ignore[method-assign]
        redo.callback = redone  # type: ignore[method-assign]
        view.add_item(count)
        view.add_item(broken)
        view.add_item(redo)
        await interaction.response.send_message("Tally?", view=view)

    @tree.command(name="pick", description="A select menu")
    async def pick(interaction: discord.Interaction) -> None:
        view = discord.ui.View()
        select: discord.ui.Select[discord.ui.View] = discord.ui.Select(
            custom_id="ore", options=[discord.SelectOption(label=m) for m in MATERIALS]
        )

        async def chosen(choice: discord.Interaction) -> None:
            await asyncio.sleep(0.01)
            await choice.response.send_message(f"you picked {', '.join(select.values)}")

        select.callback = chosen  # type: ignore[method-assign]
        view.add_item(select)
        await interaction.response.send_message("Which ore?", view=view)

    class Feedback(discord.ui.Modal, title="Op feedback"):
        rating: discord.ui.TextInput[discord.ui.Modal] = discord.ui.TextInput(
            label="Rating", custom_id="rating"
        )
        notes: discord.ui.TextInput[discord.ui.Modal] = discord.ui.TextInput(
            label="Notes", custom_id="notes", required=False
        )

        async def on_submit(self, interaction: discord.Interaction) -> None:
            await asyncio.sleep(0.01)
            await interaction.response.send_message(
                f"rated {self.rating.value}; notes: {self.notes.value or '-'}", ephemeral=True
            )

    @tree.command(name="feedback", description="Opens a modal")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    @tree.command(name="sleepy", description="Answers late without deferring")
    async def sleepy(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.2)
        await interaction.response.send_message("finally")

    price = app_commands.Group(name="price", description="Prices")

    @price.command(name="check", description="Price of a material")
    async def check(interaction: discord.Interaction, material: str) -> None:
        await interaction.response.send_message(f"{material}: 1 aUEC")

    @check.autocomplete("material")
    async def material_names(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=m, value=m)
            for m in MATERIALS
            if m.lower().startswith(current.lower())
        ]

    tree.add_command(mining)
    tree.add_command(price)


@pytest.fixture
def scene(fake_discord: FakeDiscord) -> Scene:
    return build_scene(fake_discord)


@pytest_asyncio.fixture
async def bot(scene: Scene) -> AsyncIterator[RecordingBot]:
    """The test bot, connected and ready, its commands synced globally."""
    test_bot = build_bot()
    async with scene.world.serve(), scene.world.run_client(test_bot.client):
        await test_bot.tree.sync()
        yield test_bot
