"""UserError names members by id; each face renders them (Discord: mentions, CLI: plain)."""

from __future__ import annotations

import pytest

from core import mentions
from core.errors import InvalidInput, MemberRef, NotFound, UserError


def test_a_message_names_members_without_markup():
    error = NotFound(MemberRef(501), " owes ", MemberRef(502, "Bob"), " and ", MemberRef(501))
    assert error.message == "member 501 owes Bob and member 501"
    assert str(error) == error.message
    assert "<@" not in error.message
    assert error.members == (501, 502)


def test_discord_renders_the_members_as_mentions():
    error = NotFound(MemberRef(501), " is not a member of this server")
    assert mentions.render(error) == "<@501> is not a member of this server"
    assert mentions.render(UserError("plain text")) == "plain text"


def test_a_prefix_keeps_the_type_and_the_members():
    error = InvalidInput(MemberRef(7), " has no time").prefixed("line 3: ")
    assert isinstance(error, InvalidInput)
    assert error.message == "line 3: member 7 has no time"
    assert mentions.render(error) == "line 3: <@7> has no time"
    assert error.members == (7,)
    with pytest.raises(InvalidInput, match=r"^line 3: member 7 has no time$"):
        raise error


@pytest.mark.parametrize(
    ("text", "user_id"),
    [
        ("<@123>", 123),
        ("<@!123>", 123),
        (" 123 ", 123),
        ("bob", None),
        ("<@&123>", None),
        ("", None),
    ],
)
def test_discord_reads_a_member_as_a_mention_or_an_id(text, user_id):
    assert mentions.user_id(text) == user_id
