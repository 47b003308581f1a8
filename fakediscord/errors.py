"""What the stand-in raises at a test, each naming what went wrong and what to do about it."""

from __future__ import annotations

import logging


class ApiError(Exception):
    """A REST call Discord would refuse; becomes `{"message": ..., "code": ...}` with `status`."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(f"{status} {message} (code {code})")
        self.status, self.code, self.message = status, code, message


class FakeDiscordError(Exception):
    """The test asked for something Discord would not allow (bad option, unknown command, ...)."""


class CommandNotSynced(FakeDiscordError):
    """The command a member tries to run was never synced by the bot for that guild."""


class CommandUnavailable(FakeDiscordError):
    """Discord hides the command from this member (`default_member_permissions`)."""


class NotConnected(FakeDiscordError):
    """No bot session is connected to the gateway for the guild, so nobody can handle the event."""


class NoResponse(FakeDiscordError):
    """The bot did not answer an interaction (in time, or at all)."""


class NotHandled(FakeDiscordError):
    """An in-process bot did not finish handling a gateway event in time."""


class BotError(FakeDiscordError):
    """The bot logged errors while handling an event or command; the records say which."""

    def __init__(self, what: str, records: list[logging.LogRecord]) -> None:
        self.records = records
        details = "\n".join(_describe(record) for record in records)
        super().__init__(
            f"the bot logged {len(records)} error(s) while handling {what}:\n{details}"
        )


def _describe(record: logging.LogRecord) -> str:
    text = f"[{record.name}] {record.getMessage()}"
    if record.exc_info and record.exc_info[1] is not None:
        text += "\n" + logging.Formatter().formatException(record.exc_info)
    return text
