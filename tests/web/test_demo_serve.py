"""`redlegion demo --serve`: after the scene the portal serves the demo's data, and a newcomer
signs in as any demo member through the stand-in."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import yarl

from core.demo import play
from core.plugins import PluginManager
from core.runtime import Runtime
from tests.support import make_settings


async def test_demo_serves_the_portal_afterwards(empty_db_url: str, tmp_path: Path) -> None:
    plugins = PluginManager(builtins=("plugins.economy.plugin",), entry_point_group=None)
    runtime = Runtime(make_settings(plugins=plugins), plugins)
    seen: dict[str, str] = {}

    async def browse(url: str) -> None:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(url + "/auth/login", allow_redirects=False) as resp:
                authorize = yarl.URL(resp.headers["Location"])
            async with http.get(authorize) as resp:
                page = await resp.text()
            assert "Commander" in page and "Foreman" in page
            start = page.index("Foreman")
            user_id = page[page.rindex('value="', 0, start) + 7 :].split('"', 1)[0]
            form = {**authorize.query, "user_id": user_id}
            async with http.post(authorize.with_query(None), data=form) as resp:
                seen["guilds"] = await resp.text()  # followed back to the portal, signed in

    text = "\n".join(
        await play(
            runtime,
            database_url=empty_db_url,
            out_dir=tmp_path,
            serve_port=0,
            while_serving=browse,
        )
    )
    assert "== the portal is at http://127.0.0.1:" in text
    assert "Your servers" in seen["guilds"] and "Red Legion" in seen["guilds"]
    assert "officer" in seen["guilds"]
