"""Apply, inspect and generate Tortoise migrations for all loaded apps in one plan.

Always migrate every app together: migrating one app alone can drop cross-app foreign key
columns in tortoise-orm 1.1.9 (DESIGN.md, rough edges).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget
from tortoise.migrations.recorder import MigrationRecorder
from tortoise.migrations.writer import MigrationWriter

from storage.database import Database


@dataclass(frozen=True)
class Step:
    app: str
    name: str
    backward: bool

    def __str__(self) -> str:
        return f"{'-' if self.backward else '+'} {self.app}.{self.name}"


def _executor(db: Database) -> MigrationExecutor:
    return MigrationExecutor(db.connection(), db.config["apps"])


def _targets(db: Database, stop_at: Mapping[str, str] | None = None) -> list[MigrationTarget]:
    stop_at = stop_at or {}
    for app in stop_at:
        if app not in db.config["apps"]:
            raise ValueError(f"unknown app {app!r}; apps: {', '.join(db.config['apps'])}")
    return [
        MigrationTarget(app_label=app, name=stop_at.get(app, "__latest__"))
        for app in db.config["apps"]
    ]


async def pending(db: Database, stop_at: Mapping[str, str] | None = None) -> list[Step]:
    """Migrations not yet applied, in the order `upgrade` would apply them."""
    plan = await _executor(db).plan(_targets(db, stop_at))
    return [Step(s.migration.app_label, s.migration.name, s.backward) for s in plan]


async def upgrade(
    db: Database,
    stop_at: Mapping[str, str] | None = None,
    progress: Callable[[str, str, str], object] | None = None,
) -> int:
    """Apply pending migrations of every app, all in one plan; returns how many were applied.

    `stop_at` holds some apps back at a named migration (e.g. to test a later one on data).
    """
    steps = await pending(db, stop_at)
    await _executor(db).migrate(_targets(db, stop_at), direction="forward", progress=progress)
    return len(steps)


async def downgrade(db: Database, app: str, target: str) -> list[Step]:
    """Unapply `app`'s migrations after `target` (a migration name, or `zero` for all)."""
    if app not in db.config["apps"]:
        raise ValueError(f"unknown app {app!r}; apps: {', '.join(db.config['apps'])}")
    name = "__first__" if target == "zero" else target
    executor = _executor(db)
    goal = [MigrationTarget(app_label=app, name=name)]
    plan = await executor.plan(goal)
    await executor.migrate(goal, direction="backward")
    return [Step(s.migration.app_label, s.migration.name, s.backward) for s in plan]


async def history(db: Database) -> list[tuple[str, str]]:
    """(app, migration) pairs recorded as applied in this database."""
    recorder = MigrationRecorder(db.connection())
    applied = await recorder.applied_migrations()
    return [(key.app_label, key.name) for key in applied]


async def is_empty(db: Database) -> bool:
    """True when no table of ours exists yet (a fresh database)."""
    conn = db.connection()
    if db.backend == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    _, rows = await conn.execute_query(sql)
    return len(rows) == 0


async def detect_changes(db: Database) -> list[MigrationWriter]:
    """Migrations `makemigrations` would write: empty when models and migrations agree."""
    apps = Tortoise.apps
    if apps is None:
        raise RuntimeError("database is not open")
    apps_config: dict[str, dict[str, Any]] = {k: dict(v) for k, v in db.config["apps"].items()}
    detector = MigrationAutodetector(apps, apps_config)
    return await detector.changes()


async def makemigrations(
    db: Database, app: str | None = None, name: str | None = None
) -> list[MigrationWriter]:
    """Write new migration files for changed models (one app, or all)."""
    writers = await detect_changes(db)
    if app is not None:
        writers = [w for w in writers if w.app_label == app]
    for writer in writers:
        if name:
            number = writer.name.split("_", 1)[0]
            writer.name = f"{number}_{name}"
        writer.write()
    return writers
