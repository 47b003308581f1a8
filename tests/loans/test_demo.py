"""The loans scene of `redlegion demo` plays through on each backend."""

from __future__ import annotations

from pathlib import Path

from core.demo import play
from core.plugins import PluginManager
from core.runtime import Runtime
from tests.support import make_settings


async def test_the_demo_scene_plays(empty_db_url: str, tmp_path: Path):
    plugins = PluginManager(
        builtins=("plugins.economy.plugin", "plugins.loans.plugin"), entry_point_group=None
    )
    runtime = Runtime(make_settings(plugins=plugins), plugins)
    text = "\n".join(await play(runtime, database_url=empty_db_url, out_dir=tmp_path))
    assert "-- loans: borrow, approve, repay, default --" in text
    assert "needs the treasurer level" in text
    assert "approved: 250,000.00 aUEC paid out" in text
    assert "pay at most 162,500.00" in text
    assert "The loan is paid off." in text
    assert "has defaulted: 37,000.53 aUEC unpaid" in text  # 40,000.50 + 2,000.03 − 5,000
    assert "Something went wrong" not in text
