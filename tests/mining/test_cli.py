"""`redlegion mining report EVENT_ID --guild ID --out FILE`, run as the real CLI process."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from pypdf import PdfReader

from plugins.mining import events, yields
from plugins.mining.yields import YieldInput
from tests.mining.conftest import ALICE, GUILD, OTHER_GUILD, ROCKS, at

REPO = Path(__file__).resolve().parents[2]


async def redlegion(*args: str, cwd: Path, python: tuple[str, ...] = ()) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "REDLEGION_CONFIG": str(cwd / "none.toml")}
    (cwd / "none.toml").write_text("")
    process = await asyncio.create_subprocess_exec(
        sys.executable, *python, "-m", "core.cli", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


async def test_report_cli_writes_the_pdf(world, voice, tmp_path: Path):
    event = await events.create_event(GUILD, at=at(), name="Shell op")
    async with voice.tracker.changing(GUILD):
        await events.start_event(GUILD, event.id, at=at())
    await voice(ALICE, None, ROCKS, 0)
    async with voice.tracker.changing(GUILD):
        await events.stop_event(GUILD, event.id, at=at(45))
    await yields.add_yields(GUILD, event.id, [YieldInput("Gold", "2")])
    out = tmp_path / "reports" / "op.pdf"
    code, text = await redlegion(
        "mining", "report", str(event.id), "--guild", str(GUILD), "--out", str(out),
        "--database-url", world.url, cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, text
    assert f"wrote {out}" in text
    pages = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Shell op" in pages and "Alice" in pages and "45m 00s" in pages
    assert (await events.get_event(GUILD, event.id)).pdf_generated

    code, text = await redlegion(
        "mining", "report", str(event.id), "--guild", str(OTHER_GUILD), "--out", str(out),
        "--database-url", world.url, cwd=tmp_path,
    )  # fmt: skip
    assert code == 2
    assert f"There is no mining event #{event.id} in this server." in text


async def test_report_cli_does_not_import_discord(world, tmp_path: Path):
    """The report needs no Discord: the command does not pay for importing discord.py."""
    event = await events.create_event(GUILD, at=at(), name="Quiet op")
    await events.start_event(GUILD, event.id, at=at())
    await events.stop_event(GUILD, event.id, at=at(30))
    code, text = await redlegion(
        "mining", "report", str(event.id), "--guild", str(GUILD),
        "--out", str(tmp_path / "op.pdf"), "--database-url", world.url,
        cwd=tmp_path, python=("-X", "importtime"),
    )  # fmt: skip
    assert code == 0, text
    imported = {line.rsplit("|", 1)[1].strip() for line in text.splitlines() if "|" in line}
    assert {"reportlab", "tortoise", "plugins.mining.report"} <= imported  # it did measure
    assert not {name for name in imported if name.split(".")[0] == "discord"}
