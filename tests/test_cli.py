"""The `redlegion` command as a user runs it: a real subprocess, its output and exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import THIRDPARTY

BROKEN = THIRDPARTY.parent / "broken"


def redlegion(*args: str, cwd: Path, extra_path: list[Path] = (), **env: str):
    environ = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DATABASE_URL"}}
    environ.pop("REDLEGION_CONFIG", None)
    environ["PYTHONPATH"] = os.pathsep.join(str(p) for p in extra_path)
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


def test_help_lists_commands(tmp_path: Path):
    result = redlegion("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("run", "db", "plugins", "config"):
        assert command in result.stdout


def test_run_without_token_says_how_to_fix(tmp_path: Path):
    result = redlegion("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "no Discord bot token" in result.stderr
    assert "DISCORD_TOKEN" in result.stderr
    assert not (tmp_path / "redlegion.sqlite3").exists()


def test_bad_config_names_file_and_key(tmp_path: Path):
    (tmp_path / "config.toml").write_text('[commands]\nscope = "sometimes"\n')
    result = redlegion("config", "check", cwd=tmp_path)
    assert result.returncode == 2
    assert "config.toml: key 'commands.scope'" in result.stderr


def test_config_check_reports_plugins(tmp_path: Path):
    result = redlegion("config", "check", cwd=tmp_path, DISCORD_TOKEN="x")
    assert result.returncode == 0, result.stderr
    assert "token: set" in result.stdout
    assert "economy, mining, loans" in result.stdout


def test_upgrade_history_and_check_on_each_backend(tmp_path: Path, empty_db_url: str):
    up = redlegion("db", "upgrade", "--database-url", empty_db_url, cwd=tmp_path)
    assert up.returncode == 0, up.stderr
    assert "applying core.0001_initial" in up.stdout
    again = redlegion("db", "upgrade", "--database-url", empty_db_url, cwd=tmp_path)
    assert "database is up to date" in again.stdout
    history = redlegion("db", "history", "--database-url", empty_db_url, cwd=tmp_path)
    assert "[x] core.0001_initial" in history.stdout
    assert "[ ]" not in history.stdout
    check = redlegion(
        "db", "makemigrations", "--check", "--database-url", empty_db_url, cwd=tmp_path
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "models and migrations agree" in check.stdout


def test_plugins_list_shows_sources_and_broken_plugins(tmp_path: Path):
    result = redlegion("plugins", "list", cwd=tmp_path, extra_path=[THIRDPARTY, BROKEN])
    assert result.returncode == 1, result.stderr  # a plugin was left out
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert "built-in" in lines["economy"]
    assert "enabled" in lines["mining"]
    assert "entry point hello (redlegion-hello)" in lines["hello"]
    assert "left out" in lines["broken"]
    assert "import failed" in lines["broken"]


def test_plugins_list_per_guild_reason(tmp_path: Path):
    (tmp_path / "config.toml").write_text(
        '[plugins]\nloans = false\n[guilds."42"]\nplugins = { mining = false }\n'
    )
    result = redlegion("plugins", "list", "--guild", "42", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert "disabled (config [guilds.42] plugins)" in lines["mining"]
    assert "disabled (config [plugins] default)" in lines["loans"]
    assert "enabled (plugin default)" in lines["economy"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_run_refuses_a_database_behind_its_migrations(tmp_path: Path, empty_db_url: str):
    """Data present but migrations pending: the bot says so and exits; --upgrade would apply.
    (The token is good: the stand-in answers the login check that comes first.)"""
    import asyncio

    from fakediscord import FakeDiscord

    up = redlegion("db", "upgrade", "--database-url", empty_db_url, cwd=tmp_path)
    assert up.returncode == 0, up.stderr
    world = FakeDiscord()
    async with world.serve(patch_discord=False):
        result = await asyncio.to_thread(
            redlegion,
            "run",
            cwd=tmp_path,
            extra_path=[THIRDPARTY],
            DATABASE_URL=empty_db_url,
            **world.environ(),
        )
    assert result.returncode == 2
    assert "behind its migrations" in result.stderr
    assert "hello.0001_initial" in result.stderr
    assert "--upgrade" in result.stderr


def test_downgrade_unknown_app_is_refused(tmp_path: Path, empty_db_url: str):
    result = redlegion(
        "db", "downgrade", "nosuch", "zero", "--database-url", empty_db_url, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "unknown app 'nosuch'" in result.stderr


def test_demo_plays_a_sunday_op_without_a_token(tmp_path: Path):
    """The README's "run it" command: stand-in, real bot, throw-away SQLite, PDFs written."""
    result = redlegion("demo", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "Commander > /plugins list" in out
    assert "*** the bot is back and reconciles who is in voice ***" in out
    assert "**Payroll for #1 Sunday Mining** (committed, by time in channel)" in out
    assert "<@" not in out  # mentions are shown as names
    pdfs = sorted(p.name for p in (tmp_path / "out").glob("*.pdf"))
    assert any(name.startswith("mining_event_1") for name in pdfs)
    assert all((tmp_path / "out" / name).read_bytes().startswith(b"%PDF") for name in pdfs)
    assert not list(tmp_path.glob("*.sqlite3"))  # the demo's database was thrown away


def _leaf_commands(parser, prefix: tuple[str, ...] = ()):
    """Every runnable `redlegion …` command with its parser, plugins' included."""
    import argparse

    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield prefix, parser
        return
    for name, child in subs[0].choices.items():
        yield from _leaf_commands(child, (*prefix, name))


def test_every_command_that_touches_data_takes_database_url():
    """One option, one wording: an operator can point any data command at any database."""
    from core.cli import build_parser
    from core.plugins import PluginManager
    from core.runtime import DATABASE_URL_HELP

    leaves = dict(_leaf_commands(build_parser(PluginManager(entry_point_group=None))))
    no_data = {("config", "check")}
    assert ("report", "finances") in leaves and ("mining", "report") in leaves
    for words, parser in leaves.items():
        options = {o: a for a in parser._actions for o in a.option_strings}
        if words in no_data:
            continue
        assert "--database-url" in options, f"redlegion {' '.join(words)} lacks --database-url"
        if words != ("demo",):  # the demo's default is a throw-away file, and says so
            assert options["--database-url"].help == DATABASE_URL_HELP, words


def test_the_demo_runs_again_on_its_database_and_the_cli_reports_on_it(
    tmp_path: Path, empty_db_url: str
):
    """Kept with --database-url, each run is an org of its own (a second run used to trip over
    the first one's loans), and the closing summary's command reports the op and the loans
    (the demo plays in the last 30 days, the CLI's default period)."""
    guilds = []
    for run in (1, 2):
        out = tmp_path / f"out{run}"
        result = redlegion("demo", "--out", str(out), "--database-url", empty_db_url, cwd=tmp_path)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "Something went wrong" not in result.stdout
        summary = result.stdout.split("== the demo is over ==", 1)[1]
        for pdf in out.glob("*.pdf"):
            assert f"wrote {pdf}" in summary
        assert len(list(out.glob("*.pdf"))) == 2  # the op's and the finance report
        guilds.append(summary.split("guild id (for the CLI's --guild): ", 1)[1].split()[0])
        assert f"redlegion report finances --guild {guilds[-1]} --database-url" in summary
    assert guilds[0] != guilds[1]
    result = redlegion(
        "report", "finances", "--guild", guilds[1], "--database-url", empty_db_url,
        "--out", str(tmp_path / "report"), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    figures = {
        line.rsplit(None, 1)[0].strip(): line.rsplit(None, 1)[1]
        for line in result.stdout.splitlines()
        if line.startswith("  ")
    }
    assert figures, result.stdout
    nonzero = {name for name, value in figures.items() if value.strip("0.,-")}
    assert any("payout" in name.lower() for name in nonzero), figures
    assert any("loan" in name.lower() for name in nonzero), figures


@pytest.mark.parametrize("command", [("plugins", "list"), ("config", "check")])
def test_a_configured_plugin_that_is_not_installed_is_left_out_and_exits_1(
    tmp_path: Path, command: tuple[str, ...]
):
    (tmp_path / "config.toml").write_text('[plugins]\nhello = false\n[hello]\ngreeting = "hi"\n')
    result = redlegion(*command, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "hello" in result.stdout and "configured but not installed" in result.stdout
    assert "plugin 'hello'" in result.stderr  # the warning the bot logs at start


def test_config_check_refuses_a_typo_with_a_suggestion(tmp_path: Path):
    (tmp_path / "config.toml").write_text("[plugins]\nminnig = false\n")
    result = redlegion("config", "check", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "error: config.toml: unknown key 'plugins.minnig'; did you mean 'mining'?\n"
    )


def test_a_third_party_plugins_cli_command_runs_on_each_backend(tmp_path: Path, empty_db_url: str):
    """The example plugin's `redlegion hello` (its `redlegion_cli` hook), as a user runs it."""
    up = redlegion(
        "db", "upgrade", "--database-url", empty_db_url, cwd=tmp_path, extra_path=[THIRDPARTY]
    )
    assert up.returncode == 0, up.stderr
    assert "applying hello.0001_initial" in up.stdout
    result = redlegion(
        "hello", "--database-url", empty_db_url, cwd=tmp_path, extra_path=[THIRDPARTY]
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0 greeting(s)"
    listed = redlegion("--help", cwd=tmp_path, extra_path=[THIRDPARTY])
    assert "greetings: count them" in listed.stdout
