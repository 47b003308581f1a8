"""Yields and expenses: valued from economy prices unless given, all-or-nothing, guild-scoped."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from core.errors import InvalidInput, InvalidState, NotFound
from plugins.mining import events, expenses, yields
from plugins.mining.commands import member_in_file
from plugins.mining.models import MiningEvent, MiningExpense, MiningYield
from plugins.mining.yields import YieldInput
from tests.mining.conftest import ALICE, BOB, CARA, GUILD, OTHER_GUILD, ROCKS, at

D = Decimal


async def running_event(voice, guild: int = GUILD) -> int:
    event = await events.create_event(guild, at=at())
    await events.start_event(guild, event.id, at=at())
    await voice(ALICE, None, ROCKS, 0)
    await voice(BOB, None, ROCKS, 10)
    return event.id


async def state() -> tuple:
    rows = await MiningYield.all().order_by("id").values_list("id", "quantity_scu")
    spent = await MiningExpense.all().order_by("id").values_list("id", "amount_auec")
    totals = await MiningEvent.all().order_by("id").values_list("id", "total_value_auec")
    return (
        [(i, str(q)) for i, q in rows],
        [(i, str(a)) for i, a in spent],
        [(i, str(t)) for i, t in totals],
    )


async def test_yield_is_valued_at_the_economy_price_and_totals_follow(world, voice):
    event_id = await running_event(voice)
    batch = await yields.add_yields(GUILD, event_id, [YieldInput("quant", "32.5")])
    # Quantainium's seeded base value: 8,800.00 per SCU
    line = batch.lines[0]
    assert (line.material, line.scu, line.price_per_scu, line.value) == (
        "Quantainium",
        D("32.50"),
        D("8800.00"),
        D("286000.00"),
    )
    batch = await yields.add_yields(
        GUILD,
        event_id,
        [
            YieldInput("Gold", "3.33", price="6400.01"),  # officer's price per SCU
            YieldInput("Laranite", "10", value="29999.99"),  # the line's sale total
        ],
    )
    assert [ln.value for ln in batch.lines] == [D("21312.03"), D("29999.99")]
    assert batch.event_total == D("337312.02")
    event = await events.get_event(GUILD, event_id)
    assert Decimal(event.total_value_auec) == D("337312.02")


async def test_yield_credited_to_a_participant(world, voice):
    event_id = await running_event(voice)
    batch = await yields.add_yields(GUILD, event_id, [YieldInput("Bexalite", "4", user_id=BOB)])
    assert batch.lines[0].user_id == BOB
    assert [(y.material, y.user_id) for y in await yields.list_yields(GUILD, event_id)] == [
        ("Bexalite", BOB)
    ]


BAD_YIELDS = [
    ([YieldInput("Quantainium", "-3")], InvalidInput, "must not be negative"),
    ([YieldInput("Quantainium", "0")], InvalidInput, "more than zero"),
    ([YieldInput("Quantainium", "1e9")], InvalidInput, "beyond the largest"),
    ([YieldInput("Quantainium", "250000")], InvalidInput, "more than one line can hold"),
    ([YieldInput("Quantainium", "1.234")], InvalidInput, "more than 2 decimal places"),
    ([YieldInput("Quantainium", "lots")], InvalidInput, "is not a number"),
    ([YieldInput("Unobtainium", "3")], NotFound, "No material called 'Unobtainium'"),
    ([YieldInput("Gold", "3", price="-1")], InvalidInput, "price per SCU must not be neg"),
    (
        [YieldInput("Gold", "3"), YieldInput("Gold", "-1")],
        InvalidInput,
        "line 2: SCU must not be negative",
    ),
    ([YieldInput("Gold", "3", user_id=CARA)], InvalidInput, "has no time in event"),
    ([], InvalidInput, "No yields given"),
]


async def test_bad_yields_are_refused_and_nothing_changes(world, voice):
    event_id = await running_event(voice)
    await yields.add_yields(GUILD, event_id, [YieldInput("Iron", "5")])
    before = await state()
    for items, error, message in BAD_YIELDS:
        with pytest.raises(error, match=message):
            await yields.add_yields(GUILD, event_id, items)
        assert await state() == before, message


async def test_yields_need_an_active_or_completed_event_of_this_guild(world, voice):
    theirs = await running_event(voice, guild=OTHER_GUILD)
    planned = await events.create_event(GUILD, at=at())
    before = await state()
    with pytest.raises(NotFound, match=f"no mining event #{theirs}"):
        await yields.add_yields(GUILD, theirs, [YieldInput("Gold", "1")])
    with pytest.raises(InvalidState, match="is planned"):
        await yields.add_yields(GUILD, planned.id, [YieldInput("Gold", "1")])
    assert await state() == before


async def test_remove_yield_updates_the_total(world, voice):
    event_id = await running_event(voice)
    batch = await yields.add_yields(
        GUILD, event_id, [YieldInput("Gold", "1"), YieldInput("Iron", "2")]
    )
    assert await yields.remove_yield(GUILD, event_id, batch.lines[0].id) == D("700.00")
    with pytest.raises(NotFound, match="no yield line"):
        await yields.remove_yield(GUILD, event_id, batch.lines[0].id)


# -- files -------------------------------------------------------------------------------------


def test_csv_file_is_parsed():
    """As the Discord face reads it: a member column of ids or mentions."""
    data = b"material,scu,member,price\nQuantainium,12.5,<@501>,\nGold,3,,6400.50\n\n"
    items = yields.parse_yield_file("haul.csv", data, member=member_in_file)
    assert items == [
        YieldInput("Quantainium", "12.5", ALICE, None, None, source="line 2: "),
        YieldInput("Gold", "3", None, "6400.50", None, source="line 3: "),
    ]


def test_the_service_reads_ids_not_discord_mentions():
    """Reading a mention is the Discord face's job: the service alone takes ids."""
    data = b"material,scu,member\nGold,1,501\nIron,2,<@501>\n"
    with pytest.raises(InvalidInput, match=r"^line 3: member '<@501>' is not a member id$"):
        yields.parse_yield_file("haul.csv", data)
    with pytest.raises(InvalidInput, match="line 3: member 'bob' is not a member id or mention"):
        yields.parse_yield_file("haul.csv", data.replace(b"<@501>", b"bob"), member=member_in_file)
    ok = yields.parse_yield_file(
        "haul.csv", data.replace(b"<@501>", b"<@!502>"), member=member_in_file
    )
    assert [i.user_id for i in ok] == [501, 502]


def test_json_file_is_parsed_exactly():
    data = json.dumps({"yields": [{"material": "Gold", "scu": 0.1, "member": str(BOB)}]})
    items = yields.parse_yield_file("haul.json", data.encode())
    assert items == [YieldInput("Gold", "0.1", BOB, None, None, source="item 1: ")]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.csv", b"name,amount\nGold,1\n", "first line must name the columns"),
        ("a.csv", b"material,scu,colour\nGold,1,red\n", "unknown column 'colour'"),
        ("a.csv", b"material,scu\nGold,\n", "line 2: material and scu are required"),
        ("a.csv", b"material,scu\nGold,1,2,3\n", "line 2: 4 cells for 2 columns"),
        ("a.csv", b"material,scu,member\nGold,1,bob\n", "member 'bob' is not a member id"),
        ("a.csv", b"material,scu\n", "holds no yield lines"),
        ("a.json", b'[{"material": "Gold"', "not valid JSON"),
        ("a.json", b'{"rocks": 1}', "expected a list of yields"),
        ("a.json", b"[1, 2]", "item 1: expected an object"),
        ("a.csv", b"\xff\xfe\x00", "not UTF-8"),
        ("a.csv", b"material,scu\n" + b"Gold,1\n" * 600, "keep it to 500"),
        ("a.csv", b"x" * 300_000, "keep it under"),
    ],
)
def test_malformed_files_are_refused_with_the_place(name, data, message):
    with pytest.raises(InvalidInput, match=message):
        yields.parse_yield_file(name, data)


async def test_a_file_with_one_bad_line_records_nothing(world, voice):
    event_id = await running_event(voice)
    items = yields.parse_yield_file("h.csv", b"material,scu\nGold,1\nMithril,2\nIron,3\n")
    before = await state()
    with pytest.raises(NotFound, match="line 3: No material called 'Mithril'"):
        await yields.add_yields(GUILD, event_id, items)
    assert await state() == before


# -- expenses ----------------------------------------------------------------------------------


async def test_expense_is_recorded_with_who_paid(world, voice):
    event_id = await running_event(voice)
    await expenses.add_expense(
        GUILD, event_id, amount="1250.50", paid_by=BOB, kind="Refinery", description="Arc-L1"
    )
    [line] = await expenses.list_expenses(GUILD, event_id)
    assert (line.kind, line.amount, line.paid_by, line.paid_by_name, line.description) == (
        "refinery",
        D("1250.50"),
        BOB,
        "Bob",
        "Arc-L1",
    )


BAD_EXPENSES = [
    ({"amount": "-5"}, InvalidInput, "must not be negative"),
    ({"amount": "0"}, InvalidInput, "more than zero"),
    ({"amount": "99999999999999"}, InvalidInput, "beyond the largest"),
    ({"amount": "5", "kind": "snacks"}, InvalidInput, "Unknown expense kind 'snacks'"),
    ({"amount": "5", "paid_by": 424242}, NotFound, "not a member of this server"),
    ({"amount": "5", "description": "z" * 201}, InvalidInput, "keep it to 200"),
]


async def test_bad_expenses_are_refused_and_nothing_changes(world, voice):
    event_id = await running_event(voice)
    before = await state()
    for kwargs, error, message in BAD_EXPENSES:
        with pytest.raises(error, match=message):
            await expenses.add_expense(GUILD, event_id, **{"paid_by": ALICE, **kwargs})
        assert await state() == before, message


async def test_expense_on_another_guilds_event_is_not_found(world, voice):
    theirs = await running_event(voice, guild=OTHER_GUILD)
    with pytest.raises(NotFound):
        await expenses.add_expense(GUILD, theirs, amount="5", paid_by=ALICE)
    assert await MiningExpense.all().count() == 0
