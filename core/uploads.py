"""Reading a file someone hands the bot: a slash command attachment or a file named on the CLI.

Every import goes through here, so a hostile file is refused by one set of limits with what is
wrong with it, before a parser or the database sees it: Python's `json` recurses once per level
(a document nested 50,000 deep is a RecursionError), `int()` refuses more than 4,300 digits
(ValueError), PostgreSQL refuses NUL in text and asyncpg lone surrogates, and `csv` stops at a
field over 128 KB. Each is a clear `InvalidInput` here instead.

One rule for the characters of an upload: line breaks and tabs are its structure (and may sit
in a quoted CSV cell); every other control character, and any surrogate a JSON escape can
make, is refused. (Slash options are one line: `core.inputs` refuses newlines there too.)
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import InvalidInput

if TYPE_CHECKING:
    import discord

MAX_UPLOAD_BYTES = 8 * 2**20  # no upload is read past this; each import has a smaller limit
MAX_JSON_DEPTH = 32  # the deepest a real export goes is 3
MAX_NUMBER_CHARS = 40  # DECIMAL(15,2) is 16 characters; room for exponents and signs

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


def size_label(limit: int) -> str:
    """`262144` → `256 KB`, for messages."""
    if limit >= 2**20 and limit % 2**20 == 0:
        return f"{limit // 2**20} MB"
    if limit >= 1024:
        return f"{limit // 1024} KB"
    return f"{limit} bytes"


def _too_big(name: str, size: int, limit: int) -> InvalidInput:
    return InvalidInput(f"{name} is {size:,} bytes: keep it under {size_label(limit)}.")


async def read_attachment(file: discord.Attachment, *, limit: int) -> bytes:
    """The attachment's bytes, refused before downloading when Discord says it is too big."""
    limit = min(limit, MAX_UPLOAD_BYTES)
    if file.size > limit:
        raise _too_big(file.filename, file.size, limit)
    data = await file.read()
    if len(data) > limit:
        raise _too_big(file.filename, len(data), limit)
    return data


def read_path(path: Path, *, limit: int) -> bytes:
    """A file's bytes from disk, never more than `limit` + 1 read (a huge file is not loaded)."""
    limit = min(limit, MAX_UPLOAD_BYTES)
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > limit:
        raise InvalidInput(f"{path.name} is over {size_label(limit)}: keep it under that.")
    return data


def decode_text(data: bytes | str, name: str, *, limit: int) -> str:
    """UTF-8 text (a BOM is dropped) within `limit` bytes, holding no forbidden character."""
    if isinstance(data, bytes):
        if len(data) > min(limit, MAX_UPLOAD_BYTES):
            raise _too_big(name, len(data), min(limit, MAX_UPLOAD_BYTES))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                f"{name} is not UTF-8 text (byte {exc.start + 1} is not UTF-8): save it as "
                "UTF-8 JSON or CSV."
            ) from None
    else:
        text = data
    if not text.strip():
        raise InvalidInput(f"{name} is empty.")
    check_characters(text, name)
    return text


def check_characters(text: str, where: str) -> None:
    """Refuse a control character other than tab and line breaks, or a surrogate."""
    bad = _FORBIDDEN.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        raise InvalidInput(
            f"{where} holds a control character (U+{ord(bad.group()):04X}) on line {line}: "
            "only plain text is read."
        )


class _Refused(Exception):
    """Raised from inside json's hooks, turned into InvalidInput by `load_json`."""


def json_depth(text: str, stop_at: int) -> int:
    """How deep brackets nest, counted no further than `stop_at` + 1 (a 50,000-deep document
    costs what a 33-deep one does). Brackets inside strings are set aside only when the first
    count is over the limit (a regex over every string is the slow part of a 5 MB export), so
    a name like "[[[[" is never mistaken for depth."""
    depth = _deepest(text, stop_at)
    if depth > stop_at:
        depth = _deepest(_JSON_STRING.sub('""', text), stop_at)
    return depth


def _deepest(text: str, stop_at: int) -> int:
    depth = deepest = 0
    for bracket in _BRACKETS.findall(text):
        if bracket in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_at:
                    break
        else:
            depth -= 1
    return deepest


def load_json(
    text: str,
    name: str,
    *,
    parse_float: Callable[[str], Any] = Decimal,
    max_depth: int = MAX_JSON_DEPTH,
) -> Any:
    """The JSON document in `text`: nested at most `max_depth` deep, no number longer than
    `MAX_NUMBER_CHARS`, no NaN/Infinity, no forbidden character in any string or key.
    Integers are `int`; other numbers go through `parse_float` (Decimal: never a float)."""
    check_characters(text, name)
    depth = json_depth(text, max_depth)
    if depth > max_depth:
        raise InvalidInput(f"{name} is nested more than {max_depth} levels deep: not an export.")

    def number(kind: Callable[[str], Any]) -> Callable[[str], Any]:
        def parse(written: str) -> Any:
            if len(written) > MAX_NUMBER_CHARS:
                raise _Refused(
                    f"{name} holds a number of {len(written):,} digits: at most "
                    f"{MAX_NUMBER_CHARS} are read."
                )
            return kind(written)

        return parse

    def constant(written: str) -> Any:
        raise _Refused(f"{name} holds {written}, which is not a number.")

    try:
        document = json.loads(
            text, parse_int=number(int), parse_float=number(parse_float), parse_constant=constant
        )
    except _Refused as exc:
        raise InvalidInput(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from None
    except RecursionError:  # only if the interpreter's limit is below max_depth
        raise InvalidInput(f"{name} is nested too deeply: not an export.") from None
    if "\\u" in text:  # only an escape can put what the raw text check refused into a string
        _check_strings(document, name)
    return document


def _check_strings(value: Any, name: str) -> None:
    """Every key and string of a parsed document (escapes like \\u0000 decode to what the raw
    text check cannot see)."""
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            check_characters(item, f"{name} (a text value)")
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)


def csv_rows(text: str, name: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each CSV record; a malformed record is an InvalidInput naming
    its line (an oversized field, an unclosed quote at the end)."""
    reader = csv.reader(io.StringIO(text))
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise InvalidInput(f"{name} line {reader.line_num}: {exc}.") from None
