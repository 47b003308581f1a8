"""Start-up failures as an operator meets them: one clear line and a non-zero exit, nothing
created or migrated first, network failures retried with backoff.

`redlegion` runs as a real subprocess against the local Discord stand-in (which refuses a
wrong token with 401 like Discord, and is "down" when nothing listens on its port).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import discord
import pytest

from core.errors import BadToken, DiscordUnreachable
from core.startup import backoff_delays, check_login
from fakediscord import FakeDiscord

REPO = Path(__file__).resolve().parents[1]


def redlegion(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DISCORD_TOKEN", "DATABASE_URL", "REDLEGION_CONFIG"}
        and not k.startswith("REDLEGION_DISCORD_")
    }
    environ["PYTHONPATH"] = str(REPO)
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def closed_port() -> int:
    """A loopback port nothing listens on: Discord is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The process failed with exactly one `error:` line and no traceback."""
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


async def test_wrong_token_is_one_line_before_any_database_file(tmp_path: Path):
    world = FakeDiscord()
    async with world.serve(patch_discord=False):
        env = {**world.environ(), "DISCORD_TOKEN": "not-the-bot-token"}
        result = await asyncio.to_thread(redlegion, "run", cwd=tmp_path, **env)
    line = one_error_line(result)
    assert result.returncode == 2
    assert "Discord refused the bot token" in line
    assert "not-the-bot-token" not in result.stderr
    assert not (tmp_path / "redlegion.sqlite3").exists()  # nothing created, nothing migrated
    assert world.gateway.identified == 0


def test_discord_down_is_retried_with_backoff_then_one_line(tmp_path: Path):
    (tmp_path / "config.toml").write_text(
        "[discord]\nlogin_attempts = 3\nlogin_backoff_seconds = 0.2\n"
    )
    started = time.monotonic()
    result = redlegion(
        "run",
        cwd=tmp_path,
        DISCORD_TOKEN="some-token",
        REDLEGION_DISCORD_API_BASE=f"http://127.0.0.1:{closed_port()}/api/v10",
    )
    elapsed = time.monotonic() - started
    line = one_error_line(result)
    assert "cannot reach Discord" in line and "after 3 attempt(s)" in line
    retries = [ln for ln in result.stderr.splitlines() if "retrying in" in ln]
    assert [r.split("retrying in ")[1] for r in retries] == ["0.2 s", "0.4 s"]
    assert elapsed >= 0.6  # it waited between attempts
    assert not (tmp_path / "redlegion.sqlite3").exists()


async def test_login_check_retries_until_discord_answers():
    """Down at the first attempt, up at the second: the bot logs in after one backoff."""
    world = FakeDiscord()
    waited: list[float] = []
    async with contextlib.AsyncExitStack() as stack:

        async def sleep(seconds: float) -> None:
            waited.append(seconds)
            await stack.enter_async_context(world.serve())  # Discord comes back meanwhile

        saved = discord.http.Route.BASE
        discord.http.Route.BASE = f"http://127.0.0.1:{closed_port()}/api/v10"
        try:
            name = await check_login(world.token, attempts=4, backoff_seconds=1.5, sleep=sleep)
        finally:
            discord.http.Route.BASE = saved
    assert name == world.bot_user.name
    assert waited == [1.5]


async def test_login_check_does_not_retry_a_refused_token(fake_discord_server: FakeDiscord):
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    with pytest.raises(BadToken, match="refused the bot token"):
        await check_login("wrong", attempts=5, backoff_seconds=1, sleep=sleep)
    assert waited == []


async def test_login_check_gives_up_after_its_attempts():
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    saved = discord.http.Route.BASE
    discord.http.Route.BASE = f"http://127.0.0.1:{closed_port()}/api/v10"
    try:
        with pytest.raises(DiscordUnreachable, match="after 4 attempt"):
            await check_login("token", attempts=4, backoff_seconds=2, sleep=sleep)
    finally:
        discord.http.Route.BASE = saved
    assert waited == [2, 4, 8]


def test_backoff_doubles_and_is_capped():
    assert backoff_delays(1, 2) == []
    assert backoff_delays(5, 2) == [2, 4, 8, 16]
    assert backoff_delays(8, 10) == [10, 20, 40, 60, 60, 60, 60]


UNREACHABLE_PG = "postgres://postgres:hunter2@127.0.0.1:{port}/redlegion"


@pytest.mark.parametrize("command", [("db", "upgrade"), ("db", "history")])
def test_unreachable_database_is_one_line(tmp_path: Path, command: tuple[str, ...]):
    url = UNREACHABLE_PG.format(port=closed_port())
    result = redlegion(*command, cwd=tmp_path, DATABASE_URL=url)
    line = one_error_line(result)
    assert "cannot reach the database" in line
    assert "hunter2" not in result.stderr + result.stdout  # the password is masked
    assert "[ ]" not in result.stdout  # history lists nothing as pending


async def test_run_with_unreachable_database_is_one_line(tmp_path: Path):
    world = FakeDiscord()
    async with world.serve(patch_discord=False):
        url = UNREACHABLE_PG.format(port=closed_port())
        result = await asyncio.to_thread(
            redlegion, "run", cwd=tmp_path, DATABASE_URL=url, **world.environ()
        )
    line = one_error_line(result)
    assert "cannot reach the database" in line and "hunter2" not in result.stderr
    assert world.gateway.identified == 0


@pytest.mark.parametrize("command", [("db", "upgrade"), ("db", "history")])
def test_sqlite_folder_that_does_not_exist_is_one_line_not_a_hang(
    tmp_path: Path, command: tuple[str, ...]
):
    """The SQLite driver waits forever on a file it cannot create; we say so at once."""
    folder = tmp_path / "no" / "such" / "folder"
    result = redlegion(*command, cwd=tmp_path, DATABASE_URL=f"sqlite://{folder / 'bot.sqlite3'}")
    line = one_error_line(result)
    assert "does not exist" in line and str(folder) in line
    assert not (tmp_path / "no").exists()


async def test_run_with_a_sqlite_folder_that_does_not_exist_is_one_line(tmp_path: Path):
    world = FakeDiscord()
    folder = tmp_path / "no" / "such" / "folder"
    async with world.serve(patch_discord=False):
        env = {**world.environ(), "DATABASE_URL": f"sqlite://{folder / 'bot.sqlite3'}"}
        result = await asyncio.to_thread(redlegion, "run", cwd=tmp_path, **env)
    line = one_error_line(result)
    assert "does not exist" in line and str(folder) in line
    assert world.gateway.identified == 0


def test_db_history_creates_no_database_file(tmp_path: Path):
    """A read-only command: the missing file is reported, not created."""
    file = tmp_path / "bot.sqlite3"
    result = redlegion("db", "history", cwd=tmp_path, DATABASE_URL=f"sqlite://{file}")
    assert result.returncode == 0, result.stderr
    assert "no database yet" in result.stdout
    assert "[ ] core.0001_initial" in result.stdout and "[x]" not in result.stdout
    assert not file.exists()


def _every_command() -> list[tuple[str, ...]]:
    from core.cli import build_parser
    from core.plugins import PluginManager
    from tests.test_cli import _leaf_commands

    return [
        words for words, _ in _leaf_commands(build_parser(PluginManager(entry_point_group=None)))
    ]


@pytest.mark.parametrize("command", _every_command(), ids=" ".join)
def test_mysql_url_is_one_line_from_every_command(
    command: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    """The CLI entry point as `redlegion COMMAND` runs it, with a MySQL DATABASE_URL."""
    from core.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REDLEGION_CONFIG", raising=False)
    monkeypatch.setenv("DATABASE_URL", "mysql://root:hunter2@db.example/redlegion")
    assert main(list(command)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "key 'database_url': unsupported database URL 'mysql://root:***@db.example" in err
    assert "hunter2" not in err


@pytest.mark.parametrize(
    "command", [("db", "upgrade"), ("db", "history"), ("db", "backup"), ("export", "--guild", "1")]
)
def test_mysql_database_url_option_is_one_line(
    command: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    from core.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REDLEGION_CONFIG", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main([*command, "--database-url", "mysql://root:hunter2@db/x"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: unsupported database URL 'mysql://root:***@db/x': use sqlite://PATH or "
        "postgres://USER@HOST/DB\n"
    )


def test_registering_the_commands_leaves_the_pdf_library_for_the_first_report(tmp_path: Path):
    """Start-up builds every plugin's slash commands before it connects: reportlab (a third
    of a second to import) waits for the first PDF asked for."""
    code = (
        "import sys\n"
        "from core.bot import check_commands\n"
        "from core.runtime import Runtime\n"
        "runtime = Runtime.load()\n"
        "check_commands(runtime.settings, runtime.plugins)\n"
        "assert {'economy', 'mining', 'loans'} <= set(runtime.plugins.names)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'reportlab'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("REDLEGION_CONFIG", "DATABASE_URL")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
