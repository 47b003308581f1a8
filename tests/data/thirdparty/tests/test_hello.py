"""The example plugin's own tests: `pytest` in its folder, with redlegion-bot installed
(its pytest plugin gives `db` on both backends, `fake_discord` and `redlegion_bot`)."""

import pytest
from redlegion_hello.models import Greeting

from redlegion import Guild, User


async def test_a_greeting_is_stored(db):
    await Guild.create(id=1, name="Org")
    await User.create(id=2, username="pilot")
    await Greeting.create(guild_id=1, user_id=2, text="o7")
    assert await Greeting.filter(guild_id=1).count() == 1


@pytest.fixture
def pilot(fake_discord):
    return fake_discord.guild("Org").member("Pilot")


async def test_the_bot_answers_my_command(pilot, redlegion_bot):
    reply = await pilot.slash("hello say", text="o7")
    assert reply.content == "Hello, o7! (1 greetings here)"
    assert "hello" in redlegion_bot.plugins.names
