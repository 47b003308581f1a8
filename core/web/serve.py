"""Serving the portal: on its own (`redlegion web`) or inside `redlegion run`, same loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from core.clock import Clock
from core.config import Settings
from core.plugins import PluginManager
from core.web.portal import Portal

log = logging.getLogger(__name__)


@asynccontextmanager
async def serving(
    settings: Settings,
    plugins: PluginManager,
    *,
    host: str | None = None,
    port: int | None = None,
    clock: Clock | None = None,
) -> AsyncIterator[str]:
    """Serve the portal on host:port (port 0: a free one) while inside; yields its address."""
    host = host or settings.web.host
    port = settings.web.port if port is None else port
    portal = Portal(settings, plugins, clock=clock)
    runner = web.AppRunner(portal.app(), access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        from core.errors import StartupError

        raise StartupError(f"the portal cannot listen on {host}:{port}: {exc.strerror}") from None
    bound = runner.addresses[0][1] if runner.addresses else port
    address = f"http://{host}:{bound}"
    log.info("portal: serving on %s", address)
    try:
        yield address
    finally:
        await runner.cleanup()


async def serve_forever(
    settings: Settings, plugins: PluginManager, *, host: str | None, port: int | None
) -> None:
    async with serving(settings, plugins, host=host, port=port) as address:
        print(f"portal: serving on {address} (Ctrl+C stops it)", flush=True)
        await asyncio.Event().wait()
