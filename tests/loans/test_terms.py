"""Interest for the term and how payments split, with awkward numbers (no database)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ConfigError, InvalidInput
from core.runtime import Runtime
from plugins.loans.settings import LoansSettings
from plugins.loans.terms import Balance, check_term, interest_for, parse_rate
from tests.support import make_settings

D = Decimal


@pytest.mark.parametrize(
    ("principal", "rate", "days", "basis", "interest"),
    [
        ("333.33", "0.0333", 30, "term", "11.10"),  # 11.099889
        ("0.10", "0.0500", 30, "term", "0.01"),  # 0.005 rounds half up
        ("0.01", "0.0500", 30, "term", "0.00"),  # 0.0005 rounds down
        ("1000.00", "0.0000", 30, "term", "0.00"),
        ("9999.99", "9.9999", 30, "term", "99998.90"),  # 99998.900001
        ("1000.01", "0.0725", 45, "annual", "8.94"),  # 8.938445...
        ("100.00", "0.0500", 365, "annual", "5.00"),
        ("123456.78", "0.1234", 1, "annual", "41.74"),  # 41.735...
        ("0.03", "0.5000", 1, "term", "0.02"),  # 0.015 half up
    ],
)
def test_simple_interest_to_the_cent(principal, rate, days, basis, interest):
    assert interest_for(D(principal), D(rate), days, basis) == D(interest)


@pytest.mark.parametrize(
    ("text", "rate"), [("0.05", "0.0500"), ("5%", "0.0500"), (" 12.5 % ", "0.1250"), ("0", "0")]
)
def test_rates_are_read_exactly(text, rate):
    assert parse_rate(text) == D(rate)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "not a number"),
        ("inf", "not a number"),
        ("0.00001", "more than 4 decimal places"),
        ("-0.01", "must not be negative"),
        ("10", "above the largest allowed"),
        ("1e300", "above the largest allowed"),
        ("-1e300", "must not be negative"),
        ("1e-300", "more than 4 decimal places"),
    ],
)
def test_bad_rates_are_refused_with_a_reason(text, message):
    with pytest.raises(InvalidInput, match=message):
        parse_rate(text)


def test_max_rate_is_a_per_guild_setting_and_bounds_the_default():
    settings = make_settings(
        {"loans": {"default_rate": "0.05"}, "guilds": {7: {"loans": {"max_rate": "2.5"}}}}
    )
    assert settings.plugin_settings("loans").max_rate == D("1")
    assert settings.plugin_settings("loans", 7).max_rate == D("2.5")
    with pytest.raises(ConfigError, match=r"default_rate .* is above max_rate"):
        make_settings({"loans": {"default_rate": "0.5", "max_rate": "0.2"}})
    with pytest.raises(ConfigError, match="max_rate"):
        make_settings({"loans": {"max_rate": "10"}})


def test_a_float_rate_is_refused():
    with pytest.raises(InvalidInput, match="not a float"):
        parse_rate(0.05)  # type: ignore[arg-type]


def test_term_defaults_and_limits():
    settings = LoansSettings(min_term_days=7, default_term_days=14, max_term_days=60)
    assert check_term(None, settings) == 14
    assert check_term(7, settings) == 7
    assert check_term(60, settings) == 60
    for bad in (6, 61, 0, -3):
        with pytest.raises(InvalidInput, match="7 to 60 days"):
            check_term(bad, settings)


def test_settings_refuse_terms_out_of_order():
    with pytest.raises(ValueError, match="min_term_days <= default_term_days"):
        LoansSettings(min_term_days=30, default_term_days=10)


def test_a_payment_pays_interest_first():
    balance = Balance(principal=D("1000.00"), interest=D("33.33"))
    assert balance.owed == D("1033.33")
    assert balance.allocate(D("20.00")) == (D("20.00"), D("0.00"))
    assert balance.allocate(D("100.00")) == (D("33.33"), D("66.67"))
    after = balance.after(D("33.33"), D("66.67"))
    assert (after.owed, after.receivable, after.interest_outstanding) == (
        D("933.33"),
        D("933.33"),
        D("0.00"),
    )
    with pytest.raises(ValueError):
        balance.allocate(D("1033.34"))


cents = st.integers(min_value=1, max_value=10**9).map(lambda c: D(c) / 100)


@given(
    principal=cents,
    interest=st.integers(min_value=0, max_value=10**8).map(lambda c: D(c) / 100),
    shares=st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=8),
)
def test_payments_in_any_pieces_settle_the_loan_exactly(principal, interest, shares):
    """Split what is owed into arbitrary payments: every cent lands in interest or principal,
    never more interest than was due, and the last payment leaves exactly zero."""
    balance = Balance(principal=principal, interest=interest)
    owed_cents = int(balance.owed * 100)
    total = sum(shares)
    pieces = [owed_cents * s // total for s in shares]
    pieces[-1] += owed_cents - sum(pieces)
    for piece in (D(p) / 100 for p in pieces):
        interest_part, principal_part = balance.allocate(piece)
        assert interest_part + principal_part == piece
        assert interest_part >= 0 and principal_part >= 0
        balance = balance.after(interest_part, principal_part)
        assert balance.interest_repaid <= interest
        assert balance.receivable >= 0
    assert balance.owed == 0
    assert (balance.interest_repaid, balance.principal_repaid) == (interest, principal)


def test_config_sections_are_validated_per_guild():
    settings = make_settings(
        {"loans": {"default_rate": 0.05}, "guilds": {7: {"loans": {"grace_days": 0}}}}
    )
    assert settings.plugin_settings("loans").default_rate == D("0.05")
    assert settings.plugin_settings("loans", 7).grace_days == 0
    assert settings.plugin_settings("loans", 8).grace_days == 7
    with pytest.raises(ConfigError, match=r"guilds\.7\.loans\.max_open_loans"):
        make_settings({"guilds": {7: {"loans": {"max_open_loans": 0}}}})
    with pytest.raises(ConfigError, match=r"loans\.interest_rate"):
        make_settings({"loans": {"interest_rate": "0.05"}})


def test_the_example_config_documents_the_defaults():
    example = Path(__file__).parents[2] / "config.example.toml"
    settings = Runtime.load(example).settings
    assert settings.plugin_settings("loans") == LoansSettings()
