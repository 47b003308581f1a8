"""Migrations per app: conflicting files refused before anything runs, `downgrade APP zero`
unapplies the whole app, and a plugin that was uninstalled is said to be so, its tables
recorded (core's `app_tables`) so `db drop-app` can remove them. Both backends.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.plugins import PluginManager
from storage import Database, migrations
from storage.models import AppTable
from tests.conftest import THIRDPARTY

CONFLICT = Path(__file__).parent / "data" / "conflict"
FORK_FILES = (
    "tests/data/conflict/redlegion_forked/migrations/0002_mood_a.py",
    "tests/data/conflict/redlegion_forked/migrations/0002_mood_b.py",
)
REPO = Path(__file__).resolve().parents[1]


def redlegion(*args: str, extra_path: list[Path] = (), stdin: str = "", cwd: Path = REPO):
    """`redlegion …` as an operator runs it, answering `stdin` to any question."""
    environ = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DATABASE_URL"}}
    environ.pop("REDLEGION_CONFIG", None)
    environ["PYTHONPATH"] = os.pathsep.join(str(p) for p in extra_path)
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        cwd=cwd,
        env=environ,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def table_names(db: Database) -> set[str]:
    return await migrations._existing_tables(db)


# -- conflicting migration files ---------------------------------------------------------------


def write_app(root: Path, package: str, files: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """A migrations package on disk: {migration name: names of its parents in the app}."""
    folder = root / package / "migrations"
    folder.mkdir(parents=True)
    (root / package / "__init__.py").write_text("")
    (folder / "__init__.py").write_text("")
    for name, parents in files.items():
        deps = [("core", "0001_initial"), *(("x", p) for p in parents)]
        (folder / f"{name}.py").write_text(
            "from tortoise import migrations\n\n\n"
            f"class Migration(migrations.Migration):\n    dependencies = {deps!r}\n"
        )
    return {"x": {"models": [], "migrations": f"{package}.migrations"}}


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"0001_a": [], "0002_b": ["0001_a"], "0003_c": ["0002_b"]}, []),
        (
            {"0001_a": [], "0002_b": ["0001_a"], "0002_c": ["0001_a"]},
            ["x: {0002_b}, {0002_c} all follow x.0001_a"],
        ),
        ({"0001_a": [], "0001_b": []}, ["x: {0001_a}, {0001_b} all are first migrations"]),
        (  # a merge still leaves two migrations with one parent: refused, named once
            {
                "0001_a": [],
                "0002_b": ["0001_a"],
                "0002_c": ["0001_a"],
                "0003": ["0002_b", "0002_c"],
            },
            ["x: {0002_b}, {0002_c} all follow x.0001_a"],
        ),
        (  # a parent named again though an ancestor already: no fork
            {"0001_a": [], "0002_b": ["0001_a"], "0003_c": ["0001_a", "0002_b"]},
            [],
        ),
        (
            {
                "0001_a": [],
                "0002_b": ["0001_a"],
                "0003_c": ["0001_a", "0002_b"],
                "0003_d": ["0002_b"],
            },
            ["x: {0003_c}, {0003_d} all follow x.0002_b"],
        ),
    ],
    ids=["one-line", "fork", "two-initials", "merged-fork", "redundant-parent", "fork-later"],
)
def test_conflicts_are_read_from_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, list[str]], expected
):
    package = f"conflict_case_{abs(hash(tuple(files))) % 10**8}"
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    config = write_app(tmp_path, package, files)
    found = migrations.conflicts(config)
    assert found == [
        line.format(**{n: f"{package}/migrations/{n}.py" for n in files}) for line in expected
    ]


async def test_conflicting_migrations_apply_nothing(
    empty_db_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.syspath_prepend(str(CONFLICT))
    monkeypatch.chdir(REPO)
    async with Database(empty_db_url, PluginManager().specs()) as db:
        for attempt in (migrations.upgrade(db), migrations.pending(db)):
            with pytest.raises(migrations.MigrationConflict) as refused:
                await attempt
            assert f"{FORK_FILES[0]}, {FORK_FILES[1]} all follow forked.0001_initial" in str(
                refused.value
            )
        assert await migrations.is_empty(db)  # not even core's migrations ran


def test_db_upgrade_names_the_conflicting_files_and_exits_non_zero(empty_db_url: str):
    result = redlegion("db", "upgrade", "--database-url", empty_db_url, extra_path=[CONFLICT])
    assert result.returncode == 2, result.stdout + result.stderr
    assert "conflicting migrations, nothing was applied" in result.stderr
    assert f"forked: {FORK_FILES[0]}, {FORK_FILES[1]}" in result.stderr
    assert "applying" not in result.stdout
    history = redlegion("db", "history", "--database-url", empty_db_url, extra_path=[CONFLICT])
    assert history.returncode == 2 and FORK_FILES[1] in history.stderr
    clean = redlegion("db", "history", "--database-url", empty_db_url)
    assert "[x]" not in clean.stdout  # nothing was applied


# -- downgrade APP zero (issue 14) -------------------------------------------------------------

LOANS_MIGRATIONS = sorted(p.stem for p in (REPO / "plugins" / "loans" / "migrations").glob("0*.py"))


async def test_downgrade_zero_unapplies_every_migration_of_the_app(db: Database):
    steps = await migrations.downgrade(db, "loans", "zero")
    # newest first, each of the app's migrations once
    assert [str(s) for s in steps] == [f"- loans.{name}" for name in reversed(LOANS_MIGRATIONS)]
    assert not {"loans", "loan_repayments"} & await table_names(db)
    assert not [m for m in await migrations.history(db) if m[0] == "loans"]
    assert "loans" not in await migrations.recorded_tables(db)
    assert "mining_events" in await table_names(db)  # other apps untouched
    assert await migrations.upgrade(db) == len(LOANS_MIGRATIONS)
    assert {"loans", "loan_repayments"} <= await table_names(db)
    assert (await migrations.recorded_tables(db))["loans"] == ["loan_repayments", "loans"]


async def test_downgrade_zero_takes_the_apps_that_depend_on_it_along(db: Database):
    steps = [str(s) for s in await migrations.downgrade(db, "economy", "zero")]
    assert "- economy.0001_initial" in steps and "- mining.0001_initial" in steps
    assert steps.index("- mining.0001_initial") < steps.index("- economy.0001_initial")
    assert {app for app, _ in await migrations.history(db)} == {"core", "loans"}
    assert not {"ledger_entries", "mining_events"} & await table_names(db)
    assert await migrations.upgrade(db) == len(steps)


def test_cli_downgrade_zero(empty_db_url: str):
    assert redlegion("db", "upgrade", "--database-url", empty_db_url).returncode == 0
    down = redlegion("db", "downgrade", "loans", "zero", "--database-url", empty_db_url)
    assert down.returncode == 0, down.stderr
    assert down.stdout == "".join(
        f"unapplied loans.{name}\n" for name in reversed(LOANS_MIGRATIONS)
    )
    again = redlegion("db", "downgrade", "loans", "zero", "--database-url", empty_db_url)
    assert again.stdout == "nothing to unapply: loans is at zero already\n"
    history = redlegion("db", "history", "--database-url", empty_db_url)
    assert "[ ] loans.0001_initial" in history.stdout


# -- an uninstalled plugin ---------------------------------------------------------------------


async def test_each_apps_tables_are_recorded(db: Database):
    recorded = await migrations.recorded_tables(db)
    assert recorded["loans"] == ["loan_repayments", "loans"]
    assert "app_tables" in recorded["core"] and "mining_member_times" in recorded["mining"]
    everything = {t for tables in recorded.values() for t in tables}
    assert everything == await table_names(db) - {"tortoise_migrations", "sqlite_sequence"}


async def hello_then_uninstalled(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Migrate with the hello plugin installed, write a greeting, then take the plugin away."""
    with monkeypatch.context() as installed:
        installed.syspath_prepend(str(THIRDPARTY))
        async with Database(url, PluginManager().specs()) as db:
            await migrations.upgrade(db)
            conn = db.connection()
            await conn.execute_query(
                "INSERT INTO guilds (id, name, settings, created_at, updated_at) "
                "VALUES (1, 'G', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
            await conn.execute_query(
                "INSERT INTO hello_greetings (guild_id, user_id, text, mood, created_at) "
                "VALUES (1, 5, 'o7', 'calm', CURRENT_TIMESTAMP)"
            )


async def test_uninstalled_plugin_is_named_and_its_tables_dropped(
    empty_db_url: str, monkeypatch: pytest.MonkeyPatch
):
    await hello_then_uninstalled(empty_db_url, monkeypatch)
    async with Database(empty_db_url, PluginManager(entry_point_group=None).specs()) as db:
        assert await migrations.uninstalled_apps(db) == ["hello"]
        with pytest.raises(migrations.AppNotInstalled, match="plugin 'hello' is not installed"):
            await migrations.downgrade(db, "hello", "zero")
        with pytest.raises(ValueError, match="unknown app 'nosuch'"):
            await migrations.downgrade(db, "nosuch", "zero")
        with pytest.raises(ValueError, match="'mining' is installed"):
            await migrations.drop_app(db, "mining")

        # another table pointing at hello's: refused, nothing dropped
        conn = db.connection()
        await conn.execute_script(
            "CREATE TABLE keeps_greetings (id INTEGER PRIMARY KEY, "
            "greeting_id BIGINT REFERENCES hello_greetings (id))"
        )
        with pytest.raises(ValueError, match="keeps_greetings -> hello_greetings"):
            await migrations.drop_app(db, "hello")
        assert "hello_greetings" in await table_names(db)
        assert await migrations.uninstalled_apps(db) == ["hello"]
        await conn.execute_script("DROP TABLE keeps_greetings")

        assert await migrations.drop_app(db, "hello") == ["hello_greetings"]
        assert "hello_greetings" not in await table_names(db)
        assert not [m for m in await migrations.history(db) if m[0] == "hello"]
        assert not await AppTable.filter(app="hello").exists()
        assert await migrations.uninstalled_apps(db) == []
        with pytest.raises(ValueError, match="holds nothing of an app named 'hello'"):
            await migrations.drop_app(db, "hello")
        assert await migrations.pending(db) == []


async def test_cli_for_an_uninstalled_plugin(empty_db_url: str, monkeypatch: pytest.MonkeyPatch):
    await hello_then_uninstalled(empty_db_url, monkeypatch)
    url = ("--database-url", empty_db_url)
    history = redlegion("db", "history", *url)
    assert history.returncode == 0, history.stderr
    assert "[x] hello.0002_add_mood  (plugin not installed)" in history.stdout
    assert "[x] loans.0001_initial\n" in history.stdout
    assert "hello: the plugin is not installed; its tables stay until " in history.stdout

    down = redlegion("db", "downgrade", "hello", "zero", *url)
    assert down.returncode == 2
    assert "the plugin 'hello' is not installed" in down.stderr
    assert "redlegion db drop-app hello" in down.stderr

    declined = redlegion("db", "drop-app", "hello", *url, stdin="n\n")
    assert declined.returncode == 1
    assert "drop 1 table(s) (hello_greetings) of the uninstalled plugin 'hello'" in (
        declined.stdout
    )
    assert declined.stdout.endswith("nothing dropped\n")
    no_answer = redlegion("db", "drop-app", "hello", *url)  # stdin closed: no
    assert no_answer.returncode == 1
    assert "hello.0001_initial" in redlegion("db", "history", *url).stdout

    confirmed = redlegion("db", "drop-app", "hello", *url, stdin="y\n")
    assert confirmed.returncode == 0, confirmed.stderr
    assert confirmed.stdout.endswith("dropped hello_greetings; hello's migrations forgotten\n")
    assert "hello" not in redlegion("db", "history", *url).stdout
    gone = redlegion("db", "drop-app", "hello", "--yes", *url)
    assert gone.returncode == 2
    assert "holds nothing of an app named 'hello'" in gone.stderr


async def test_cli_drop_app_yes_asks_nothing(empty_db_url: str, monkeypatch: pytest.MonkeyPatch):
    await hello_then_uninstalled(empty_db_url, monkeypatch)
    result = redlegion("db", "drop-app", "hello", "--yes", "--database-url", empty_db_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "dropped hello_greetings; hello's migrations forgotten\n"


async def test_history_tells_a_left_out_plugin_from_an_uninstalled_one(
    empty_db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    """A plugin installed but left out (here: by hand, as a clash would) keeps its tables:
    history says why it is missing instead of offering to drop them."""
    import argparse

    from core.cli import cmd_db_history
    from core.runtime import Runtime
    from tests.support import make_settings

    await hello_then_uninstalled(empty_db_url, monkeypatch)
    monkeypatch.syspath_prepend(str(THIRDPARTY))
    plugins = PluginManager()
    plugins.leave_out("hello", "slash command /hello is already taken by plugin 'other'")
    runtime = Runtime(make_settings({}, plugins), plugins)
    assert await cmd_db_history(argparse.Namespace(database_url=empty_db_url), runtime) == 0
    out = capsys.readouterr().out
    assert "[x] hello.0001_initial  (plugin left out)" in out
    assert "hello: the plugin is installed but left out: slash command /hello is already" in out
    assert "drop-app" not in out


async def test_drop_app_without_recorded_tables_says_they_stay(
    empty_db_url: str, monkeypatch: pytest.MonkeyPatch
):
    """A plugin uninstalled before tables were recorded: its migrations can be forgotten, and
    the operator is told its tables are not dropped rather than shown "dropped"."""
    await hello_then_uninstalled(empty_db_url, monkeypatch)
    async with Database(empty_db_url, PluginManager(entry_point_group=None).specs()) as db:
        await AppTable.filter(app="hello").delete()
    url = ("--database-url", empty_db_url)
    result = redlegion("db", "drop-app", "hello", *url, stdin="y\n")
    assert result.returncode == 0, result.stderr
    assert "no tables are recorded for hello" in result.stdout
    assert "forget the migrations of 'hello'? [y/N]" in result.stdout
    assert result.stdout.endswith("dropped no tables; hello's migrations forgotten\n")
    async with Database(empty_db_url, PluginManager(entry_point_group=None).specs()) as db:
        assert "hello_greetings" in await table_names(db)
        assert await migrations.uninstalled_apps(db) == []
