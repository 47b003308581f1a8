"""storage.sql: one spelling of hand-written SQL, run the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.models import Guild, User
from plugins.economy import ledger
from plugins.economy.models import Entry
from storage import Database, sql
from storage.querycount import count_queries

T0 = datetime(2026, 1, 4, 18, 0, tzinfo=UTC)
CENT = Decimal("0.01")


def test_sqlite_spelling_of_a_postgres_statement():
    text = (
        "SELECT GREATEST($1::timestamptz, x), LEAST($12, y), string_agg(z::text, ',') "
        "FROM t WHERE a = $2"
    )
    assert sql.Dialect("postgres").render(text) == text
    assert sql.Dialect("sqlite").render(text) == (
        "SELECT MAX(?1, x), MIN(?12, y), group_concat(z, ',') FROM t WHERE a = ?2"
    )


async def test_string_agg_joins_text_on_both_backends(db: Database):
    await sql.insert_rows("users", ("id", "username", "created_at", "updated_at"), [
        (7, "a", T0, T0), (8, "b", T0, T0),
    ])  # fmt: skip
    rows = await sql.fetch(
        "SELECT string_agg(id::text || ':' || username, ',') FROM users WHERE id IN ($1, $2)",
        [7, 8],
    )
    assert sorted(rows[0][0].split(",")) == ["7:a", "8:b"]


async def users(ids: range) -> list[tuple[int, str]]:
    rows = await sql.fetch("SELECT id, username FROM users WHERE id >= $1 ORDER BY id", [ids[0]])
    return [(row[0], row[1]) for row in rows]


async def test_insert_rows_is_one_statement_and_returns_the_new_rows(db: Database):
    rows = [(i, f"u{i}", T0, T0) for i in range(100, 400)]
    await User.all().count()  # the pool's first connection is logged as a statement
    with count_queries() as q:
        returned = await sql.insert_rows(
            "users", ("id", "username", "created_at", "updated_at"), rows, returning="id"
        )
    assert len(q) == 1
    assert sorted(row[0] for row in returned) == list(range(100, 400))
    assert await users(range(100, 400)) == [(i, f"u{i}") for i in range(100, 400)]
    # Tortoise reads the rows back as it wrote them itself
    assert (await User.get(id=250)).created_at == T0


async def test_insert_rows_splits_at_the_parameter_limit(db: Database, monkeypatch):
    monkeypatch.setattr(sql, "MAX_PARAMETERS", 40)  # 10 rows of 4 values per statement
    rows = [(i, f"u{i}", T0, T0) for i in range(1, 26)]
    await User.all().count()
    with count_queries() as q:
        await sql.insert_rows("users", ("id", "username", "created_at", "updated_at"), rows)
    assert len(q) == 3
    assert await User.all().count() == 25


async def test_insert_rows_on_conflict_returns_only_what_it_inserted(db: Database):
    columns = ("id", "username", "created_at", "updated_at")
    await sql.insert_rows("users", columns, [(1, "one", T0, T0), (2, "two", T0, T0)])
    returned = await sql.insert_rows(
        "users",
        columns,
        [(2, "again", T0, T0), (3, "three", T0, T0)],
        on_conflict="(id) DO NOTHING",
        returning="id, username",
    )
    assert [tuple(row) for row in returned] == [(3, "three")]
    assert await users(range(1, 4)) == [(1, "one"), (2, "two"), (3, "three")]


async def test_insert_rows_of_nothing_sends_nothing(db: Database):
    await User.all().count()
    with count_queries() as q:
        assert await sql.insert_rows("users", ("id",), []) == []
    assert q == []


async def test_a_failed_insert_writes_none_of_its_rows(db: Database):
    await sql.insert_rows(
        "users", ("id", "username", "created_at", "updated_at"), [(1, "one", T0, T0)]
    )
    with pytest.raises(IntegrityError):
        await sql.insert_rows(
            "users",
            ("id", "username", "created_at", "updated_at"),
            [(5, "five", T0, T0), (1, "dup", T0, T0)],
        )
    assert await users(range(1, 6)) == [(1, "one")]


async def test_execute_in_order_is_one_round_trip_on_postgres(db: Database):
    await sql.insert_rows(
        "users", ("id", "username", "created_at", "updated_at"), [(1, "one", T0, T0)]
    )
    with count_queries() as q:
        count = await sql.execute_in_order(
            [
                ("UPDATE users SET username = $1 WHERE id = $2", ["uno", 1]),
                (
                    "INSERT INTO users (id, username, created_at, updated_at) "
                    "VALUES ($1, $2, $3::timestamptz, $3::timestamptz)",
                    [2, "dos", T0],
                ),
            ]
        )
    assert count == 1
    assert len(q) == (1 if db.backend == "postgres" else 2)
    assert await users(range(1, 3)) == [(1, "uno"), (2, "dos")]


async def test_statements_in_order_are_atomic(db: Database):
    """A failing last statement leaves the earlier ones undone (a voice move on SQLite is
    two statements: never a closed session without the next one opened)."""
    await sql.insert_rows(
        "users", ("id", "username", "created_at", "updated_at"), [(1, "one", T0, T0)]
    )
    with pytest.raises(IntegrityError):
        await sql.execute_in_order(
            [
                ("UPDATE users SET username = $1 WHERE id = $2", ["uno", 1]),
                (
                    "INSERT INTO users (id, username, created_at, updated_at) "
                    "VALUES ($1, $2, $3::timestamptz, $3::timestamptz)",
                    [1, "again", T0],
                ),
            ]
        )
    assert await users(range(1, 2)) == [(1, "one")]


async def test_execute_counts_the_rows_an_update_touched(db: Database):
    await sql.insert_rows(
        "users",
        ("id", "username", "created_at", "updated_at"),
        [(i, "x", T0, T0) for i in range(1, 6)],
    )
    assert await sql.execute("UPDATE users SET username = $1 WHERE id > $2", ["y", 2]) == 3


@pytest.mark.parametrize(
    ("start", "end", "seconds"),
    [
        (T0, T0 + timedelta(seconds=90), 90),
        (T0, T0 + timedelta(seconds=90, microseconds=499_000), 90),
        (T0, T0 + timedelta(seconds=90, microseconds=501_000), 91),
        # the same instants written in other offsets
        (T0.astimezone(timezone(timedelta(hours=2))), T0 + timedelta(hours=1), 3600),
        (T0, (T0 + timedelta(minutes=5)).astimezone(timezone(timedelta(hours=-5))), 300),
    ],
)
async def test_seconds_between_two_timestamps(db: Database, start, end, seconds):
    await Guild.create(id=1, name="G")
    await sql.insert_rows(
        "ledger_transactions",
        ("guild_id", "kind", "memo", "at", "created_at"),
        [(1, "adjustment", "probe", start, end)],
    )
    seconds_sql = sql.dialect().seconds_between("created_at", "at")
    [[found]] = await sql.fetch(f"SELECT {seconds_sql} FROM ledger_transactions", [])
    assert found == seconds


async def test_timestamps_read_back_as_aware_datetimes(db: Database):
    plus_two = T0.astimezone(timezone(timedelta(hours=2)))
    await sql.insert_rows(
        "users", ("id", "username", "created_at", "updated_at"), [(1, "one", plus_two, T0)]
    )
    [[value]] = await sql.fetch("SELECT created_at FROM users", [])
    assert sql.timestamp(value) == T0
    assert sql.timestamp(value).utcoffset() is not None
    assert sql.timestamp(None) is None


async def test_money_sums_are_exact(db: Database):
    await Guild.create(id=1, name="G")
    for amount in ("0.10", "0.20", "0.70", "1234567890123.01"):
        await ledger.post(
            1,
            kind=ledger.TxKind.ADJUSTMENT,
            memo="probe",
            lines=[
                ledger.Line(ledger.TREASURY, Decimal(amount)),
                ledger.Line(ledger.INCOME, -Decimal(amount)),
            ],
            at=T0,
        )
    treasury = Entry.filter(guild_id=1, amount__gt=0)
    assert await sql.sum_decimal(treasury, "amount", CENT) == Decimal("1234567890124.01")
    by_account = await sql.sum_decimal_by(Entry.filter(guild_id=1), "account_id", "amount", CENT)
    assert sorted(by_account.values()) == [
        Decimal("-1234567890124.01"),
        Decimal("1234567890124.01"),
    ]
    assert await sql.sum_decimal(Entry.filter(guild_id=2), "amount", CENT) == Decimal("0.00")


async def test_first_model_reads_the_object_a_tortoise_query_reads(db: Database):
    from plugins.mining import events
    from plugins.mining.models import MiningEvent

    await Guild.create(id=1, name="One")
    await Guild.create(id=2, name="Two")
    made = await events.create_event(1, at=T0, name="Sunday <b>ops</b>")
    await events.start_event(1, made.id, at=T0 + timedelta(minutes=5))
    expected = await MiningEvent.get(id=made.id)
    with count_queries() as q:
        got = await sql.first_model(MiningEvent, "id = $1 AND guild_id = $2", [made.id, 1])
    assert len(q) == 1
    assert got is not None and type(got) is MiningEvent
    fields = MiningEvent._meta.fields_db_projection
    assert {f: getattr(got, f) for f in fields} == {f: getattr(expected, f) for f in fields}
    assert got.started_at == T0 + timedelta(minutes=5) and got.started_at.tzinfo is not None
    # another guild's id is simply not there
    assert await sql.first_model(MiningEvent, "id = $1 AND guild_id = $2", [made.id, 2]) is None
    # the object saves like one Tortoise read
    got.event_name = "Renamed"
    await got.save(update_fields=["event_name"])
    assert (await MiningEvent.get(id=made.id)).event_name == "Renamed"


async def test_first_model_with_a_lock_takes_the_row_lock_on_postgres(db: Database):
    await Guild.create(id=1, name="One")
    async with in_transaction():
        with count_queries() as q:
            guild = await sql.first_model(Guild, "id = $1", [1], lock=True)
        assert guild is not None and guild.name == "One"
    # PostgreSQL takes the row lock; SQLite's single writer needs none, so it is left out
    assert q[-1].rstrip().endswith('LIMIT 1 FOR UPDATE OF "guilds"') is (sql.dialect().postgres)
