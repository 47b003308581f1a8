"""Wide records are built by keyword: a field added or moved cannot shift the others."""

from __future__ import annotations

import dataclasses

import pytest

from core.events import VoiceStateEvent
from plugins.economy.statements import Statement, StatementLine
from plugins.mining.adjustments import Adjustment
from plugins.mining.expenses import ExpenseLine
from plugins.mining.payroll import MemberPayout, PayoutLine, Payroll
from plugins.mining.report import EventReport
from plugins.mining.yields import YieldLine

WIDE = [
    VoiceStateEvent,
    Statement,
    StatementLine,
    Adjustment,
    ExpenseLine,
    MemberPayout,
    PayoutLine,
    Payroll,
    EventReport,
    YieldLine,
]


@pytest.mark.parametrize("record", WIDE, ids=lambda r: r.__name__)
def test_a_wide_record_takes_its_fields_by_keyword_only(record: type) -> None:
    fields = dataclasses.fields(record)
    assert len(fields) >= 6
    assert [f.name for f in fields if not f.kw_only] == []
