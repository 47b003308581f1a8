"""Secrets stay out of what the bot prints and logs: database passwords, the bot token,
interaction and webhook tokens; a config file holding the token that others can read is
called out."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

import discord
import pytest

from core.redaction import RedactingFilter, mask_url, redact
from fakediscord import FakeDiscord
from tests.support import NO_UEX_SYNC
from tests.test_startup import redlegion

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://bot:s3cret@db:5432/rl", "postgres://bot:***@db:5432/rl"),
        ("postgres://bot:p@ss:w@db/rl", "postgres://bot:***@db/rl"),  # a raw '@' in it
        ("postgres://bot@db/rl?password=s3cret&ssl=1", "postgres://bot@db/rl?password=***&ssl=1"),
        ("postgres://bot@db/rl", "postgres://bot@db/rl"),
        ("sqlite://redlegion.sqlite3", "sqlite://redlegion.sqlite3"),
        ("mysql://root:s3cret@h/db", "mysql://root:***@h/db"),
    ],
)
def test_mask_url_hides_the_password_only(url: str, shown: str):
    assert mask_url(url) == shown


def test_redact_hides_interaction_and_webhook_tokens_and_known_secrets():
    line = (
        "POST http://127.0.0.1:1/api/v10/interactions/123/aW50ZXJhY3Rpb24/callback "
        "with {'type': 4} has returned 200; PATCH https://discord.com/api/v10/webhooks/456/"
        "d2ViaG9vaw/messages/@original; {'t': 'INTERACTION_CREATE', 'd': {'token': 'aW50', "
        "'id': '9'}} {\"token\": \"abc\"} Bot BOTTOKEN"
    )
    clean = redact(line, ["BOTTOKEN"])
    for secret in ("aW50ZXJhY3Rpb24", "d2ViaG9vaw", "'aW50'", '"abc"', "BOTTOKEN"):
        assert secret not in clean
    assert "/interactions/123/***/callback" in clean
    assert "/webhooks/456/***/messages/@original" in clean
    assert "'token': '***'" in clean and '"token": "***"' in clean


def test_filter_rewrites_message_arguments_and_tracebacks():
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Keep()
    handler.addFilter(RedactingFilter(["BOTTOKEN"]))
    logger = logging.getLogger("test_secrets.filter")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("%s %s", "GET", "/webhooks/1/wEbHoOk")
        try:
            raise RuntimeError("login with BOTTOKEN failed")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    assert records[0] == "GET /webhooks/1/***"
    assert "BOTTOKEN" not in records[1] and "login with *** failed" in records[1]


def test_config_check_masks_the_database_password(tmp_path: Path):
    url = "postgres://redlegion:hunter2@db.example:5432/redlegion"
    result = redlegion("config", "check", cwd=tmp_path, DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert "database: postgres://redlegion:***@db.example:5432/redlegion" in result.stdout
    assert "hunter2" not in result.stdout + result.stderr


def test_config_file_with_token_readable_by_others_is_called_out(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text('token = "from-the-file"\n')
    config.chmod(0o644)
    result = redlegion("config", "check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "warning: config.toml holds the bot token and is readable by group/others (mode 0644): "
        "run `chmod 600 config.toml`" in result.stdout
    )
    assert "from-the-file" not in result.stdout + result.stderr
    other = redlegion("db", "history", cwd=tmp_path)  # every command says it, on stderr
    assert "warning: config.toml holds the bot token" in other.stderr

    config.chmod(0o600)
    quiet = redlegion("config", "check", cwd=tmp_path)
    assert "readable" not in quiet.stdout + quiet.stderr


def test_config_file_without_token_is_not_called_out(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text('log_level = "INFO"\n')
    config.chmod(0o644)
    result = redlegion("config", "check", cwd=tmp_path, DISCORD_TOKEN="from-env")
    assert "readable" not in result.stdout + result.stderr


async def test_debug_log_of_a_running_bot_holds_no_token(tmp_path: Path, empty_db_url: str):
    """The real `redlegion run` at DEBUG: a member runs /help (an interaction callback, its
    token in the route and in the gateway event) and the log shows none of the tokens."""
    world = FakeDiscord(token="Bot.Token.For-This-Test", timeout=30)
    guild = world.guild("Red Legion")
    ace = guild.member("Ace", roles=[guild.role("Lead", permissions=discord.Permissions(8))])
    log = tmp_path / "bot.log"
    config = tmp_path / "config.toml"
    # [notinstalled]: a section for a plugin this bot does not have starts it with a warning
    config.write_text(f'log_level = "debug"\n[notinstalled]\ngreeting = "hi"\n{NO_UEX_SYNC}')
    env = {
        **os.environ,
        "DATABASE_URL": empty_db_url,
        "PYTHONPATH": str(REPO),
        "REDLEGION_CONFIG": str(config),
        "REDLEGION_DISCORD_GUILD_READY_TIMEOUT": "0.05",
    }
    async with world.serve(patch_discord=False):
        env.update(world.environ())
        with log.open("wb") as out:
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "core.cli", "run", env=env, cwd=tmp_path,
                stdout=out, stderr=out,
            )  # fmt: skip
        try:
            await world.wait_for_identify(1)
            reply = await ace.slash("help")
            assert "/help" in reply.text
            followed = await ace.slash("plugins list")  # a second interaction, a second token
            assert "mining" in followed.text
        finally:
            bot.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(bot.wait(), 30)
            except TimeoutError:
                bot.kill()
                await bot.wait()
    text = log.read_text()
    tokens = list(world.interactions)
    assert len(tokens) == 2
    assert "WebSocket Event" in text and "INTERACTION_CREATE" in text  # DEBUG was on
    assert "/callback" in text
    for secret in (*tokens, world.token):
        assert secret not in text
    assert "/interactions/" in text and "/***/callback" in text
    assert "plugin 'notinstalled'" in text and "not installed" in text


def test_log_secrets_include_plugin_secrets_and_the_database_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from core.plugins import PluginManager
    from core.runtime import Runtime

    config = tmp_path / "config.toml"
    config.write_text(
        'token = "bot-token"\ndatabase_url = "postgres://bot:db-pass@h/rl"\n'
        '[economy]\nuex_token = "uex-secret"\n'
    )
    config.chmod(0o600)
    for name in ("DATABASE_URL", "DISCORD_TOKEN", "UEX_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    runtime = Runtime.load(config, PluginManager(entry_point_group=None))
    secrets = runtime.secrets("postgres://other:cli-pass@h/rl")
    assert {"bot-token", "uex-secret", "db-pass", "cli-pass"} <= set(secrets)
