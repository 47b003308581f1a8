"""The bounds a slash command's options must keep, checked once before any command runs.

A value the database cannot hold (an id of 2^31 in a 32-bit column, a NUL in a text column on
PostgreSQL) used to reach the service and come back as "something went wrong". Here one set of
rules, driven by each option's declared type, refuses it naming the option:

- integer options: within the option's declared range; an option that declares none gets
  `core.inputs.DEFAULT_INT_RANGE` (1 .. 2^31-1: an `IntField` id such as an event, yield,
  expense or loan, and any count). A command whose column is wider says so with
  `app_commands.Range` (ledger transactions are `BigIntField`: `LedgerId`). The range is
  published with the commands too, so Discord's client stops most bad values before sending.
- text options are one line in Discord's client: no control characters at all (newlines
  included) and no lone surrogates; declared lengths and choices hold. Autocomplete input
  (half-typed, an id still text) keeps the character rule and gets no choices otherwise.
- attachments: no larger than `core.uploads.MAX_UPLOAD_BYTES`, before anything is downloaded
  (each import's own smaller limit and its parsing are `core.uploads`'s job).

Because the rules read the registered tree, a command added later is covered unasked.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands.transformers import CommandParameter

from core.errors import InvalidInput
from core.inputs import DEFAULT_INT_RANGE, DISCORD_INT_MAX, SHOWN_DIGITS, SLASH_FORBIDDEN
from core.uploads import MAX_UPLOAD_BYTES, size_label

if TYPE_CHECKING:
    from core.bot import RedLegionBot

# An id into a BigIntField table, as far as Discord lets an integer option go.
LedgerId = app_commands.Range[int, 1, DISCORD_INT_MAX]

OptionType = discord.AppCommandOptionType


def leaf_commands(tree: app_commands.CommandTree[Any]) -> list[app_commands.Command[Any, ..., Any]]:
    """Every slash command that runs (not the groups that hold them), in the global scope."""
    return [
        c
        for c in tree.walk_commands(type=discord.AppCommandType.chat_input)
        if isinstance(c, app_commands.Command)
    ]


def parameters(command: app_commands.Command[Any, ..., Any]) -> list[CommandParameter]:
    """A command's option declarations. discord.py keeps them in `_params`; its public
    `parameters` wraps them read-only, and the default range has to be written into them."""
    return list(command._params.values())


def bound_integer_options(tree: app_commands.CommandTree[Any]) -> None:
    """Give every integer option without a declared range `DEFAULT_INT_RANGE` (published to
    Discord with the commands, and enforced by `check_options` whatever a client sends)."""
    low, high = DEFAULT_INT_RANGE
    for command in leaf_commands(tree):
        for param in parameters(command):
            if param.type is OptionType.integer and not param.choices:
                if param.min_value is None:
                    param.min_value = low
                if param.max_value is None:
                    param.max_value = high


def check_options(interaction: discord.Interaction[RedLegionBot]) -> None:
    """Refuse the first option value outside its declared type's bounds, naming the option."""
    command = interaction.command
    if not isinstance(command, app_commands.Command):
        return
    declared = {p.display_name: p for p in parameters(command)}
    for name, value in interaction.namespace:
        param = declared.get(name)
        if param is not None and value is not None:
            check_value(param, value)


def check_typing(interaction: discord.Interaction[RedLegionBot]) -> None:
    """For autocomplete: what is typed so far goes into a query too, so it keeps the text rule
    (ranges and choices wait for the command itself; an id is still text here)."""
    for name, value in interaction.namespace:
        if isinstance(value, str):
            _check_characters(f"`{name}`", value)


def check_value(param: CommandParameter, value: Any) -> None:
    """The rule for one option kind; raises InvalidInput naming the option."""
    name = f"`{param.display_name}`"
    if param.type in (OptionType.integer, OptionType.number):
        _check_number(name, param, value)
    elif param.type is OptionType.string:
        _check_text(name, param, value)
    elif param.type is OptionType.attachment and isinstance(value, discord.Attachment):
        _check_attachment(name, value)
    if param.choices and value not in {c.value for c in param.choices}:
        offered = ", ".join(str(c.value) for c in param.choices)
        raise InvalidInput(f"{name} must be one of: {offered}.")


def _check_attachment(name: str, value: discord.Attachment) -> None:
    if value.size > MAX_UPLOAD_BYTES:
        raise InvalidInput(
            f"{name}: {value.filename} is {value.size:,} bytes; "
            f"files up to {size_label(MAX_UPLOAD_BYTES)} are read."
        )


def _check_number(name: str, param: CommandParameter, value: Any) -> None:
    kind = "a whole number" if param.type is OptionType.integer else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{name} must be {kind}.")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"{name} must be {kind}.")
    low, high = param.min_value, param.max_value
    if (low is not None and value < low) or (high is not None and value > high):
        shown = str(value)
        if len(shown) > SHOWN_DIGITS:
            shown = f"a {len(shown)}-digit number"
        if low is not None and high is not None:
            wanted = f"from {low:,} to {high:,}"
        elif low is not None:
            wanted = f"at least {low:,}"
        else:
            wanted = f"at most {high:,}"
        raise InvalidInput(f"{name} must be {kind} {wanted}; {shown} is out of range.")


def _check_text(name: str, param: CommandParameter, value: Any) -> None:
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text.")
    _check_characters(name, value)
    low, high = param.min_value, param.max_value
    if low is not None and len(value) < low:
        raise InvalidInput(f"{name} needs at least {low} character(s).")
    if high is not None and len(value) > high:
        raise InvalidInput(f"{name} takes at most {high} characters; that is {len(value)}.")


def _check_characters(name: str, value: str) -> None:
    bad = SLASH_FORBIDDEN.search(value)
    if bad is not None:
        raise InvalidInput(
            f"{name} holds a control character (U+{ord(bad.group()):04X}) at position "
            f"{bad.start() + 1}: type plain text on one line."
        )
