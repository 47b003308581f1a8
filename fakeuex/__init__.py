"""A local UEX API 2.0 stand-in: an aiohttp server on 127.0.0.1 answering the four endpoints the
price sync reads, with answers of the real shape and a switch for each way UEX fails.

Shapes (field names, the `{"status", "http_code", "message", "data"}` envelope, raw rows
without `scu_sell_stock`) follow the OpenAPI description generated from UEX's traffic,
github.com/dolejska-daniel/uexcorp-openapi. The server runs on its own thread and event loop,
so a test may drive it from async code or through the synchronous CLI alike:

    with FakeUex().running() as uex:
        uex.fault("rate_limit", retry_after=120)
        ... settings with uex_base_url = uex.base_url ...
"""

from __future__ import annotations

import asyncio
import copy
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

ENDPOINTS = ("commodities", "commodities_prices_all", "commodities_raw_prices_all", "terminals")
FAULTS = (
    "timeout",  # answer only after `delay` seconds
    "server_error",  # HTTP `status` (503)
    "rate_limit",  # HTTP 429 with Retry-After: `retry_after`
    "not_json",  # an HTML error page with status 200
    "truncated",  # the JSON cut off half way
    "cut_off",  # the connection closed half way through the promised Content-Length
    "missing_field",  # a row without a field the rows always have
    "status",  # HTTP 200, but status `status_text` and data null
)
T_MODIFIED = 1764700000  # 2025-12-02 18:26:40 UTC


def _commodity(
    id: int,
    name: str,
    code: str,
    sell: float,
    *,
    parent: int = 0,
    raw: bool = False,
    refined: bool = False,
    mineral: bool = True,
    kind: str = "Metal",
) -> dict[str, Any]:
    return {
        "code": code,
        "date_added": 1703505653,
        "date_modified": T_MODIFIED,
        "id": id,
        "id_parent": parent,
        "is_available": 1,
        "is_available_live": 1,
        "is_buyable": 0 if raw else 1,
        "is_extractable": 1 if mineral else 0,
        "is_illegal": 0,
        "is_mineral": int(mineral),
        "is_raw": int(raw),
        "is_refinable": int(raw and parent != 0),
        "is_refined": int(refined),
        "is_sellable": 1,
        "is_visible": 1,
        "kind": kind,
        "name": name,
        "price_buy": 0,
        "price_sell": sell,
        "weight_scu": 1.2 if refined else 0,
        "wiki": f"https://starcitizen.tools/{name.split(' ')[0]}",
    }


def _terminal(id: int, name: str, nickname: str, system: str, planet: str) -> dict[str, Any]:
    return {
        "city_name": None,
        "code": nickname.replace(" ", "").replace("-", "").upper()[:6],
        "company_name": "Shubin Interstellar",
        "date_added": 1730685471,
        "date_modified": 0,
        "id": id,
        "id_star_system": {"Stanton": 68, "Pyro": 64}.get(system, 1),
        "is_available": 1,
        "is_refinery": int("Refinery" in name),
        "is_visible": 1,
        "name": name,
        "nickname": nickname,
        "planet_name": planet,
        "space_station_name": None,
        "star_system_name": system,
        "type": "commodity",
    }


def _refined_price(commodity: dict[str, Any], terminal: dict[str, Any], sell: float, stock: int):
    return {
        "commodity_name": commodity["name"],
        "container_sizes": "1,2,4,8,16,24,32",
        "date_added": 1703514825,
        "date_modified": T_MODIFIED,
        "id": commodity["id"] * 1000 + terminal["id"],
        "id_commodity": commodity["id"],
        "id_terminal": terminal["id"],
        "price_buy": 0,
        "price_buy_avg": 0,
        "price_sell": sell,
        "price_sell_avg": sell,
        "scu_buy": 0,
        "scu_sell": 0,
        "scu_sell_stock": stock,
        "status_buy": 0,
        "status_sell": 1,
        "terminal_name": terminal["nickname"],
    }


def _raw_price(commodity: dict[str, Any], terminal: dict[str, Any], sell: float):
    return {
        "commodity_name": commodity["name"],
        "date_added": 1704936204,
        "date_modified": T_MODIFIED,
        "id": commodity["id"] * 1000 + terminal["id"],
        "id_commodity": commodity["id"],
        "id_terminal": terminal["id"],
        "price_buy": 0,
        "price_buy_avg": 0,
        "price_sell": sell,
        "price_sell_avg": 0,
        "terminal_name": terminal["nickname"],
    }


def default_market() -> dict[str, list[dict[str, Any]]]:
    """A small market: two metals with their raw ores, a gem sold as mined, a mineral the bot
    does not know, a trade good, and terminals in two systems (two share a short name)."""
    agri = _commodity(1, "Agricium", "AGRI", 2321, parent=2, refined=True)
    agri_ore = _commodity(2, "Agricium (Ore)", "AGRI", 0, parent=1, raw=True)
    lara = _commodity(47, "Laranite", "LARA", 2569, parent=48, refined=True)
    lara_raw = _commodity(48, "Laranite (Raw)", "LARA", 1173, parent=47, raw=True)
    apho = _commodity(8, "Aphorite", "APHO", 216115, raw=True, kind="Mineral")
    aslarite = _commodity(90, "Aslarite", "ASLA", 5500, parent=91, refined=True)
    agrs = _commodity(3, "Agricultural Supplies", "AGRS", 315, mineral=False, kind="Agricultural")
    tdd = _terminal(12, "TDD - Trade and Development Division - Area 18", "TDD Area 18",
                    "Stanton", "ArcCorp")  # fmt: skip
    micl5 = _terminal(241, "Admin - MIC-L5", "MIC-L5", "Stanton", "microTech")
    ref_st = _terminal(501, "Refinery - ARC-L1", "Refinery Deck", "Stanton", "ArcCorp")
    ref_py = _terminal(502, "Refinery - Ruin Station", "Refinery Deck", "Pyro", "Pyro VI")
    return {
        "commodities": [agri, agri_ore, lara, lara_raw, apho, aslarite, agrs],
        "commodities_prices_all": [
            _refined_price(lara, tdd, 2569, 2),
            _refined_price(lara, ref_st, 2600, 40),
            _refined_price(lara, ref_py, 2710, 12),
            _refined_price(lara, micl5, 2490, 80),
            _refined_price(agri, tdd, 2327, 16),
            _refined_price(aslarite, tdd, 5500, 3),
            _refined_price(agrs, tdd, 345, 5),
        ],
        "commodities_raw_prices_all": [
            _raw_price(lara_raw, micl5, 1173),
            _raw_price(apho, micl5, 216115),
            _raw_price(apho, ref_py, 230000),
        ],
        "terminals": [tdd, micl5, ref_st, ref_py],
    }


@dataclass
class Fault:
    kind: str
    endpoint: str | None  # None: every endpoint
    options: dict[str, Any]


@dataclass
class Request:
    path: str
    authorization: str | None


@dataclass
class FakeUex:
    market: dict[str, list[dict[str, Any]]] = field(default_factory=default_market)
    # when set, a request without `Authorization: Bearer <token>` is refused with 401
    required_token: str | None = None
    requests: list[Request] = field(default_factory=list)
    port: int = 0
    _fault: Fault | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/2.0"

    # -- switches -----------------------------------------------------------------------------

    def fault(self, kind: str, endpoint: str | None = None, **options: Any) -> None:
        """Fail every request (or those of one endpoint) this way until `heal()`."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; faults: {', '.join(FAULTS)}")
        if endpoint is not None and endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}")
        self._fault = Fault(kind, endpoint, options)

    def heal(self) -> None:
        self._fault = None

    def commodity(self, name: str) -> dict[str, Any]:
        """The commodity row of that name, to change its figures."""
        return next(c for c in self.market["commodities"] if c["name"] == name)

    def terminal_price(self, commodity_id: int, terminal_id: int) -> dict[str, Any]:
        rows = self.market["commodities_prices_all"] + self.market["commodities_raw_prices_all"]
        return next(
            r for r in rows if r["id_commodity"] == commodity_id and r["id_terminal"] == terminal_id
        )

    # -- serving ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        endpoint = request.match_info["endpoint"]
        self.requests.append(Request(endpoint, request.headers.get("Authorization")))
        if endpoint not in ENDPOINTS:
            return _envelope(None, status=404, status_text="not_found")
        wanted = f"Bearer {self.required_token}"
        if self.required_token is not None and request.headers.get("Authorization") != wanted:
            return _envelope(None, status=401, status_text="invalid_token")
        fault = self._fault
        if fault is not None and fault.endpoint in (None, endpoint):
            answer = await _faulty(fault, endpoint, copy.deepcopy(self.market[endpoint]), request)
            if answer is not None:
                return answer
        return _envelope(copy.deepcopy(self.market[endpoint]))

    @contextmanager
    def running(self) -> Iterator[FakeUex]:
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        runner: list[web.AppRunner] = []

        async def start() -> None:
            app = web.Application()
            app.router.add_get("/2.0/{endpoint}/", self._handle)
            app.router.add_get("/2.0/{endpoint}", self._handle)
            site_runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
            await site_runner.setup()
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
            await web.SockSite(site_runner, sock).start()
            runner.append(site_runner)

        async def stop() -> None:
            await runner[0].cleanup()
            # a request still held (the timeout switch) is cancelled now: left pending on a
            # closed loop, the garbage collector would report it in whatever test runs next
            held = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in held:
                task.cancel()
            await asyncio.gather(*held, return_exceptions=True)

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(stop())
            loop.close()

        thread = threading.Thread(target=serve, name="fakeuex", daemon=True)
        thread.start()
        if not ready.wait(10):
            raise RuntimeError("the UEX stand-in did not start within 10 s")
        try:
            yield self
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)


def _body_of(
    data: Any, *, status: int = 200, status_text: str = "ok", message: str = ""
) -> dict[str, Any]:
    return {"status": status_text, "http_code": status, "message": message, "data": data}


def _envelope(
    data: Any, *, status: int = 200, status_text: str = "ok", message: str = ""
) -> web.Response:
    body = _body_of(data, status=status, status_text=status_text, message=message)
    return web.Response(
        status=status, body=json.dumps(body).encode(), content_type="application/json"
    )


async def _faulty(
    fault: Fault, endpoint: str, data: list[dict[str, Any]], request: web.Request
) -> web.StreamResponse | None:
    opts = fault.options
    if fault.kind == "timeout":
        await asyncio.sleep(opts.get("delay", 3.0))
        return None  # answered after all, too late for the client
    if fault.kind == "server_error":
        status = opts.get("status", 503)
        return web.Response(status=status, text="<html><h1>503 Service Unavailable</h1></html>")
    if fault.kind == "rate_limit":
        headers = {"Retry-After": str(opts.get("retry_after", 60))}
        body = {"status": "too_many_requests", "http_code": 429, "message": "", "data": None}
        return web.json_response(body, status=429, headers=headers)
    if fault.kind == "not_json":
        return web.Response(status=200, text="<html>Bad gateway</html>", content_type="text/html")
    if fault.kind == "truncated":
        full = json.dumps(_body_of(data))
        return web.Response(
            status=200, body=full[: len(full) // 2].encode(), content_type="application/json"
        )
    if fault.kind == "cut_off":
        full = json.dumps(_body_of(data)).encode()
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        response.content_length = len(full)
        await response.prepare(request)
        await response.write(full[: len(full) // 2])
        assert request.transport is not None
        request.transport.close()
        return response
    if fault.kind == "missing_field":
        default = "id" if endpoint in ("commodities", "terminals") else "id_terminal"
        field_name = opts.get("field", default)
        data[-1].pop(field_name, None)
        return _envelope(data)
    if fault.kind == "status":
        return _envelope(None, status_text=opts.get("status_text", "maintenance"), message="down")
    raise AssertionError(fault.kind)
