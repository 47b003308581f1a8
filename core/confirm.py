"""A Confirm/Cancel step in front of a command that moves money for good.

A command that pays out, forgives or reverses shows what it is about to do and two buttons
instead of doing it. Only Confirm, pressed by the member who ran the command before the step
expires, runs the action: the same once-only service call the command made directly before, so
the database still decides whether it happens (two prompts for one payroll pay once). Every
other press gets a clear refusal and changes nothing: someone else's, a second press (Confirm
twice, or Cancel after Confirm), a press after Cancel, or one after the step expired.

Expiry is read from the bot's clock (`RedLegionBot.clock`), so a test moves a virtual clock past
it instead of waiting; discord.py's own view timeout, the same length in real time, then takes
the buttons off a step nobody answered.

The press is answered at once (the buttons are disabled in place, well within Discord's three
seconds) and the action runs after; its result goes out as a new public message, as the
command's reply did before there was a step.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import discord

from core import mentions
from core.errors import UserError

log = logging.getLogger(__name__)

Interaction = discord.Interaction[Any]  # any client: a confirmation needs nothing of the bot


@dataclass(frozen=True)
class Done:
    """What Confirm announces: the text, and the members it is about, whom it may ping
    (`core.mentions.about`); nobody else is pinged, whatever the text names."""

    text: str
    about: tuple[int, ...] = ()


# What Confirm runs, given the press (its user is the actor, the bot's clock says when): the
# public message that announces what was done (text alone pings nobody). A UserError is shown
# as "not done".
Action = Callable[[Interaction], Awaitable[str | Done]]

CONFIRM_ID = "redlegion:confirm"
CANCEL_ID = "redlegion:cancel"
TIMEOUT = timedelta(minutes=2)
MESSAGE_LIMIT = 2000  # Discord's, in characters
QUIET = mentions.NOBODY  # the question and its status lines name members; they ping nobody


class Step(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


async def ask(
    interaction: Interaction,
    question: str,
    action: Action,
    *,
    expires_after: timedelta | None = None,
) -> Confirmation:
    """Answer a command with `question` and Confirm/Cancel; Confirm runs `action` once.

    Check everything that can be checked before asking (the action checks again when it runs),
    so a command that cannot go ahead is refused at once, privately, as before. The step
    expires after `expires_after` (default `TIMEOUT`).
    """
    expiry = expires_after if expires_after is not None else TIMEOUT
    step = Confirmation(interaction, question, action, timeout=expiry)
    await interaction.response.send_message(
        step.text(f"Confirm within {_duration(expiry)}, or cancel."),
        view=step,
        allowed_mentions=QUIET,
    )
    return step


class Confirmation(discord.ui.View):
    """One question awaiting its answer; it answers every press of its buttons."""

    def __init__(
        self, interaction: Interaction, question: str, action: Action, *, timeout: timedelta
    ) -> None:
        super().__init__(timeout=timeout.total_seconds())
        self.command = interaction
        self.question = question
        self.action = action
        self.requester_id = interaction.user.id
        self.expires_at: datetime = interaction.client.clock.now() + timeout
        self.step = Step.OPEN
        name = interaction.command.qualified_name if interaction.command else "the command"
        self.command_name = f"/{name}"

    def text(self, status: str) -> str:
        """The question with where it stands, cut (rarely) to fit one message."""
        room = MESSAGE_LIMIT - len(status) - 3
        question = self.question if len(self.question) <= room else self.question[: room - 1] + "…"
        return f"{question}\n\n{status}"

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger, custom_id=CONFIRM_ID)
    async def confirm(self, interaction: Interaction, _: discord.ui.Button[Confirmation]) -> None:
        if not await self._claim(interaction, Step.CONFIRMED):
            return
        who = f"<@{interaction.user.id}>"
        await interaction.response.edit_message(
            content=self.text(f"Confirmed by {who}: working on it…"),
            view=self._disabled(),
            allowed_mentions=QUIET,
        )
        try:
            done = await self.action(interaction)
        except UserError as exc:
            await interaction.edit_original_response(
                content=self.text(f"Confirmed by {who}, but **not done**: {mentions.render(exc)}"),
                allowed_mentions=QUIET,
            )
            return
        await interaction.edit_original_response(
            content=self.text(f"Confirmed by {who}: done."), allowed_mentions=QUIET
        )
        if not isinstance(done, Done):
            done = Done(done)
        await interaction.followup.send(done.text, allowed_mentions=mentions.about(*done.about))

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id=CANCEL_ID)
    async def cancel(self, interaction: Interaction, _: discord.ui.Button[Confirmation]) -> None:
        if not await self._claim(interaction, Step.CANCELLED):
            return
        await interaction.response.edit_message(
            content=self.text(f"Cancelled by <@{interaction.user.id}>: nothing was done."),
            view=self._disabled(),
            allowed_mentions=QUIET,
        )

    async def _claim(self, interaction: Interaction, step: Step) -> bool:
        """Move the step on for this press, or refuse the press and say why.

        Everything up to the change of `self.step` runs without yielding to the event loop, so
        of two presses handled at once exactly one claims the step.
        """
        if interaction.user.id != self.requester_id:
            refusal = (
                f"Only <@{self.requester_id}>, who ran {self.command_name}, can answer this; "
                "nothing was changed."
            )
        elif self.step is Step.OPEN and interaction.client.clock.now() >= self.expires_at:
            # the bot's clock ran out before discord.py's timeout fired: expire it now
            self.step = Step.EXPIRED
            self.stop()
            await interaction.response.edit_message(
                content=self.text(self._expired()), view=None, allowed_mentions=QUIET
            )
            return False
        elif self.step is Step.OPEN:
            self.step = step
            return True
        elif self.step is Step.CONFIRMED:
            refusal = "This was confirmed already; it is not done twice."
        elif self.step is Step.CANCELLED:
            refusal = f"This was cancelled; nothing was done. Run {self.command_name} again."
        else:
            refusal = self._expired()
        await interaction.response.send_message(refusal, ephemeral=True, allowed_mentions=QUIET)
        return False

    def _expired(self) -> str:
        return f"This expired unanswered; nothing was done. Run {self.command_name} again."

    def _disabled(self) -> Confirmation:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        return self

    async def on_timeout(self) -> None:
        if self.step is not Step.OPEN:
            return
        self.step = Step.EXPIRED
        try:
            await self.command.edit_original_response(
                content=self.text(self._expired()), view=None, allowed_mentions=QUIET
            )
        except discord.HTTPException:
            log.info("could not mark an expired confirmation of %s", self.command_name)

    async def on_error(
        self, interaction: Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        error_id = uuid.uuid4().hex[:8]
        log.error(
            "error %s confirming %s (guild %s, user %s)",
            error_id,
            self.command_name,
            interaction.guild_id,
            interaction.user.id,
            exc_info=error,
        )
        message = (
            f"Something went wrong on our side (error id `{error_id}`); check what was done "
            f"before running {self.command_name} again."
        )
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)


def _duration(step: timedelta) -> str:
    minutes, seconds = divmod(int(step.total_seconds()), 60)
    if minutes and not seconds:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{int(step.total_seconds())} seconds"
