"""Hand-written SQL for both backends, so no plugin asks which database it is on.

Hot paths (the voice sessions, payroll's writes, ledger postings) send SQL of their own instead
of building model objects. What differs between SQLite and PostgreSQL lives here, once:

- a statement is written in PostgreSQL's spelling, with numbered parameters (`$1`) and casts
  of parameters (`$4::timestamptz`, which PostgreSQL needs where a parameter's type cannot be
  inferred, e.g. in an `INSERT … SELECT` list). `Dialect.render` rewrites it for SQLite
  (`?1`, no casts, `MAX`/`MIN` for `GREATEST`/`LEAST`), once per text (cached);
- the few expressions that are not a spelling (whole seconds between two timestamps) are
  `Dialect` methods;
- `execute_in_order` runs statements that belong together in one round trip on PostgreSQL (a
  data-modifying CTE) and one after the other in one transaction on SQLite, which has no such
  CTEs;
- `insert_rows` writes many rows in as few multi-row `INSERT`s as the parameter limits allow;
- `first_model` reads one model object from a hand-written `WHERE` (a row read on every
  command, such as a mining event, costs less sent as text than built with Tortoise);
- `sum_decimal` / `sum_decimal_by` add money exactly: SQLite stores Decimal as text, so its
  `SUM` would go through floats.

Every statement goes through Tortoise's connection: it stays inside the caller's
`in_transaction()`, is logged (and so counted by `storage.querycount`) and has its errors
translated (`tortoise.exceptions.IntegrityError`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from tortoise import connections
from tortoise.functions import Sum
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from clocks import utc

# Both backends cap the parameters of one statement: SQLite (3.32+) at 32,766, PostgreSQL's
# protocol at 32,767. A little under, so a caller's own parameters still fit.
MAX_PARAMETERS = 32_000

_PARAM = re.compile(r"\$(\d+)")
_CAST = re.compile(r"::[a-z_]+")
_GREATEST = re.compile(r"\bGREATEST\(")
_LEAST = re.compile(r"\bLEAST\(")
_STRING_AGG = re.compile(r"\bstring_agg\(")
_WRITES = ("INSERT", "UPDATE", "DELETE")

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Dialect:
    """The SQL vocabulary of one backend (get the current one with `dialect()`)."""

    name: str

    @property
    def postgres(self) -> bool:
        return self.name == "postgres"

    def render(self, sql: str) -> str:
        """`sql`, written in PostgreSQL's spelling, as this backend reads it."""
        return sql if self.postgres else _sqlite(sql)

    def seconds_between(self, end: str, start: str) -> str:
        """Whole seconds from `start` to `end` (two timestamp expressions), rounded.

        SQLite holds timestamps as ISO text: `julianday` reads them, offsets included.
        """
        if self.postgres:
            return f"ROUND(EXTRACT(EPOCH FROM ({end} - {start})))::integer"
        return f"CAST(ROUND((julianday({end}) - julianday({start})) * 86400) AS INTEGER)"


@cache
def _sqlite(sql: str) -> str:
    sql = _PARAM.sub(r"?\1", sql)
    sql = _CAST.sub("", sql)
    sql = _STRING_AGG.sub("group_concat(", sql)  # (text, separator) in both
    return _LEAST.sub("MIN(", _GREATEST.sub("MAX(", sql))


_DIALECTS = {name: Dialect(name) for name in ("postgres", "sqlite")}


def dialect() -> Dialect:
    """The vocabulary of the open database."""
    name = connections.get("default").capabilities.dialect
    return _DIALECTS.get(name) or Dialect(name)


def _renumber(sql: str, offset: int) -> str:
    return _PARAM.sub(lambda m: f"${int(m.group(1)) + offset}", sql) if offset else sql


async def execute(sql: str, params: Sequence[Any] = ()) -> int:
    """Run one statement (PostgreSQL spelling); how many rows an UPDATE or DELETE touched.

    An INSERT's count is only right on SQLite (Tortoise's asyncpg client reads the OID field
    of "INSERT 0 n"): add `RETURNING` and use `fetch` when an INSERT's count matters.
    """
    conn = connections.get("default")
    count, _ = await conn.execute_query(dialect().render(sql), list(params))
    return int(count)


async def fetch(sql: str, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
    """The rows of one statement (PostgreSQL spelling), each a sequence in column order.

    Values come as each driver gives them: PostgreSQL has booleans and datetimes, SQLite 0/1
    and ISO text (`timestamp` reads both).
    """
    conn = connections.get("default")
    current = dialect()
    text = current.render(sql)
    if current.postgres and text.lstrip()[:6].upper() in _WRITES:
        # Tortoise's asyncpg client drops the rows of an INSERT/UPDATE/DELETE … RETURNING
        # (it reads the command status); its dict read keeps them
        return [tuple(row.values()) for row in await conn.execute_query_dict(text, list(params))]
    _, rows = await conn.execute_query(text, list(params))
    return list(rows)


async def execute_in_order(statements: Sequence[tuple[str, Sequence[Any]]]) -> int:
    """Run data-changing statements in order; the row count of the last one.

    One round trip on PostgreSQL: the earlier statements become data-modifying CTEs (each
    statement's own parameters, renumbered). Such a CTE runs to completion before the last
    statement, but the last one still sees the table as it was when the whole began: it must
    not depend on what the earlier ones changed. The last statement must be an INSERT,
    UPDATE or DELETE without RETURNING. On SQLite they run one after the other in one
    transaction (a savepoint inside the caller's).
    """
    *before, (last, last_params) = statements
    if not before:
        return await execute(last, last_params)
    if not dialect().postgres:
        # one transaction: atomic, and one commit to flush instead of one per statement
        # (3× faster on a real disk)
        async with in_transaction():
            for sql, params in before:
                await execute(sql, params)
            return await execute(last, last_params)
    ctes: list[str] = []
    params_all: list[Any] = []
    for n, (sql, params) in enumerate(before):
        ctes.append(f"s{n} AS ({_renumber(sql, len(params_all))})")
        params_all += params
    text = f"WITH {', '.join(ctes)} {_renumber(last, len(params_all))} RETURNING 1"
    params_all += last_params
    return len(await fetch(text, params_all))


@cache
def _select_sql(
    model: type[Model], where: str, lock: bool, join: str, extra: tuple[tuple[str, str], ...]
) -> str:
    table = model._meta.db_table
    columns = [f'"{table}"."{column}"' for column in model._meta.db_fields]
    columns += [expression for _, expression in extra]
    text = f'SELECT {", ".join(columns)} FROM "{table}" {join} WHERE {where} LIMIT 1'
    return text + (f' FOR UPDATE OF "{table}"' if lock else "")


async def first_model(
    model: type[M],
    where: str,
    params: Sequence[Any],
    *,
    lock: bool = False,
    join: str = "",
    extra: tuple[tuple[str, str], ...] = (),
) -> M | None:
    """The first `model` row matching `where` (PostgreSQL spelling), as a model object, or None.

    The same object a Tortoise query returns (each column converted by its field), without
    building the query: the SELECT is written once per model and condition. `lock` takes the
    row lock inside a transaction (`FOR UPDATE`; SQLite's one writer needs none). `join` adds
    tables (name the model's columns as `"table".column` in `where`), and `extra` more
    columns, each `(attribute, SQL expression)`, set on the object as an annotation would be.
    """
    text = _select_sql(model, where, lock and dialect().postgres, join, extra)
    rows = await fetch(text, params)
    if not rows:
        return None
    fields = model._meta.db_fields
    row = rows[0]
    # Tortoise's own constructor of a row it read (what its executor calls)
    found = model._init_from_db(**dict(zip(fields, row[: len(fields)], strict=True)))
    for (attribute, _), value in zip(extra, row[len(fields) :], strict=True):
        setattr(found, attribute, value)
    return found


def _chunks(rows: Sequence[Sequence[Any]], width: int) -> Iterable[Sequence[Sequence[Any]]]:
    per_statement = max(1, MAX_PARAMETERS // max(1, width))
    for start in range(0, len(rows), per_statement):
        yield rows[start : start + per_statement]


@cache
def _insert_sql(table: str, columns: tuple[str, ...], count: int, tail: str) -> str:
    width = len(columns)
    values = ", ".join(
        "(" + ", ".join(f"${width * r + c + 1}" for c in range(width)) + ")" for r in range(count)
    )
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}{tail}"


async def insert_rows(
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    on_conflict: str | None = None,
    returning: str | None = None,
) -> list[Sequence[Any]]:
    """Insert `rows` (values in `columns`' order) with multi-row INSERTs: one statement for up
    to `MAX_PARAMETERS` values, so a thousand rows are one round trip, not a thousand.

    `on_conflict` is the clause's body (`(guild_id, key) DO NOTHING`); `returning` a column
    list whose values come back, one row per row inserted (in no promised order). Values go
    to the driver as they are: Decimal, aware datetimes, booleans, enum values as `str`.
    """
    if not rows:
        return []
    tail = ""
    if on_conflict:
        tail += f" ON CONFLICT {on_conflict}"
    if returning:
        tail += f" RETURNING {returning}"
    found: list[Sequence[Any]] = []
    names = tuple(columns)
    for chunk in _chunks(rows, len(names)):
        sql = _insert_sql(table, names, len(chunk), tail)
        params = [value for row in chunk for value in row]
        if returning:
            found += await fetch(sql, params)
        else:
            await execute(sql, params)
    return found


async def sum_decimal(queryset: QuerySet[Any], field: str, places: Decimal) -> Decimal:
    """Exact sum of a money column over `queryset`, quantized to `places` (0 when empty).

    PostgreSQL adds DECIMALs itself. SQLite stores them as text: the values are added in
    Python, as its SUM would go through floats.
    """
    if dialect().postgres:
        # Tortoise adds GROUP BY every column when the query joins: adding the groups' sums
        # keeps the total right either way
        rows = await queryset.annotate(_total=Sum(field)).values_list("_total", flat=True)
    else:
        rows = await queryset.values_list(field, flat=True)
    return sum((Decimal(str(v)) for v in rows if v is not None), Decimal(0)).quantize(places)


async def sum_decimal_by(
    queryset: QuerySet[Any], key: str, field: str, places: Decimal
) -> dict[Any, Decimal]:
    """Exact sums of a money column per value of `key` (see `sum_decimal`)."""
    if dialect().postgres:
        rows = await queryset.annotate(_total=Sum(field)).group_by(key).values_list(key, "_total")
    else:
        rows = await queryset.values_list(key, field)
    totals: dict[Any, Decimal] = {}
    for k, amount in rows:
        if amount is not None:
            totals[k] = totals.get(k, Decimal(0)) + Decimal(str(amount))
    return {k: v.quantize(places) for k, v in totals.items()}


def timestamp(value: Any) -> datetime | None:
    """A timestamp as a driver returned it, as an aware datetime (None stays None).

    asyncpg gives datetimes; SQLite the ISO text it was written as (offset included).
    """
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return utc(when, naive_is_utc=True)
