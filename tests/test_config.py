"""Configuration: file lookup, environment overrides, and errors that name file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from core.config import load_settings
from core.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_default_file_means_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert settings.database_url == "sqlite://redlegion.sqlite3"
    assert settings.token is None
    assert settings.source == "(defaults)"


def test_explicit_missing_file_is_an_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", env={})


def test_env_overrides_file(tmp_path: Path):
    path = write(tmp_path, 'token = "from-file"\ndatabase_url = "sqlite://a.sqlite3"\n')
    settings = load_settings(path, env={"DISCORD_TOKEN": "from-env", "DATABASE_URL": "sqlite://b"})
    assert settings.token is not None
    assert settings.token.get_secret_value() == "from-env"
    assert settings.database_url == "sqlite://b"
    assert "from-env" not in repr(settings)


def test_redlegion_config_env_selects_file(tmp_path: Path):
    path = write(tmp_path, 'log_level = "DEBUG"\n')
    assert load_settings(env={"REDLEGION_CONFIG": str(path)}).log_level == "DEBUG"


def test_guild_overrides_and_roles(tmp_path: Path):
    path = write(
        tmp_path,
        """
[plugins]
loans = false
[guilds."123456789012345678"]
plugins = { loans = true }
org_role = 42
roles = { officer = [1, 2], treasurer = [3] }
""",
    )
    settings = load_settings(path, env={})
    guild = settings.guild(123456789012345678)
    assert settings.plugins == {"loans": False}
    assert guild.plugins == {"loans": True}
    assert guild.org_role == 42
    assert guild.roles.officer == [1, 2]
    assert settings.guild(1).plugins == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('log_level = "LOUD"\n', "key 'log_level'"),
        ('[commands]\nscope = "everywhere"\n', "key 'commands.scope'"),
        ('[guilds."abc"]\norg_role = 1\n', "key 'guilds.abc"),
        ('[guilds."1"]\nroles = { captain = [1] }\n', "key 'guilds.1.roles.captain'"),
        ("token = = 1\n", "not valid TOML"),
    ],
)
def test_invalid_file_names_file_and_key(tmp_path: Path, text: str, expected: str):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert str(path) in str(info.value)
    assert expected in str(info.value)


class Knobs(BaseModel):
    cut_percent: int = 10


def test_plugin_sections_validated_and_overlaid(tmp_path: Path):
    path = write(tmp_path, '[knobs]\ncut_percent = 5\n[guilds."7".knobs]\ncut_percent = 15\n')
    settings = load_settings(path, env={})
    settings.bind_plugins({"knobs": Knobs})
    assert settings.plugin_settings("knobs").cut_percent == 5
    assert settings.plugin_settings("knobs", 7).cut_percent == 15
    assert settings.plugin_settings("knobs", 8).cut_percent == 5


def test_bad_plugin_section_names_the_key(tmp_path: Path):
    path = write(tmp_path, '[guilds."7".knobs]\ncut_percent = "lots"\n')
    settings = load_settings(path, env={})
    with pytest.raises(ConfigError, match=r"key 'guilds\.7\.knobs\.cut_percent'"):
        settings.bind_plugins({"knobs": Knobs})


def test_unknown_top_level_key_is_refused(tmp_path: Path):
    path = write(tmp_path, 'databse_url = "sqlite://typo"\n')
    settings = load_settings(path, env={})
    with pytest.raises(ConfigError, match="unknown key 'databse_url'"):
        settings.bind_plugins({"knobs": Knobs})


def test_example_config_is_valid():
    """config.example.toml documents every key, so it must load as it is."""
    from core.runtime import Runtime

    runtime = Runtime.load(Path(__file__).parent.parent / "config.example.toml")
    assert runtime.settings.source.endswith("config.example.toml")


def bound(tmp_path: Path, text: str) -> list[str]:
    """Load `text` and bind it to the built-in plugins; returns plugins not installed."""
    from core.plugins import PluginManager

    settings = load_settings(write(tmp_path, text), env={})
    manager = PluginManager(entry_point_group=None)
    return settings.bind_plugins({spec.name: spec.settings for spec in manager.specs()})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[plugins]\nminnig = false\n", "unknown key 'plugins.minnig'; did you mean 'mining'?"),
        (
            '[guilds."7"]\nplugins = { laons = false }\n',
            "unknown key 'guilds.7.plugins.laons'; did you mean 'loans'?",
        ),
        (
            "[economy]\nuex_sync_minute = 5\n",
            "unknown key 'economy.uex_sync_minute'; did you mean 'uex_sync_minutes'?",
        ),
        (
            '[guilds."7".economy]\nuex_sync_minutes = 5\n',
            "key 'guilds.7.economy.uex_sync_minutes' is top-level only",
        ),
        (
            "[mining]\nheartbeat_second = 5\n",
            "unknown key 'mining.heartbeat_second'; did you mean 'heartbeat_seconds'?",
        ),
        (
            '[guilds."7".loans]\ngrace_dayz = 1\n',
            "unknown key 'guilds.7.loans.grace_dayz'; did you mean 'grace_days'?",
        ),
        (
            '[guilds."7".mining]\nheartbeat_seconds = 5\n',
            "key 'guilds.7.mining.heartbeat_seconds' is top-level only",
        ),
        (
            '[guilds."7".loans]\ncheck_interval_minutes = 5\n',
            "key 'guilds.7.loans.check_interval_minutes' is top-level only",
        ),
        ('source = "elsewhere"\n', "unknown key 'source'"),
        ("[minnig]\norg_cut_percent = 5\n", "unknown key 'minnig'; did you mean 'mining'?"),
        ('[guilds."7".minig]\norg_cut_percent = 5\n', "unknown key 'guilds.7.minig'; did you mean"),
        ("[comands]\nscope = 'none'\n", "unknown key 'comands'; did you mean 'commands'?"),
        ("loglevel = 'INFO'\n", "unknown key 'loglevel'; did you mean 'log_level'?"),
        ("frobnicate = 1\n", "unknown key 'frobnicate'"),
        ('[guilds."7"]\norg_rol = 1\n', "unknown key 'guilds.7.org_rol'; did you mean 'org_role'?"),
        (
            "[discord]\ngatway_url = 'ws://x'\n",
            "unknown key 'discord.gatway_url'; did you mean 'gateway_url'?",
        ),
        (
            '[guilds."7"]\nroles = { oficer = [1] }\n',
            "unknown key 'guilds.7.roles.oficer'; did you mean 'officer'?",
        ),
        ("[mining]\nmin_session_seconds = -1\n", "key 'mining.min_session_seconds'"),
        ("mining = 3\n", "key 'mining' must be a table"),
    ],
)
def test_typos_are_refused_naming_the_key(tmp_path: Path, text: str, expected: str):
    with pytest.raises(ConfigError) as info:
        bound(tmp_path, text)
    assert expected in str(info.value)
    assert str(tmp_path / "config.toml") in str(info.value)


def test_the_right_spellings_are_accepted(tmp_path: Path):
    missing = bound(
        tmp_path,
        """
[plugins]
mining = false
[mining]
heartbeat_seconds = 30
[loans]
check_interval_minutes = 5
[guilds."7"]
plugins = { loans = false }
[guilds."7".mining]
org_cut_percent = 5
""",
    )
    assert missing == []


@pytest.mark.parametrize("level", ["info", "Debug", "WARNING", "error"])
def test_log_level_in_any_case(tmp_path: Path, level: str):
    settings = load_settings(write(tmp_path, f'log_level = "{level}"\n'), env={})
    assert settings.log_level == level.upper()


def test_a_plugin_that_is_not_installed_is_left_out_not_refused(tmp_path: Path):
    """DECIDED: a section or switch naming no installed plugin and close to none of them."""
    missing = bound(
        tmp_path,
        '[plugins]\nhello = true\n[hello]\ngreeting = "hi"\n[guilds."7".webportal]\nport = 1\n',
    )
    assert missing == ["hello", "webportal"]


def test_mysql_url_is_refused_naming_the_key(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"key 'database_url': unsupported database URL"):
        load_settings(write(tmp_path, 'database_url = "mysql://root:pw@h/db"\n'), env={})
    with pytest.raises(ConfigError, match=r"'mysql://root:\*\*\*@h/db'"):
        load_settings(env={"DATABASE_URL": "mysql://root:pw@h/db"})


@pytest.mark.parametrize("where", ["[knobs]", '[guilds."7".knobs]'])
def test_keys_under_a_plugin_without_settings_are_refused(tmp_path: Path, where: str):
    settings = load_settings(write(tmp_path, f"{where}\nfoo = 1\n"), env={})
    with pytest.raises(
        ConfigError, match=r"'(guilds\.7\.)?knobs\.foo': the knobs plugin has no settings"
    ):
        settings.bind_plugins({"knobs": None})
