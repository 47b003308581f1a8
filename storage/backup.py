"""Whole-database backups and restores, consistent while the bot writes.

SQLite is copied through its online backup API (one step, under a read lock, so the copy is
one consistent state of the file even while another connection writes). PostgreSQL is dumped by
`pg_dump` in its custom format (one snapshot of the database) and restored by `pg_restore`; the
password goes to them through the environment, never on a command line that `ps` shows.

A restore goes into an empty database only, and refuses a backup whose applied migrations this
code does not have (a backup from a newer version) or that is not a backup of this kind at all.
A backup from an older version restores, and `redlegion db upgrade` then brings it forward.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from tortoise.backends.base.config_generator import expand_db_url

from storage.database import backend_of

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
MIGRATIONS_TABLE = "tortoise_migrations"


class BackupError(Exception):
    """A backup or restore that cannot be done, with a message naming why."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds: which backend it is for and the migrations it had applied."""

    backend: str
    migrations: frozenset[tuple[str, str]]


def sqlite_path(url: str) -> Path:
    """The file behind a `sqlite://PATH` URL."""
    return Path(url.split("://", 1)[1].split("?", 1)[0])


def pg_environment(url: str) -> dict[str, str]:
    """libpq's variables for a Tortoise PostgreSQL URL (its query options are Tortoise's own)."""
    creds = expand_db_url(url)["credentials"]
    env = dict(os.environ)
    env.update(
        PGHOST=str(creds.get("host") or "127.0.0.1"),
        PGPORT=str(creds.get("port") or 5432),
        PGUSER=str(creds.get("user") or "postgres"),
        PGDATABASE=str(creds.get("database") or ""),
    )
    if creds.get("password"):
        env["PGPASSWORD"] = str(creds["password"])
    return env


def kind_of(path: Path) -> str:
    """`sqlite` or `postgres` from a backup file's first bytes; anything else is refused."""
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgres"
    raise BackupError(f"{path} is not a Red Legion backup (neither a SQLite file nor a pg_dump)")


# -- backup -----------------------------------------------------------------------------------


async def backup(url: str, out: Path) -> int:
    """Write a consistent copy of the database at `url` to `out` (which must not exist yet);
    returns the size written."""
    await asyncio.to_thread(_check_out, out)
    if backend_of(url) == "sqlite":
        await asyncio.to_thread(_sqlite_copy, sqlite_path(url), out, must_exist=True)
    else:
        await _run(
            _tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            f"--file={out}",
            env=pg_environment(url),
        )
    return (await asyncio.to_thread(out.stat)).st_size


def _check_out(out: Path) -> None:
    if out.exists():
        raise BackupError(f"{out} exists already; choose another --out")
    if not out.parent.is_dir():
        raise BackupError(f"folder {out.parent} does not exist")


def _sqlite_copy(source: Path, target: Path, *, must_exist: bool) -> None:
    if must_exist and not source.is_file():
        raise BackupError(f"no database file at {source}")
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # pages=-1: the whole file in one step, one consistent state
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} is not a readable SQLite database ({exc})") from None
    finally:
        src.close()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed; install PostgreSQL's client tools "
            "(e.g. `apt-get install postgresql-client`) to back up or restore PostgreSQL"
        )
    return found


async def _run(*argv: str, env: dict[str, str]) -> bytes:
    proc = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await proc.communicate()
    if proc.returncode != 0:
        lines = stderr.decode(errors="replace").strip().splitlines()
        why = lines[-1] if lines else f"exit status {proc.returncode}"
        raise BackupError(f"{Path(argv[0]).name} failed: {why}")
    return stdout


# -- reading a backup -------------------------------------------------------------------------


async def inspect(path: Path) -> BackupInfo:
    """Which backend a backup is for and the migrations it had applied."""
    kind = kind_of(path)
    if kind == "sqlite":
        applied = await asyncio.to_thread(_sqlite_migrations, path)
    else:
        applied = await _pgdump_migrations(path)
    return BackupInfo(kind, frozenset(applied))


def _sqlite_migrations(path: Path) -> set[tuple[str, str]]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute(f'SELECT app, name FROM "{MIGRATIONS_TABLE}"').fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} holds no Red Legion database ({exc})") from None
    finally:
        conn.close()
    return {(str(app), str(name)) for app, name in rows}


async def _pgdump_migrations(path: Path) -> set[tuple[str, str]]:
    """Read the migration records out of a custom-format dump without restoring it."""
    out = await _run(
        _tool("pg_restore"),
        "--data-only",
        f"--table={MIGRATIONS_TABLE}",
        "--file=-",
        str(path),
        env=dict(os.environ),
    )
    applied: set[tuple[str, str]] = set()
    columns: list[str] | None = None
    for line in out.decode().splitlines():
        if line.startswith("COPY ") and MIGRATIONS_TABLE in line:
            columns = [
                c.strip().strip('"') for c in line.split("(", 1)[1].split(")", 1)[0].split(",")
            ]
            continue
        if columns is None:
            continue
        if line == "\\.":
            break
        row = dict(zip(columns, line.split("\t"), strict=False))
        applied.add((row["app"], row["name"]))
    if columns is None:
        raise BackupError(f"{path} holds no Red Legion database (no migration records)")
    return applied


def check_migrations(
    backup_has: frozenset[tuple[str, str]], code_has: set[tuple[str, str]]
) -> None:
    """Refuse a backup that applied migrations this code does not know (a newer version's)."""
    unknown = sorted(backup_has - code_has)
    if unknown:
        names = ", ".join(f"{app}.{name}" for app, name in unknown)
        raise BackupError(
            f"the backup has migrations this version does not know ({names}): restore it with the "
            "version that made it, or install the plugins it used"
        )


# -- restore ----------------------------------------------------------------------------------


async def restore(path: Path, url: str) -> BackupInfo:
    """Copy a backup into the empty database at `url`; the caller has checked it is empty."""
    info = await inspect(path)
    target = backend_of(url)
    if info.backend != target:
        raise BackupError(f"{path} is a {info.backend} backup; the target database is {target}")
    if target == "sqlite":
        await asyncio.to_thread(_sqlite_copy, path, sqlite_path(url), must_exist=True)
    else:
        await _run(
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={pg_environment(url)['PGDATABASE']}",
            str(path),
            env=pg_environment(url),
        )
    return info
