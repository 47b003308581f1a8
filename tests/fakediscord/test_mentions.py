"""Who a message pings, as Discord decides it: content, allowed_mentions, role and permissions.

A plain discord.py client with no default allowed_mentions sends the messages, so these tests
may ping on purpose (`pings_allowed`).
"""

from __future__ import annotations

import discord
import pytest

from fakediscord import FakeDiscord
from fakediscord.errors import ApiError
from fakediscord.mentions import Pings
from tests.fakediscord.conftest import RecordingBot, Scene

pytestmark = pytest.mark.pings_allowed


async def send(bot: RecordingBot, scene: Scene, content: str, **kwargs: object):
    channel = bot.client.get_channel(scene.guild.default_channel.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send(content, **kwargs)  # type: ignore[arg-type]
    message = scene.world.find_message(sent.id)
    assert message is not None
    return message


async def test_without_allowed_mentions_everything_named_is_pinged(bot: RecordingBot, scene: Scene):
    miners = scene.guild.role("Miners", mentionable=True)
    message = await send(bot, scene, f"@everyone <@{scene.rookie.id}> <@&{miners.id}>")
    assert message.pings == Pings(True, frozenset({scene.rookie.id}), frozenset({miners.id}))
    assert message.stray_pings == message.pings
    assert message.pinged == {scene.ace.id, scene.rookie.id}  # everyone but the bot
    assert (await send(bot, scene, f"hi <@!{scene.ace.id}> @here")).pinged == message.pinged


async def test_allowed_mentions_limit_who_is_pinged(bot: RecordingBot, scene: Scene):
    miners = scene.guild.role("Miners", mentionable=True)
    scene.rookie.roles.append(miners)
    text = f"@everyone <@{scene.rookie.id}> <@{scene.ace.id}> <@&{miners.id}>"
    quiet = await send(bot, scene, text, allowed_mentions=discord.AllowedMentions.none())
    assert not quiet.pings and not quiet.pinged and not quiet.stray_pings
    one = discord.AllowedMentions.none()
    one.users = [discord.Object(id=scene.rookie.id)]
    named = await send(bot, scene, text, allowed_mentions=one)
    assert named.pings == Pings(users=frozenset({scene.rookie.id}))
    assert named.pinged == {scene.rookie.id} and not named.stray_pings
    users = discord.AllowedMentions(everyone=False, roles=False, users=True)
    parsed = await send(bot, scene, text, allowed_mentions=users)
    assert parsed.pinged == {scene.rookie.id, scene.ace.id}
    assert parsed.stray_pings == parsed.pings  # parsed, not named by id
    roles = discord.AllowedMentions(everyone=False, roles=True, users=False)
    by_role = await send(bot, scene, text, allowed_mentions=roles)
    assert by_role.pings == Pings(roles=frozenset({miners.id})) and by_role.pinged == {
        scene.rookie.id
    }


async def test_a_role_or_everyone_needs_permission_or_a_mentionable_role(
    bot: RecordingBot, scene: Scene
):
    staff = scene.guild.role("Staff")  # not mentionable
    miners = scene.guild.role("Miners", mentionable=True)
    scene.guild.me.roles.clear()  # the bot loses Administrator, so Mention Everyone
    message = await send(bot, scene, f"@everyone <@&{staff.id}> <@&{miners.id}>")
    assert message.pings == Pings(roles=frozenset({miners.id}))


async def test_ephemeral_replies_embeds_and_dms_ping_nobody(bot: RecordingBot, scene: Scene):
    @bot.tree.command(name="shout", description="says it to one")
    async def shout(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("@everyone", ephemeral=True)
        await interaction.followup.send(embed=discord.Embed(description="@everyone"))

    await bot.tree.sync()
    reply = await scene.ace.slash("shout")
    assert [m.pings for m in reply.messages] == [Pings(), Pings()]
    user = await bot.client.fetch_user(scene.rookie.id)
    dm = await user.send(f"@everyone <@{scene.rookie.id}>")
    assert scene.world.find_message(dm.id).pings == Pings()  # type: ignore[union-attr]


async def test_a_kind_both_parsed_and_listed_is_refused(bot: RecordingBot, scene: Scene):
    channel = bot.client.get_channel(scene.guild.default_channel.id)
    assert isinstance(channel, discord.TextChannel)
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel.id)
    body = {"content": "hi", "allowed_mentions": {"parse": ["users"], "users": ["1"]}}
    with pytest.raises(discord.HTTPException) as refused:
        await bot.client.http.request(route, json=body)
    assert refused.value.code == 50035 and "both parsed and listed" in str(refused.value)


def test_stray_pings_lists_what_a_bot_should_never_send(fake_discord: FakeDiscord):
    guild = fake_discord.guild("Red Legion")
    member = guild.member("Ace")
    channel = guild.text("general")
    quiet = fake_discord.create_message(
        channel, {"content": f"<@{member.id}>", "allowed_mentions": {"users": [str(member.id)]}}, []
    )
    loud = fake_discord.create_message(channel, {"content": f"<@{member.id}>"}, [])
    assert quiet.pinged == loud.pinged == {member.id}
    assert fake_discord.stray_pings() == [loud]
    with pytest.raises(ApiError):
        fake_discord.create_message(
            channel, {"content": "x", "allowed_mentions": {"parse": ["nobody"]}}, []
        )
