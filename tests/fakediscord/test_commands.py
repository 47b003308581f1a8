"""Slash commands through the stand-in: options, ephemeral, defer, files, autocomplete, errors."""

from __future__ import annotations

import discord
import pytest

from fakediscord import (
    BotError,
    CommandNotSynced,
    CommandUnavailable,
    FakeDiscordError,
    File,
    NoResponse,
)
from tests.fakediscord.conftest import RecordingBot, Scene


async def test_subcommand_group_with_typed_options(scene: Scene, bot: RecordingBot) -> None:
    reply = await scene.ace.slash(
        "mining event start",
        name="Sunday op",
        crew=12,
        share=0.5,
        announce=True,
        lead=scene.rookie,
        channel=scene.alpha,
        role=scene.officer,
    )
    assert reply.ephemeral
    assert reply.content is not None
    assert reply.content.startswith(
        "started Sunday op crew=12 share=0.5 announce=True"
        " lead=Rookie channel=Alpha role=Officer by=Ace"
    )
    assert f"at={scene.world.clock.now().isoformat()}" in reply.content


async def test_the_wire_shape_nests_group_and_subcommand(scene: Scene, bot: RecordingBot) -> None:
    seen: list[dict] = []

    @bot.client.event
    async def on_interaction(interaction: discord.Interaction) -> None:
        seen.append(dict(interaction.data or {}))

    await scene.ace.slash("mining event start", name="op")
    [data] = seen
    assert data["name"] == "mining"
    [group] = data["options"]
    assert (group["name"], group["type"]) == ("event", 2)
    [sub] = group["options"]
    assert (sub["name"], sub["type"]) == ("start", 1)
    assert sub["options"] == [{"name": "name", "type": 3, "value": "op"}]


async def test_public_reply_with_embed(scene: Scene, bot: RecordingBot) -> None:
    reply = await scene.rookie.slash("mining status")
    assert not reply.ephemeral
    assert reply.content == "status"
    assert reply.embeds[0]["title"] == "Mining status"
    assert "Active events" in reply.text and "All quiet" in reply.text
    assert scene.guild.default_channel.messages == [reply.message]


async def test_deferred_then_followup_carries_the_file(scene: Scene, bot: RecordingBot) -> None:
    reply = await scene.ace.slash("report")
    assert reply.deferred
    assert reply.content == "Your report"
    assert reply.ephemeral  # decided by the defer
    [pdf] = reply.files
    assert (pdf.name, pdf.data) == ("report.pdf", b"%PDF-1.4 fake")
    assert reply.followups == []  # the follow-up replaced the "thinking" message


async def test_deferred_then_edit_and_a_real_followup(scene: Scene, bot: RecordingBot) -> None:
    reply = await scene.ace.slash("slow")
    assert reply.content == "done after all"
    assert not reply.ephemeral
    [extra] = reply.followups
    assert extra.content == "and one more thing" and extra.ephemeral
    assert [m.content for m in reply.messages] == ["done after all", "and one more thing"]


async def test_member_uploads_a_file_the_bot_downloads(scene: Scene, bot: RecordingBot) -> None:
    reply = await scene.ace.slash("upload", file=File("yields.csv", b"quantanium,12"))
    assert reply.content == "yields.csv: quantanium,12"


async def test_autocomplete_returns_the_bots_choices(scene: Scene, bot: RecordingBot) -> None:
    choices = await scene.ace.autocomplete("price check", material="qua")
    assert [(c.name, c.value) for c in choices] == [
        ("Quantanium", "Quantanium"),
        ("Quartz", "Quartz"),
    ]
    assert await scene.ace.autocomplete("price check", material="zzz") == []


async def test_choices_are_enforced_and_delivered(scene: Scene, bot: RecordingBot) -> None:
    assert (await scene.ace.slash("kind", what="gem")).content == "picked Gem"
    with pytest.raises(FakeDiscordError, match="not one of the choices"):
        await scene.ace.slash("kind", what="wood")


async def test_the_client_side_checks_discord_makes(scene: Scene, bot: RecordingBot) -> None:
    with pytest.raises(CommandNotSynced, match="/nope is not synced"):
        await scene.ace.slash("nope")
    with pytest.raises(FakeDiscordError, match="needs a subcommand: start"):
        await scene.ace.slash("mining event")
    with pytest.raises(FakeDiscordError, match="missing required option"):
        await scene.ace.slash("mining event start")
    with pytest.raises(FakeDiscordError, match="has no option colour"):
        await scene.ace.slash("mining event start", name="x", colour="red")
    with pytest.raises(FakeDiscordError, match="above 50"):
        await scene.ace.slash("mining event start", name="x", crew=51)
    with pytest.raises(FakeDiscordError, match="takes an integer"):
        await scene.ace.slash("mining event start", name="x", crew=1.5)


async def test_default_member_permissions_hide_the_command(scene: Scene, bot: RecordingBot) -> None:
    assert (await scene.ace.slash("admin")).content == "yes, officer"
    with pytest.raises(CommandUnavailable, match="Rookie cannot use /admin"):
        await scene.rookie.slash("admin")


async def test_a_failing_command_fails_the_test_with_its_traceback(
    scene: Scene, bot: RecordingBot
) -> None:
    with pytest.raises(BotError, match="kaboom"):
        await scene.ace.slash("boom")
    with pytest.raises(NoResponse, match="did not answer"):
        await scene.ace.slash("boom", allow_errors=True)


async def test_a_command_that_never_answers(scene: Scene, bot: RecordingBot) -> None:
    with pytest.raises(NoResponse, match="/silent: the bot did not answer"):
        await scene.ace.slash("silent")


async def test_pressing_a_button(scene: Scene, bot: RecordingBot) -> None:
    reply = await scene.ace.slash("confirm")
    assert reply.message is not None and reply.message.custom_ids == ["payout"]
    pressed = await scene.ace.click(reply, "payout")
    assert pressed.content == "Paid out"
    assert reply.content == "Paid out" and reply.message.components == []


async def test_picking_in_a_select(scene: Scene, bot: RecordingBot) -> None:
    reply = await scene.ace.slash("pick")
    chosen = await scene.ace.click(reply, "ore", values=["Quartz"])
    assert chosen.content == "you picked Quartz"
    with pytest.raises(FakeDiscordError, match="offers"):
        await scene.ace.click(reply, "ore", values=["Gold"])


async def test_filling_in_a_modal(scene: Scene, bot: RecordingBot) -> None:
    reply = await scene.ace.slash("feedback")
    assert reply.modal is not None and reply.modal["title"] == "Op feedback"
    assert reply.content is None
    submitted = await scene.ace.submit(reply, rating="5")
    assert submitted.content == "rated 5; notes: -" and submitted.ephemeral
    with pytest.raises(FakeDiscordError, match="needs"):
        await scene.ace.submit(reply, notes="no rating")


async def test_a_click_returns_once_the_callback_finished(scene: Scene, bot: RecordingBot) -> None:
    # discord.ui runs the callback in a task of its own; the click waits for that task too.
    reply = await scene.ace.slash("tally")
    pressed = await scene.ace.click(reply, "count")
    assert pressed.text == "counting\ncounted 3"


async def test_after_updating_its_message_a_click_edits_it_as_original(
    scene: Scene, bot: RecordingBot
) -> None:
    # Discord: once a component's interaction updated its message, @original is that message
    reply = await scene.ace.slash("tally")
    pressed = await scene.ace.click(reply, "redo")
    assert pressed.message is reply.message
    assert reply.content == "tallied"


async def test_an_error_in_a_button_callback_fails_the_click(
    scene: Scene, bot: RecordingBot
) -> None:
    reply = await scene.ace.slash("tally")
    with pytest.raises(BotError, match="the button broke"):
        await scene.ace.click(reply, "break")
    with pytest.raises(NoResponse, match="did not answer"):
        await scene.ace.click(reply, "break", allow_errors=True)


async def test_an_answer_after_the_deadline_is_refused(scene: Scene, bot: RecordingBot) -> None:
    scene.world.response_deadline = 0.1
    with pytest.raises(BotError, match="Unknown interaction"):
        await scene.ace.slash("sleepy")
    scene.world.response_deadline = None
    assert (await scene.ace.slash("sleepy")).content == "finally"


async def test_transcript_reads_like_the_channel(scene: Scene, bot: RecordingBot) -> None:
    await scene.ace.slash("mining event start", name="Sunday op", lead=scene.rookie)
    scene.world.clock.advance(minutes=45)  # type: ignore[attr-defined]
    await scene.rookie.slash("report")
    lines = scene.world.transcript()
    assert lines[0] == "[18:00] #general Ace: /mining event start name:Sunday op lead:@Rookie"
    assert lines[1].startswith(
        "[18:00] #general Red Legion Bot (only Ace sees this): started Sunday op"
    )
    assert lines[2:] == [
        "[18:45] #general Rookie: /report",
        "[18:45] #general Red Legion Bot (only Rookie sees this): Your report"
        " [report.pdf, 13 bytes]",
    ]
