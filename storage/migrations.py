"""Apply, inspect and generate Tortoise migrations for all loaded apps in one plan.

Always migrate every app together: migrating one app alone can drop cross-app foreign key
columns in tortoise-orm 1.1.9 (DESIGN.md, rough edges). Nothing is planned while an app's
migrations conflict (two with the same parent, or two heads): Tortoise would apply both and
fail half-way when they touch the same thing. Every run records each app's tables in the core
table `app_tables`, so the tables of a plugin that was uninstalled (its code, models and
migrations gone) can still be found and dropped (`drop_app`).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.fields.relational import ManyToManyFieldInstance
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget, PlanStep
from tortoise.migrations.graph import MigrationGraph, MigrationKey
from tortoise.migrations.loader import MigrationLoader
from tortoise.migrations.recorder import MigrationRecorder
from tortoise.migrations.writer import MigrationWriter
from tortoise.transactions import in_transaction

from storage.database import Database
from storage.errors import ConfigError
from storage.models import AppTable

# the core migration that creates `app_tables`; before it, there is nowhere to record
APP_TABLES_MIGRATION = ("core", "0003_app_tables")


class MigrationConflict(ConfigError):
    """An app's migrations do not form one line: found before anything is applied."""


class AppNotInstalled(ValueError):
    """The database holds an app whose plugin is not installed (so its migrations are gone)."""


@dataclass(frozen=True)
class Step:
    app: str
    name: str
    backward: bool

    def __str__(self) -> str:
        return f"{'-' if self.backward else '+'} {self.app}.{self.name}"


class _Executor(MigrationExecutor):
    """Tortoise's executor, with `__first__` (`db downgrade APP zero`) fixed for an app whose
    first migration depends on another app's: tortoise-orm 1.1.9 takes an app's first
    migrations to be the graph's roots, and every plugin's first migration has a parent in
    `core`, so the plan was empty and nothing was unapplied."""

    def _migration_plan(
        self,
        targets: Iterable[MigrationTarget] | None,
        applied: set[MigrationKey],
        graph: MigrationGraph,
    ) -> list[PlanStep]:
        if targets is None:
            return super()._migration_plan(None, applied, graph)
        others: list[MigrationTarget] = []
        plan: list[PlanStep] = []
        for target in targets:
            if target.name != "__first__":
                others.append(target)
                continue
            for first in _app_roots(graph, target.app_label):
                root = MigrationTarget(app_label=first.app_label, name=first.name)
                plan.extend(self._backward_plan(root, applied, graph, include_target=True))
        plan.extend(super()._migration_plan(others, applied, graph))
        return self._dedupe_plan(plan)


def _app_roots(graph: MigrationGraph, app: str) -> list[MigrationKey]:
    """An app's first migrations: those with no parent in the same app."""
    return sorted(
        node.key
        for node in graph.node_map.values()
        if node.key.app_label == app and not any(p.key.app_label == app for p in node.parents)
    )


def _executor(db: Database) -> MigrationExecutor:
    check_conflicts(db)
    return _Executor(db.connection(), db.config["apps"])


def conflicts(apps_config: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What is wrong with each app's migration files, one line per conflict naming the files:
    two migrations with the same parent in their app, or an app with more than one head. Read
    from the files alone, so it is known before anything is applied."""
    loader = MigrationLoader({k: dict(v) for k, v in apps_config.items()}, recorder=None)  # type: ignore[arg-type]
    loader.load_disk()
    problems: list[str] = []
    for app in apps_config:
        names = sorted(k.name for k in loader.disk_migrations if k.app_label == app)
        parents: dict[str, list[str]] = {}
        children: defaultdict[str | None, list[str]] = defaultdict(list)
        for name in names:
            migration = loader.disk_migrations[MigrationKey(app_label=app, name=name)]
            parents[name] = sorted(
                {dep for dep_app, dep in migration.dependencies if dep_app == app}
            )
        for name in names:
            # a parent that is also an ancestor of another parent is no fork: drop it
            direct: list[str | None] = [
                p
                for p in parents[name]
                if not any(p in _ancestors(parents, other) for other in parents[name])
            ]
            for parent in direct or [None]:
                children[parent].append(name)
        forks = [kids for _, kids in sorted(children.items(), key=lambda kv: str(kv[0]))]
        for parent, kids in sorted(children.items(), key=lambda kv: str(kv[0])):
            if len(kids) > 1:
                files = ", ".join(_file_of(apps_config, app, k) for k in kids)
                after = f"follow {app}.{parent}" if parent else "are first migrations"
                problems.append(f"{app}: {files} all {after}")
        heads = [n for n in names if not any(n in parents[other] for other in names)]
        if len(heads) > 1 and heads not in forks:  # a fork's heads are said above
            files = ", ".join(_file_of(apps_config, app, h) for h in heads)
            problems.append(f"{app}: {len(heads)} latest migrations (heads): {files}")
    return problems


def _ancestors(parents: Mapping[str, list[str]], name: str) -> set[str]:
    seen: set[str] = set()
    todo = list(parents.get(name, []))
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(parents.get(current, []))
    return seen


def _file_of(apps_config: Mapping[str, Mapping[str, Any]], app: str, name: str) -> str:
    module = sys.modules.get(f"{apps_config[app]['migrations']}.{name}")
    path = getattr(module, "__file__", None)
    if not path:
        return f"{app}.{name}"
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def check_conflicts(db: Database) -> None:
    """Refuse to plan anything while an app's migrations conflict (see `conflicts`)."""
    found = conflicts(db.config["apps"])
    if found:
        raise MigrationConflict(
            "conflicting migrations, nothing was applied:\n  "
            + "\n  ".join(found)
            + "\nmake one of them depend on the other (an app's migrations form one line), "
            "then retry"
        )


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
    executor = _executor(db)
    await executor.migrate(_targets(db, stop_at), direction="forward", progress=progress)
    await _record_tables(db, executor)
    return len(steps)


async def downgrade(db: Database, app: str, target: str) -> list[Step]:
    """Unapply `app`'s migrations after `target` (a migration name, or `zero` for all), and
    those of other apps that depend on them."""
    if app not in db.config["apps"]:
        if app in await uninstalled_apps(db):
            raise AppNotInstalled(
                f"the plugin {app!r} is not installed, so its migrations cannot run; "
                f"reinstall it to downgrade, or remove its tables with "
                f"`redlegion db drop-app {app}`"
            )
        raise ValueError(f"unknown app {app!r}; apps: {', '.join(db.config['apps'])}")
    name = "__first__" if target == "zero" else target
    executor = _executor(db)
    goal = [MigrationTarget(app_label=app, name=name)]
    plan = await executor.plan(goal)
    await executor.migrate(goal, direction="backward")
    await _record_tables(db, executor)
    return [Step(s.migration.app_label, s.migration.name, s.backward) for s in plan]


async def _record_tables(db: Database, executor: MigrationExecutor) -> None:
    """Write down, per loaded app, the tables its applied migrations made (read from the
    migrations' own state, not the models), replacing what was recorded for those apps."""
    applied = set(await executor.recorder.applied_migrations())
    if MigrationKey(*APP_TABLES_MIGRATION) not in applied:
        return
    state = await executor._project_state(applied)
    tables: set[tuple[str, str]] = set()
    for (app, _), model in state.models.items():
        tables.add((app, model.table or model.options.get("table") or model.name.lower()))
        for field in model.fields.values():
            if isinstance(field, ManyToManyFieldInstance) and field.through:
                tables.add((app, field.through))
    async with in_transaction():
        await AppTable.filter(app__in=list(db.config["apps"])).delete()
        await AppTable.bulk_create(
            [AppTable(app=app, table_name=table) for app, table in sorted(tables)]
        )


async def recorded_tables(db: Database) -> dict[str, list[str]]:
    """Tables per app as recorded by the last migration run (uninstalled apps included)."""
    if MigrationKey(*APP_TABLES_MIGRATION) not in set(await _applied(db)):
        return {}
    result: dict[str, list[str]] = defaultdict(list)
    for app, table in (
        await AppTable.all().order_by("app", "table_name").values_list("app", "table_name")
    ):
        result[app].append(table)
    return dict(result)


async def _applied(db: Database) -> list[MigrationKey]:
    return await MigrationRecorder(db.connection()).applied_migrations()


async def uninstalled_apps(db: Database) -> list[str]:
    """Apps this database holds migrations or tables of whose plugin is not loaded now."""
    apps = {key.app_label for key in await _applied(db)} | set(await recorded_tables(db))
    return sorted(apps - set(db.config["apps"]))


async def drop_app(db: Database, app: str) -> list[str]:
    """Drop an uninstalled app's tables and forget its migrations, in one transaction;
    returns the tables dropped. Refused while a table of another app points at one of them."""
    tables = await _droppable(db, app)
    references = await _foreign_keys(db)
    outside = sorted(
        f"{child} -> {parent}"
        for child, parent in references
        if parent in tables and child not in tables
    )
    if outside:
        raise ValueError(
            f"other tables point at {app}'s tables ({', '.join(outside)}): remove those first"
        )
    existing = await _existing_tables(db)
    order = [t for t in _children_first(tables, references) if t in existing]
    names = [key.name for key in await _applied(db) if key.app_label == app]
    # read everything first: on SQLite the transaction holds the one connection
    async with in_transaction() as txn:
        if (
            order and db.backend == "postgres"
        ):  # one statement drops tables that point at each other
            await txn.execute_script("DROP TABLE " + ", ".join(f'"{t}"' for t in order))
        else:
            for table in order:
                await txn.execute_script(f'DROP TABLE "{table}"')
        await AppTable.filter(app=app).using_db(txn).delete()
        recorder = MigrationRecorder(txn)
        for name in names:
            await recorder.record_unapplied(app, name)
    return order


async def app_tables_to_drop(db: Database, app: str) -> list[str]:
    """The tables `drop_app` would drop (raises the same refusals, without dropping)."""
    return sorted(await _droppable(db, app))


async def _droppable(db: Database, app: str) -> set[str]:
    if app in db.config["apps"]:
        raise ValueError(
            f"{app!r} is installed: `redlegion db downgrade {app} zero` unapplies its migrations"
        )
    if app not in await uninstalled_apps(db):
        raise ValueError(f"this database holds nothing of an app named {app!r}")
    return set((await recorded_tables(db)).get(app, []))


async def _existing_tables(db: Database) -> set[str]:
    conn = db.connection()
    if db.backend == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
    else:
        sql = "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
    _, rows = await conn.execute_query(sql)
    return {row["name"] for row in rows}


async def _foreign_keys(db: Database) -> set[tuple[str, str]]:
    """(child table, parent table) for every foreign key in the database."""
    conn = db.connection()
    if db.backend == "postgres":
        _, rows = await conn.execute_query(
            "SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent "
            "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE c.contype = 'f' AND n.nspname = current_schema()"
        )
        return {(r["child"].strip('"'), r["parent"].strip('"')) for r in rows}
    edges: set[tuple[str, str]] = set()
    for table in await _existing_tables(db):
        _, rows = await conn.execute_query(f'PRAGMA foreign_key_list("{table}")')
        edges |= {(table, row["table"]) for row in rows}
    return edges


def _children_first(tables: set[str], references: set[tuple[str, str]]) -> list[str]:
    """Drop order: a table only once no other table left in the set points at it."""
    left = set(tables)
    order: list[str] = []
    while left:
        free = sorted(
            t for t in left if not any(p == t and c in left and c != t for c, p in references)
        )
        if not free:  # a cycle: PostgreSQL and SQLite both drop them one by one anyway
            free = sorted(left)
        order += free
        left -= set(free)
    return order


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
