"""The aiohttp server on 127.0.0.1 (a free port) and pointing discord.py at it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import discord.gateway
import discord.http
import yarl
from aiohttp import web

from fakediscord.rest import API_PREFIX, RestApi

if TYPE_CHECKING:
    from fakediscord.world import FakeDiscord


class Server:
    def __init__(self, world: FakeDiscord) -> None:
        self.world = world
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """What `discord.http.Route.BASE` must be."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """What `DiscordWebSocket.DEFAULT_GATEWAY` must be (discord.py adds the query)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        rest = RestApi(self.world)
        app = web.Application(middlewares=[rest.middleware])
        app.add_routes(rest.routes())
        app.add_routes(self.world.oauth.routes(API_PREFIX))
        app.router.add_get("/gateway", self.world.gateway.handle)
        app.router.add_route("*", "/{tail:.*}", rest.unknown_route)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@contextmanager
def discord_pointed_at(api_base: str, gateway_url: str) -> Iterator[None]:
    """Point this process's discord.py at the stand-in; put the real URLs back afterwards.

    Both are class attributes, so this affects every client in the process.
    """
    route, ws = discord.http.Route, discord.gateway.DiscordWebSocket
    saved = route.BASE, ws.DEFAULT_GATEWAY
    route.BASE, ws.DEFAULT_GATEWAY = api_base, yarl.URL(gateway_url)
    try:
        yield
    finally:
        route.BASE, ws.DEFAULT_GATEWAY = saved
