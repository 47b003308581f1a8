"""Gateway events reach the bot's handlers, in order, and each call waits until they ran."""

from __future__ import annotations

import discord
import pytest

from fakediscord import FakeDiscord, FakeDiscordError
from fakediscord.errors import BotError
from tests.fakediscord.conftest import RecordingBot, Scene, build_bot, build_scene


async def test_join_move_leave_each_handled_before_the_next(
    scene: Scene, bot: RecordingBot
) -> None:
    ace = scene.ace
    await ace.join(scene.alpha)
    # The handler sleeps before recording: it is there only if join() waited for it.
    assert bot.events == [("voice", "Ace", None, "Alpha")]
    await ace.move(scene.beta)
    assert bot.events[-1] == ("voice", "Ace", "Alpha", "Beta")
    await ace.move(scene.afk)
    await ace.leave()
    assert bot.events == [
        ("voice", "Ace", None, "Alpha"),
        ("voice", "Ace", "Alpha", "Beta"),
        ("voice", "Ace", "Beta", "AFK"),
        ("voice", "Ace", "AFK", None),
    ]
    assert ace.voice is None


async def test_the_bot_sees_who_is_in_voice(scene: Scene, bot: RecordingBot) -> None:
    await scene.ace.join(scene.alpha)
    await scene.rookie.join(scene.alpha)
    channel = bot.client.get_channel(scene.alpha.id)
    assert isinstance(channel, discord.VoiceChannel)
    assert sorted(m.name for m in channel.members) == ["Ace", "Rookie"]
    assert [m.name for m in scene.alpha.voice_members] == ["Ace", "Rookie"]


async def test_voice_misuse_is_refused(scene: Scene, bot: RecordingBot) -> None:
    with pytest.raises(FakeDiscordError, match="not in a voice channel"):
        await scene.ace.leave()
    with pytest.raises(FakeDiscordError, match="not a voice channel"):
        await scene.ace.join(scene.guild.default_channel)
    await scene.ace.join(scene.alpha)
    with pytest.raises(FakeDiscordError, match="use move"):
        await scene.ace.join(scene.beta)


async def test_member_add_update_remove(scene: Scene, bot: RecordingBot) -> None:
    newbie = await scene.guild.add_member("Newbie")
    assert bot.events == [("join", "Newbie")]
    assert bot.client.get_guild(scene.guild.id).get_member(newbie.id) is not None  # type: ignore[union-attr]

    await newbie.add_roles(scene.officer)
    assert bot.events[-1] == ("update", "Newbie", None, ["@everyone", "Officer"])
    await newbie.edit(nick="Nibbler")
    assert bot.events[-1] == ("update", "Newbie", "Nibbler", ["@everyone", "Officer"])

    await newbie.leave_guild()
    assert bot.events[-1] == ("remove", "Newbie")
    assert bot.client.get_guild(scene.guild.id).get_member(newbie.id) is None  # type: ignore[union-attr]


async def test_leaving_the_guild_from_voice_leaves_voice_first(
    scene: Scene, bot: RecordingBot
) -> None:
    await scene.rookie.join(scene.alpha)
    await scene.rookie.leave_guild()
    assert bot.events[-2:] == [("voice", "Rookie", "Alpha", None), ("remove", "Rookie")]


async def test_roles_created_changed_deleted(scene: Scene, bot: RecordingBot) -> None:
    quartermaster = await scene.guild.create_role(
        "Quartermaster", permissions=discord.Permissions(administrator=True)
    )
    assert bot.events[-1] == ("role+", "Quartermaster", True)
    await quartermaster.edit(name="Treasurer")
    assert bot.events[-1] == ("role~", "Quartermaster", "Treasurer")
    await scene.ace.add_roles(quartermaster)
    member = bot.client.get_guild(scene.guild.id).get_member(scene.ace.id)  # type: ignore[union-attr]
    assert member is not None and member.guild_permissions.administrator
    await quartermaster.delete()
    assert bot.events[-1] == ("role-", "Treasurer")
    assert not member.guild_permissions.administrator
    assert quartermaster not in scene.ace.roles


async def test_events_need_the_intent(fake_discord: FakeDiscord) -> None:
    scene = build_scene(fake_discord)
    test_bot = build_bot(intents=discord.Intents.default())  # no members intent
    async with fake_discord.serve(), fake_discord.run_client(test_bot.client):
        await scene.guild.add_member("Newbie")
        await scene.ace.join(scene.alpha)
    assert test_bot.events == [("voice", "Ace", None, "Alpha")]


async def test_privileged_intent_not_enabled_is_refused(fake_discord: FakeDiscord) -> None:
    build_scene(fake_discord)
    fake_discord.privileged_intents = 0
    test_bot = build_bot()  # asks for members
    async with fake_discord.serve():
        with pytest.raises(discord.PrivilegedIntentsRequired):
            async with fake_discord.run_client(test_bot.client):
                pass


async def test_a_failing_handler_fails_the_event(scene: Scene, bot: RecordingBot) -> None:
    @bot.client.event
    async def on_voice_state_update(*_: object) -> None:
        raise RuntimeError("voice handler broke")

    with pytest.raises(BotError, match="voice handler broke"):
        await scene.ace.join(scene.alpha)
