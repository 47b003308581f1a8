"""The mining scene of `redlegion demo` plays through on each backend."""

from __future__ import annotations

from pathlib import Path

from core.clock import SystemClock
from core.demo import demo_start, play
from core.plugins import PluginManager
from core.runtime import Runtime
from tests.support import make_settings


async def test_the_sunday_op_plays(empty_db_url: str, tmp_path: Path):
    plugins = PluginManager(
        builtins=("plugins.economy.plugin", "plugins.mining.plugin"), entry_point_group=None
    )
    runtime = Runtime(make_settings(plugins=plugins), plugins)
    text = "\n".join(await play(runtime, database_url=empty_db_url, out_dir=tmp_path))
    assert "-- mining: a Sunday op from voice to payroll --" in text
    assert "3 member(s) already in mining channels count from now" in text
    assert "*** the bot is back and reconciles who is in voice ***" in text
    assert "is over after 3h 12m 00s with 12 participant(s)" in text
    committed = text.split("(committed, by time in channel)", 1)[1]
    rows = {line.split()[0]: line.split()[1:] for line in committed.splitlines() if line.strip()}
    # left while the bot was down: counted until its last sign of life, then set by hand
    assert "Ghost                   1h 20m 00s\n" in text
    assert "(the bot counted 1h 20m 00s): left at 19:48 while the bot was down" in text
    assert rows["Ghost"][:3] == ["1h", "23m", "00s"]
    assert rows["Echo"][:3] == ["2h", "35m", "00s"]  # came back while it was down
    assert rows["Flint"][:3] == ["2h", "37m", "00s"]  # 25 minutes AFK do not count
    assert rows["Kestrel"][-1] == "donated"
    assert "Marked 1 payout(s) paid" in text
    day = demo_start(SystemClock().now().date())
    assert (day.weekday(), day.hour) == (6, 18), "a Sunday evening op"
    assert (tmp_path / f"mining_event_1_{day:%Y%m%d}.pdf").read_bytes().startswith(b"%PDF")
    assert "Something went wrong" not in text
