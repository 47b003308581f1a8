"""The shared loader every upload goes through: hostile files refused, honest ones read as is."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from core import uploads
from core.errors import InvalidInput


def test_an_honest_export_is_read_exactly():
    doc = {"status": "ok", "data": [{"name": "Gold [refined] {x}", "price_sell": 6500.25}]}
    text = json.dumps(doc)
    assert uploads.load_json(text, "uex.json")["data"][0] == {
        "name": "Gold [refined] {x}",
        "price_sell": Decimal("6500.25"),
    }
    assert uploads.load_json("[12, 1.5]", "a.json", parse_float=str) == [12, "1.5"]


def test_brackets_inside_strings_do_not_count_as_depth():
    deep_looking = json.dumps({"note": "[" * 10_000 + '\\"{' * 100})
    assert uploads.json_depth(deep_looking, 32) == 1
    assert uploads.load_json(deep_looking, "a.json")["note"].startswith("[[[")


def test_depth_is_counted_up_to_the_limit_and_no_further():
    assert uploads.json_depth("[" * 32 + "]" * 32, 32) == 32
    assert uploads.load_json("[" * 32 + "]" * 32, "a.json") is not None
    assert uploads.json_depth("[" * 100_000, 32) == 33
    with pytest.raises(InvalidInput, match=r"a.json is nested more than 32 levels deep"):
        uploads.load_json('{"a": ' * 33 + "1" + "}" * 33, "a.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" + "9" * 41 + "]", "a number of 41 digits: at most 40"),
        ("[1." + "5" * 4999 + "]", "a number of 5,001 digits"),
        ("[NaN]", "holds NaN, which is not a number"),
        ("[-Infinity]", "holds -Infinity"),
        ('{"a\\u0000": 1}', "control character .U.0000."),
        ('["\\udfff"]', "control character .U.DFFF."),
        ('["\\u0007"]', "control character .U.0007."),
        ("[1, 2", "not valid JSON .line 1, column 6"),
    ],
)
def test_hostile_json_is_refused_with_its_problem(text, message):
    with pytest.raises(InvalidInput, match=message):
        uploads.load_json(text, "a.json")


def test_text_must_be_utf8_without_control_characters_but_line_breaks_and_tabs():
    assert (
        uploads.decode_text(b"\xef\xbb\xbfa,b\r\n\t1,2\n", "a.csv", limit=100) == "a,b\r\n\t1,2\n"
    )
    with pytest.raises(InvalidInput, match=r"a.csv is not UTF-8 text .byte 2"):
        uploads.decode_text(b"a\xe9", "a.csv", limit=100)
    with pytest.raises(InvalidInput, match=r"U.001B. on line 2"):
        uploads.decode_text(b"a\nb\x1b[31m", "a.csv", limit=100)
    with pytest.raises(InvalidInput, match=r"a.csv is 101 bytes: keep it under 100 bytes"):
        uploads.decode_text(b"x" * 101, "a.csv", limit=100)
    with pytest.raises(InvalidInput, match=r"a.csv is empty"):
        uploads.decode_text(b" \n ", "a.csv", limit=100)


def test_a_file_on_disk_is_never_read_past_its_limit(tmp_path: Path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 2048)
    assert uploads.read_path(path, limit=2048) == b"x" * 2048
    with pytest.raises(InvalidInput, match=r"big.csv is over 1 KB"):
        uploads.read_path(path, limit=1024)
    with pytest.raises(InvalidInput, match=r"cannot read"):
        uploads.read_path(tmp_path / "missing.csv", limit=1024)


def test_csv_problems_name_the_line():
    rows = list(uploads.csv_rows('a,b\n"x\ny",2\n', "a.csv"))
    assert rows == [(1, ["a", "b"]), (3, ["x\ny", "2"])]  # a quoted line break is data
    with pytest.raises(InvalidInput, match=r"a.csv line 2: field larger than field limit"):
        list(uploads.csv_rows('a\n"' + "x" * 200_000 + '"\n', "a.csv"))
