"""The portal as an operator runs it: `redlegion web`, and `[web] enabled` inside `run`."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from fakediscord.oauth import DEFAULT_CLIENT_SECRET
from fakediscord.world import FakeDiscord
from tests.support import NO_UEX_SYNC
from tests.web.conftest import Client, free_port, oauth_sign_in

REPO = Path(__file__).resolve().parents[2]


def web_config(world: FakeDiscord, port: int, *, enabled: bool = False) -> str:
    return NO_UEX_SYNC + (
        "[web]\n"
        f"enabled = {'true' if enabled else 'false'}\n"
        f"port = {port}\n"
        f"client_id = {world.application_id}\n"
        f'oauth_base = "{world.base_url}"\n'
        f'api_base = "{world.api_base}"\n'
    )


@asynccontextmanager
async def process(
    tmp_path: Path, url: str, *args: str, env: dict[str, str] | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    environ = {
        **os.environ,
        "DATABASE_URL": url,
        "PYTHONPATH": str(REPO),
        "REDLEGION_CONFIG": str(tmp_path / "config.toml"),
        "REDLEGION_WEB_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        "REDLEGION_DISCORD_GUILD_READY_TIMEOUT": "0.05",
        **(env or {}),
    }
    with (tmp_path / "out.log").open("ab") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "core.cli", *args,
            env=environ, cwd=tmp_path, stdout=out, stderr=out,
        )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()


def tail(log: Path) -> str:
    return log.read_text()[-3000:]


async def answering(url: str, proc: asyncio.subprocess.Process, log: Path) -> None:
    """Wait (up to 60 s, a cold start migrates the database) until the portal answers."""
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            assert proc.returncode is None, tail(log)
            try:
                async with http.get(url + "/") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the portal never answered:\n" + tail(log))


async def test_redlegion_web_serves_and_signs_in(tmp_path: Path, empty_db_url: str) -> None:
    world = FakeDiscord()
    guild = world.guild("Red Legion")
    mia = guild.member("Mia").user.id
    async with world.serve(patch_discord=False):
        port = free_port()
        (tmp_path / "config.toml").write_text(web_config(world, port))
        async with process(tmp_path, empty_db_url, "web") as proc:
            base = f"http://127.0.0.1:{port}"
            await answering(base, proc, tmp_path / "out.log")
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                client = Client(http, base)
                resp = await oauth_sign_in(client, world, mia)
                assert resp.status == 303, (tmp_path / "out.log").read_text()
                async with client.get("/") as page:
                    assert "Your servers" in await page.text()
        assert f"portal: serving on {base}" in (tmp_path / "out.log").read_text()
        assert DEFAULT_CLIENT_SECRET not in (tmp_path / "out.log").read_text()


async def test_web_port_taken_is_one_error_line(tmp_path: Path, empty_db_url: str) -> None:
    world = FakeDiscord()
    async with world.serve(patch_discord=False):
        port = free_port()
        (tmp_path / "config.toml").write_text(web_config(world, port))
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", port)
        try:
            async with process(tmp_path, empty_db_url, "web") as proc:
                assert await asyncio.wait_for(proc.wait(), 60) == 2
        finally:
            server.close()
    out = (tmp_path / "out.log").read_text()
    assert f"error: the portal cannot listen on 127.0.0.1:{port}" in out
    assert "Traceback" not in out


async def test_web_enabled_serves_inside_run(tmp_path: Path, empty_db_url: str) -> None:
    world = FakeDiscord()
    world.guild("Red Legion")
    async with world.serve(patch_discord=False):
        port = free_port()
        (tmp_path / "config.toml").write_text(web_config(world, port, enabled=True))
        async with process(tmp_path, empty_db_url, "run", env=world.environ()) as proc:
            await answering(f"http://127.0.0.1:{port}", proc, tmp_path / "out.log")
            await world.wait_for_identify()  # the bot is up in the same process
