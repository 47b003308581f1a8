"""Reading UEX's public API 2.0: commodities, per-terminal sell prices, terminals.

Shapes as in the OpenAPI description generated from UEX's traffic
(github.com/dolejska-daniel/uexcorp-openapi): every answer is
`{"status": "ok", "http_code": 200, "message": "", "data": [...]}`. Each way UEX can fail
becomes a `UexError` whose message is one line an operator can act on; nothing here writes to
the database, so a failed read changes nothing. The token goes in the Authorization header
only: it never appears in a message, a log line or a repr.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import aiohttp
from pydantic import BaseModel, ConfigDict, ValidationError

from core.errors import UserError

log = logging.getLogger(__name__)

COMMODITIES = "commodities"
REFINED_PRICES = "commodities_prices_all"
RAW_PRICES = "commodities_raw_prices_all"
TERMINALS = "terminals"
# a whole answer larger than this is refused rather than read into memory
MAX_BODY_BYTES = 64 * 1024 * 1024


class UexError(UserError):
    """UEX could not be read; nothing was changed. `retry_after` is UEX's wish, in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# -- rows, as UEX sends them (extra fields ignored) -----------------------------------------


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Commodity(_Row):
    id: int
    name: str
    code: str = ""
    price_buy: Decimal | None = None
    price_sell: Decimal | None = None
    # a refined material and its raw form point at each other; 0 = none
    id_parent: int | None = 0
    is_mineral: int = 0
    is_raw: int = 0
    is_refined: int = 0


class TerminalPriceRow(_Row):
    id_commodity: int
    id_terminal: int
    terminal_name: str
    price_sell: Decimal | None = None
    scu_sell_stock: int | None = None  # not in the raw ore rows
    date_modified: int | None = None


class Terminal(_Row):
    id: int
    name: str
    nickname: str | None = None
    star_system_name: str | None = None


R = TypeVar("R", bound=_Row)


@dataclass(frozen=True)
class Market:
    """Everything one sync reads, complete and checked, before anything is applied."""

    commodities: list[Commodity]
    refined_prices: list[TerminalPriceRow]
    raw_prices: list[TerminalPriceRow]
    terminals: list[Terminal]


def reported_at(row: TerminalPriceRow) -> datetime | None:
    return datetime.fromtimestamp(row.date_modified, UTC) if row.date_modified else None


# -- the client ------------------------------------------------------------------------------


@dataclass
class UexClient:
    base_url: str
    token: str | None = field(default=None, repr=False)
    timeout_seconds: float = 20

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "redlegion-bot"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    async def market(self) -> Market:
        """Read the four endpoints one after the other (UEX rate-limits bursts)."""
        timeout = aiohttp.ClientTimeout(total=self.timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout, headers=self._headers()) as session:
            commodities = await self._rows(session, COMMODITIES, Commodity)
            refined = await self._rows(session, REFINED_PRICES, TerminalPriceRow)
            raw = await self._rows(session, RAW_PRICES, TerminalPriceRow)
            terminals = await self._rows(session, TERMINALS, Terminal)
        return Market(commodities, refined, raw, terminals)

    async def _rows(self, session: aiohttp.ClientSession, endpoint: str, model: type[R]) -> list[R]:
        data = await self._get(session, endpoint)
        rows = []
        for i, item in enumerate(data, start=1):
            try:
                rows.append(model.model_validate(item))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "row"
                raise UexError(
                    f"UEX sent a malformed /{endpoint} (row {i}, {where}: {first['msg']}); "
                    "nothing was changed"
                ) from None
        return rows

    async def _get(self, session: aiohttp.ClientSession, endpoint: str) -> list[Any]:
        url = f"{self.base_url.rstrip('/')}/{endpoint}/"
        try:
            async with session.get(url) as response:
                status = response.status
                if status == 429:
                    wait = _retry_after(response.headers.get("Retry-After"))
                    later = (
                        f"wait {wait:g} s before the next try" if wait is not None else "try later"
                    )
                    raise UexError(
                        f"UEX is rate-limiting us (HTTP 429 on /{endpoint}): {later}",
                        retry_after=wait,
                    )
                if status in (401, 403):
                    how = "refused the token" if self.token else "wants a token"
                    raise UexError(
                        f"UEX {how} (HTTP {status} on /{endpoint}): set UEX_API_TOKEN "
                        "or [economy] uex_token to a valid application token"
                    )
                if status >= 500:
                    raise UexError(f"UEX is failing (HTTP {status} on /{endpoint}); try later")
                if status != 200:
                    raise UexError(f"UEX answered HTTP {status} on /{endpoint}")
                body = await _body(response, endpoint)
        except TimeoutError:
            raise UexError(
                f"UEX did not answer /{endpoint} within {self.timeout_seconds:g} s; try later"
            ) from None
        except aiohttp.ClientPayloadError:
            raise UexError(
                f"UEX's answer to /{endpoint} was cut off; nothing was changed"
            ) from None
        except aiohttp.ClientError as exc:
            raise UexError(f"cannot reach UEX at {self.base_url} ({type(exc).__name__})") from None
        return _data(body, endpoint)


async def _body(response: aiohttp.ClientResponse, endpoint: str) -> bytes:
    """The whole body, refused past MAX_BODY_BYTES rather than read into memory."""
    chunks, size = [], 0
    async for chunk in response.content.iter_chunked(256 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise UexError(f"UEX's answer to /{endpoint} is larger than we accept")
        chunks.append(chunk)
    return b"".join(chunks)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds form; an HTTP date counts as unknown)."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _data(body: bytes, endpoint: str) -> list[Any]:
    try:
        doc = json.loads(body, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if hasattr(exc, "lineno") else ""
        raise UexError(
            f"UEX sent invalid JSON for /{endpoint}{where}; nothing was changed"
        ) from None
    if not isinstance(doc, dict):
        raise UexError(f"UEX sent a malformed /{endpoint} (not an object); nothing was changed")
    if doc.get("status") != "ok":
        message = str(doc.get("message") or "")[:200]
        said = f": {message}" if message else ""
        raise UexError(f"UEX answered /{endpoint} with status {doc.get('status')!r}{said}")
    data = doc.get("data")
    if not isinstance(data, list):
        raise UexError(f"UEX sent a malformed /{endpoint} (no data list); nothing was changed")
    return data
