"""The CLI's integer arguments keep the same bounds as the slash options: one argparse type."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.cli import build_parser
from core.inputs import cli_row_id, cli_snowflake, parser_actions
from core.plugins import PluginManager
from tests.test_cli import redlegion


def test_no_cli_argument_takes_a_plain_int():
    """`type=int` takes 0, -5 and 2^70 for an id; `core.inputs.cli_int` and its kinds do not."""
    parser = build_parser(PluginManager(entry_point_group=None))
    arguments = list(parser_actions(parser))
    plain = [f"{path} {a.dest}" for path, a in arguments if a.type is int]
    assert not plain, f"use core.inputs.cli_snowflake / cli_row_id / cli_int: {plain}"
    kinds = {(path.split(" ", 1)[1], a.dest): a.type for path, a in arguments if " " in path}
    assert kinds[("mining report", "event_id")] is cli_row_id
    guild_ids = [t for (_, dest), t in kinds.items() if dest == "guild"]
    assert len(guild_ids) >= 6 and all(t is cli_snowflake for t in guild_ids), kinds


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["mining", "report", "2147483648", "--guild", "1", "--out", "x.pdf"],
            "argument event_id: an id must be from 1 to 2,147,483,647; 2,147,483,648 is out",
        ),
        (
            ["export", "--guild", "9223372036854775808"],
            "argument --guild: a Discord id must be from 1 to 9,223,372,036,854,775,807",
        ),
        (["plugins", "list", "--guild", "0"], "argument --guild: a Discord id must be from 1"),
        (["loans", "check-overdue", "--guild", "12x"], "must be a whole number, not '12x'"),
        (
            ["prices", "import", "f.json", "--guild", "9" * 5000],
            "argument --guild: a Discord id must be from 1 .* a 5000-digit number is out of range",
        ),
    ],
)
def test_out_of_range_ids_are_refused_naming_the_argument(tmp_path: Path, args, message):
    url = f"sqlite://{tmp_path / 'untouched.sqlite3'}"
    result = redlegion(*args, cwd=tmp_path, DATABASE_URL=url)
    assert result.returncode == 2, result
    last = result.stderr.strip().splitlines()[-1]
    assert re.search(message, last), last
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "untouched.sqlite3").exists()  # refused before the database


def test_the_cli_types_take_what_they_should():
    assert cli_row_id("2147483647") == 2**31 - 1
    assert cli_snowflake(" 1457433398478897152 ") == 1457433398478897152
