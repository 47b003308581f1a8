"""Count the SQL statements Tortoise sends, to keep N+1 queries out (tests and bench/)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from tortoise.log import db_client_logger

# Leads a statement sent on a timer rather than by the work being measured (the SQLite change
# feed's poll): counted nowhere, so a count says what a page, a command or a start-up sends.
BACKGROUND = "/* background */ "


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # tortoise logs `logger.debug("%s: %s", sql, values)`-style: the SQL is the first arg
        args = record.args
        first = args[0] if isinstance(args, tuple) and args else record.msg
        text = str(first)
        if text.lstrip().upper().startswith(("CREATED CONNECTION", "CLOSED CONNECTION")):
            return
        if text.startswith(BACKGROUND):
            return
        self.statements.append(text)


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """Collect every statement sent inside the block: `with count_queries() as q: ...; len(q)`."""
    collector = _Collector()
    previous_level, previous_propagate = db_client_logger.level, db_client_logger.propagate
    db_client_logger.addHandler(collector)
    db_client_logger.setLevel(logging.DEBUG)
    db_client_logger.propagate = False
    try:
        yield collector.statements
    finally:
        db_client_logger.removeHandler(collector)
        db_client_logger.setLevel(previous_level)
        db_client_logger.propagate = previous_propagate
