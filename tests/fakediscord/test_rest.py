"""REST calls a bot makes outside interactions, and what happens on a route the stand-in lacks."""

from __future__ import annotations

import io
import logging

import aiohttp
import discord
import pytest
from discord.http import Route

from tests.fakediscord.conftest import RecordingBot, Scene


async def test_unknown_route_is_404_with_discords_shape_and_a_warning(
    scene: Scene, bot: RecordingBot, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="fakediscord"),
        pytest.raises(discord.NotFound) as err,
    ):
        await bot.client.http.request(
            Route("GET", "/guilds/{guild_id}/bans", guild_id=scene.guild.id)
        )
    assert err.value.status == 404 and err.value.code == 0
    assert err.value.text == "404: Not Found"
    assert any(
        r.levelno == logging.WARNING
        and f"GET /api/v10/guilds/{scene.guild.id}/bans" in r.getMessage()
        for r in caplog.records
    )
    assert scene.world.unknown_routes == [("GET", f"/api/v10/guilds/{scene.guild.id}/bans")]


async def test_json_is_served_as_exactly_application_json_and_needs_the_token(
    scene: Scene, bot: RecordingBot
) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{scene.world.api_base}/users/@me"
        async with http.get(url, headers={"Authorization": f"Bot {scene.world.token}"}) as response:
            assert response.headers["Content-Type"] == "application/json"
            assert (await response.json())["id"] == str(scene.world.bot_user.id)
        async with http.get(url) as response:
            assert response.status == 401
            assert await response.json() == {"message": "401: Unauthorized", "code": 0}


async def test_channel_message_with_embed_and_files(scene: Scene, bot: RecordingBot) -> None:
    channel = bot.client.get_channel(scene.guild.default_channel.id)
    assert isinstance(channel, discord.TextChannel)
    files = [
        discord.File(io.BytesIO(b"a,b\n1,2\n"), filename="payouts.csv"),
        discord.File(io.BytesIO(b"%PDF"), filename="op.pdf", description="The report"),
    ]
    sent = await channel.send("Payroll done", embed=discord.Embed(title="Sunday op"), files=files)
    [message] = scene.guild.default_channel.messages
    assert message.id == sent.id
    assert (message.content, message.embeds[0]["title"]) == ("Payroll done", "Sunday op")
    assert [(f.name, f.data) for f in message.files] == [
        ("payouts.csv", b"a,b\n1,2\n"),
        ("op.pdf", b"%PDF"),
    ]
    assert message.attachments[1].description == "The report"
    # The bot can read back what it sent, files included.
    assert [a.filename for a in sent.attachments] == ["payouts.csv", "op.pdf"]
    assert await sent.attachments[0].read() == b"a,b\n1,2\n"

    edited = await sent.edit(content="Payroll done (corrected)", attachments=[sent.attachments[1]])
    assert message.content == "Payroll done (corrected)" and message.edited_at is not None
    assert [f.name for f in message.files] == ["op.pdf"]
    assert [m.content async for m in channel.history()] == ["Payroll done (corrected)"]
    await edited.delete()
    assert scene.guild.default_channel.messages == []


async def test_direct_message_to_a_member(scene: Scene, bot: RecordingBot) -> None:
    user = await bot.client.fetch_user(scene.rookie.id)
    await user.send("Your loan is due")
    assert [m.content for m in scene.rookie.dms] == ["Your loan is due"]


async def test_member_roles_changed_by_the_bot(scene: Scene, bot: RecordingBot) -> None:
    guild = bot.client.get_guild(scene.guild.id)
    assert guild is not None
    member = guild.get_member(scene.rookie.id)
    role = guild.get_role(scene.officer.id)
    assert member is not None and role is not None
    await member.add_roles(role)
    assert scene.rookie.roles == [scene.officer]
    await member.remove_roles(role)
    assert scene.rookie.roles == []
    fetched = await guild.fetch_member(scene.ace.id)
    assert [r.name for r in fetched.roles[1:]] == ["Officer"]


async def test_a_rejected_body_is_a_400(scene: Scene, bot: RecordingBot) -> None:
    channel = bot.client.get_channel(scene.guild.default_channel.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as err:
        await channel.send("x" * 2001)
    assert (err.value.status, err.value.code) == (400, 50035)
