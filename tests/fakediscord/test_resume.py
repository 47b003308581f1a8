"""A dropped gateway connection: discord.py resumes and misses nothing."""

from __future__ import annotations

import asyncio

import pytest

from tests.fakediscord.conftest import RecordingBot, Scene


def count_resumes(bot: RecordingBot) -> list[str]:
    resumed: list[str] = []

    @bot.client.event
    async def on_resumed() -> None:
        resumed.append("resumed")

    return resumed


@pytest.mark.parametrize("abrupt", [False, True], ids=["close-4000", "tcp-reset"])
async def test_events_sent_while_disconnected_are_replayed_on_resume(
    scene: Scene, bot: RecordingBot, abrupt: bool
) -> None:
    resumed = count_resumes(bot)
    await scene.ace.join(scene.alpha)
    await scene.world.drop_connections(abrupt=abrupt)
    # Sent while the bot is away; each call returns once the bot has resumed and handled it.
    await scene.ace.move(scene.beta)
    await scene.rookie.join(scene.alpha)
    await scene.ace.leave()
    assert bot.events == [
        ("voice", "Ace", None, "Alpha"),
        ("voice", "Ace", "Alpha", "Beta"),
        ("voice", "Rookie", None, "Alpha"),
        ("voice", "Ace", "Beta", None),
    ]
    assert resumed == ["resumed"]
    assert scene.world.gateway.identified == 1  # resumed, not identified again
    reply = await scene.ace.slash("mining status")  # and interactions still flow
    assert reply.content == "status"


async def test_reconnect_request_resumes(scene: Scene, bot: RecordingBot) -> None:
    resumed = count_resumes(bot)
    scene.world.gateway.reconnect()
    await scene.ace.join(scene.alpha)
    assert bot.events == [("voice", "Ace", None, "Alpha")]
    for _ in range(100):
        if resumed:
            break
        await asyncio.sleep(0.01)
    assert resumed == ["resumed"]


async def test_an_invalidated_session_identifies_again_with_current_state(
    scene: Scene, bot: RecordingBot
) -> None:
    async def identify_at_once(shard_id: int | None, *, initial: bool = False) -> None:
        pass  # discord.py waits 5 s before identifying again; this public hook is its knob

    bot.client.before_identify_hook = identify_at_once  # type: ignore[method-assign]
    scene.world.gateway.invalidate()
    await scene.world.drop_connections()
    await scene.world.wait_for_identify(2)
    await scene.ace.join(scene.alpha)  # waits for the new session's handlers
    assert bot.events == [("voice", "Ace", None, "Alpha")]
