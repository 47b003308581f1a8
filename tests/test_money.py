"""Money helpers: exact parsing within DECIMAL(15,2), and splits that add up to the cent."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.money import MAX_AMOUNT, cents, fmt, split, to_amount, unsigned_zero


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("10", Decimal("10.00")), ("1,000.5", Decimal("1000.50")), (Decimal("0.01"), Decimal("0.01"))],
)
def test_to_amount_accepts(raw: str, expected: Decimal):
    assert to_amount(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-5", "must not be negative"),
        ("0", "more than zero"),
        ("abc", "is not a number"),
        ("NaN", "is not a number"),
        ("1.001", "more than 2 decimal places"),
        ("10000000000000", "beyond the largest allowed"),
        ("1e300", "beyond the largest allowed"),
        ("-1e300", "beyond the largest allowed"),
        (0.1, "not a float"),
    ],
)
def test_to_amount_refuses_with_a_reason(raw: object, message: str):
    with pytest.raises(InvalidInput, match=message):
        to_amount(raw)  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["-0", "-0.00", Decimal("-0"), Decimal("-0E+5")])
def test_negative_zero_is_parsed_as_plain_zero(raw: object):
    amount = to_amount(raw, allow_zero=True)  # type: ignore[arg-type]
    assert str(amount) == "0.00" and not amount.is_signed()


@pytest.mark.parametrize(
    "value", [Decimal("-0"), -Decimal("0.00"), Decimal("-0.004"), Decimal("-0.001") * 3]
)
def test_negative_zero_is_never_shown_or_rounded_to(value: Decimal):
    assert fmt(value) == "0.00 aUEC"
    assert str(cents(value)) == "0.00"
    assert not cents(value).is_signed()


def test_unsigned_zero_leaves_other_amounts_alone():
    assert unsigned_zero(Decimal("-0.01")) == Decimal("-0.01")
    assert fmt(Decimal("-1234.5")) == "-1,234.50 aUEC"


def test_max_amount_is_allowed():
    assert to_amount(str(MAX_AMOUNT)) == MAX_AMOUNT


def test_split_three_ways_gives_the_odd_cent_to_one():
    assert split(Decimal("100.00"), [1, 1, 1]) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]


def test_split_by_time():
    parts = split(Decimal("1000.00"), [3600, 1800, 600])
    assert parts == [Decimal("600.00"), Decimal("300.00"), Decimal("100.00")]


def test_split_zero_weight_gets_nothing():
    assert split(Decimal("0.05"), [0, 1, 1]) == [Decimal("0"), Decimal("0.03"), Decimal("0.02")]


@given(
    total=st.decimals(min_value=0, max_value=MAX_AMOUNT, places=2),
    weights=st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=50).filter(
        lambda w: sum(w) > 0
    ),
)
def test_split_always_adds_up_and_is_fair(total: Decimal, weights: list[int]):
    parts = split(total, weights)
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        exact = total * weight / sum(weights)
        assert abs(part - exact) < Decimal("0.01")


def test_split_equal_remainders_go_to_the_earlier_entry():
    # 860220 cents × 18/52 and × 5/52 both leave 6/13 of a cent: the one cent left goes to the
    # earlier entry, whatever the size of the parts
    assert split(Decimal("8602.20"), [13, 18, 5, 16]) == [
        Decimal("2150.55"),
        Decimal("2977.69"),
        Decimal("827.13"),
        Decimal("2646.83"),
    ]


def test_split_by_decimal_weights_is_exact():
    assert split(Decimal("1.00"), [Decimal("0.5"), Decimal("1"), Decimal("1.5")]) == [
        Decimal("0.17"),
        Decimal("0.33"),
        Decimal("0.50"),
    ]


def largest_remainder(total: Decimal, weights: list[int | Decimal]) -> list[Decimal]:
    """The rule spelt out with exact fractions: floors, then a cent each to the largest
    remainders, ties to the earlier entry."""
    cents = int(total * 100)
    exact = [cents * Fraction(w) / sum(map(Fraction, weights)) for w in weights]
    floors = [math.floor(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[: cents - sum(floors)]:
        floors[i] += 1
    return [Decimal(c) / 100 for c in floors]


@given(
    total=st.decimals(min_value=0, max_value=MAX_AMOUNT, places=2),
    weights=st.lists(
        st.one_of(
            st.integers(min_value=0, max_value=10**7),
            st.sampled_from([1, 2, 3, 5, 6, 7, 13, 10**6, 10**6 + 1]),
            st.decimals(min_value=0, max_value=10**4, places=3),
        ),
        min_size=1,
        max_size=30,
    ).filter(lambda w: sum(w) > 0),
)
def test_split_is_the_exact_largest_remainder(total: Decimal, weights: list[int | Decimal]):
    parts = split(total, weights)
    assert parts == largest_remainder(total, weights)
    assert all(part == part.quantize(Decimal("0.01")) for part in parts)


@pytest.mark.parametrize(
    ("value", "shown"),
    [("2.345", "2.35"), ("-2.345", "-2.35"), ("0.125", "0.13"), ("1234567.5", "1,234,567.50")],
)
def test_fmt_rounds_half_up_to_the_cent(value: str, shown: str):
    # half up, as `cents` rounds everywhere else (a format spec alone would round half even)
    assert fmt(Decimal(value)) == f"{shown} aUEC"
