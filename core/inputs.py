"""The bounds of what a person types, in one place: ranges of ids and counts, and the text rule.

The database decides them: our own rows have 32-bit ids (`IntField`), Discord's snowflakes
are 64-bit (`BigIntField`), and Discord's API carries integer options up to 2^53 - 1. The
slash side of these rules is `core.options`; the CLI's is here (`cli_int` and its two kinds
of ids), so `--guild 0` or `event_id 99999999999` is an argparse error naming the argument
rather than a traceback from the driver. This module imports no discord: the CLI starts fast.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Iterable

INT32_MAX = 2**31 - 1  # IntField: the ids of our own rows, counts, minutes, days
INT64_MAX = 2**63 - 1  # BigIntField: Discord snowflakes, ledger rows
DISCORD_INT_MAX = 2**53 - 1  # the largest integer option Discord's API accepts
DEFAULT_INT_RANGE = (1, INT32_MAX)

# Text typed on one line (a slash option): C0 and C1 controls (newlines too), DEL, and
# UTF-16 surrogates, which no database text column takes.
SLASH_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
SHOWN_DIGITS = 24  # a longer number is described, not echoed


# -- the CLI --------------------------------------------------------------------------------


def cli_int(low: int, high: int, what: str) -> Callable[[str], int]:
    """An argparse `type` for a whole number in [low, high]; argparse names the argument."""

    def parse(text: str) -> int:
        digits = text.strip()
        if not re.fullmatch(r"[+-]?[0-9]+", digits):
            raise argparse.ArgumentTypeError(f"{what} must be a whole number, not {text[:30]!r}")
        # int() of thousands of digits is slow or refused: such a number is out of range anyway
        value = int(digits) if len(digits) <= SHOWN_DIGITS else None
        if value is None or not low <= value <= high:
            shown = f"{value:,}" if value is not None else f"a {len(digits)}-digit number"
            raise argparse.ArgumentTypeError(
                f"{what} must be from {low:,} to {high:,}; {shown} is out of range"
            )
        return value

    parse.__name__ = what  # argparse shows it in "invalid <name> value"
    return parse


cli_snowflake = cli_int(1, INT64_MAX, "a Discord id")
cli_row_id = cli_int(1, INT32_MAX, "an id")


def parser_actions(parser: argparse.ArgumentParser) -> Iterable[tuple[str, argparse.Action]]:
    """Every argument of a parser and its subcommands, with the command path that has it."""
    todo = [(parser.prog, parser)]
    while todo:
        path, current = todo.pop()
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo.extend((sub.prog, sub) for sub in action.choices.values())
            else:
                yield path, action
