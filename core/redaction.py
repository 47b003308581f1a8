"""Secrets kept out of what we print and log: database passwords, interaction and webhook
tokens, the bot token.

One place knows the shapes secrets take (a database URL's password is masked by
`storage.database.mask_url`, which storage's own messages use too), so `config check`, error
messages and the log filter on the bot's handlers all mask the same way (discord.py logs
every REST route at DEBUG, and interaction callbacks and webhooks carry their token in the
path; every gateway event is logged whole, and INTERACTION_CREATE holds the interaction's
token).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from storage.database import MASK
from storage.database import mask_url as mask_url

# /interactions/{id}/{token}/callback and /webhooks/{application id}/{token}[/messages/…]
_PATH_TOKEN = re.compile(r"(?P<head>/(?:interactions|webhooks)/\d+/)[^/\s?'\"]+")
# a `token` field in a logged payload: {'token': '…'} (repr) or {"token": "…"} (JSON)
_FIELD_TOKEN = re.compile(r"(?P<head>(?P<q>['\"])token(?P=q)\s*:\s*(?P<v>['\"]))[^'\"]*(?P=v)")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without URL passwords, interaction/webhook tokens, `token` fields, or any of
    `secrets` (exact values known to be secret, e.g. the bot token)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    text = mask_url(text)
    text = _PATH_TOKEN.sub(lambda m: m["head"] + MASK, text)
    return _FIELD_TOKEN.sub(lambda m: f"{m['head']}{MASK}{m['v']}", text)


class RedactingFilter(logging.Filter):
    """A handler filter that rewrites each record's message (and traceback) through `redact`.

    On a handler, not a logger: a logger's filters see only records logged on that very
    logger, a handler's see every record it writes, discord.py's included.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self.secrets)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True
