"""Economy's public service, as another plugin gets it: `ctx.service("economy")` for a plugin
that depends on economy, balances and balanced postings with the ledger's own refusals."""

from __future__ import annotations

from decimal import Decimal
from types import ModuleType

import pytest

from core.bot import RedLegionBot
from core.errors import InvalidInput, NotFound
from core.hookspecs import hookimpl
from core.plugin_spec import PluginSpec
from core.plugins import DEFAULT_PLUGINS, PluginManager
from plugins.economy.models import Entry, Transaction
from plugins.economy.service import ECONOMY, Economy
from storage import Database
from tests.economy.conftest import ALICE, BOB, GUILD, T0
from tests.support import make_settings


def bounty_plugin() -> ModuleType:
    module = ModuleType("fake_bounty")

    @hookimpl
    def redlegion_plugin() -> PluginSpec:
        return PluginSpec(name="bounty", version="1.0", depends=("economy",))

    module.redlegion_plugin = redlegion_plugin  # type: ignore[attr-defined]
    return module


async def books() -> tuple[int, int]:
    return await Transaction.all().count(), await Entry.all().count()


async def test_a_dependent_plugin_gets_the_service_and_others_are_refused() -> None:
    plugins = PluginManager(builtins=(*DEFAULT_PLUGINS, bounty_plugin()), entry_point_group=None)
    bot = RedLegionBot(make_settings(None, plugins), plugins)
    assert bot.context("bounty").service("economy") is ECONOMY
    with pytest.raises(LookupError, match="'bounty' does not depend on 'mining'"):
        bot.context("bounty").service("mining")
    # loans depends on economy too; economy depends on nothing
    assert isinstance(bot.context("loans").service("economy"), Economy)
    with pytest.raises(LookupError, match="'economy' does not depend on 'loans'"):
        bot.context("economy").service("loans")
    assert bot.context("bounty") is bot.context("bounty"), "one context per plugin"


async def test_a_posting_moves_balances_once_per_reference(db: Database, guilds) -> None:
    economy = ECONOMY
    lines = [
        economy.Line(economy.TREASURY, Decimal("-250.00")),
        economy.Line(economy.member(ALICE), Decimal("250.00")),
    ]
    first = await economy.post(
        GUILD, memo="Bounty paid to Alice", lines=lines, reference="bounty:7", at=T0
    )
    again = await economy.post(
        GUILD, memo="Bounty paid to Alice", lines=lines, reference="bounty:7", at=T0
    )
    assert first == again, "a retry with the same reference posts nothing"
    assert await books() == (1, 2)
    assert await economy.balance(GUILD, economy.member(ALICE)) == Decimal("250.00")
    assert await economy.balance(GUILD, economy.TREASURY) == Decimal("-250.00")
    assert (await economy.position(GUILD, ALICE)).account == Decimal("250.00")
    assert await economy.balance(GUILD, economy.member(BOB)) == Decimal("0.00")


@pytest.mark.parametrize(
    ("lines", "why"),
    [
        ([("treasury", "-10.00"), ("alice", "9.99")], "do not balance"),
        ([("treasury", "-10.00")], "at least two lines"),
        ([("treasury", "-0.001"), ("alice", "0.001")], "more than 2 decimal places"),
        ([("treasury", "-1e300"), ("alice", "1e300")], "beyond the largest allowed"),
    ],
)
async def test_a_bad_posting_is_refused_by_name_and_writes_nothing(
    db: Database, guilds, lines, why
) -> None:
    economy = ECONOMY
    account = {"treasury": economy.TREASURY, "alice": economy.member(ALICE)}
    before = await books()
    with pytest.raises(InvalidInput, match=why):
        await economy.post(
            GUILD,
            memo="Bad",
            lines=[economy.Line(account[a], Decimal(v)) for a, v in lines],
            at=T0,
        )
    assert await books() == before


async def test_a_member_the_bot_does_not_know_is_not_found(db: Database, guilds) -> None:
    economy = ECONOMY
    before = await books()
    with pytest.raises(NotFound, match="is not known to the bot"):
        await economy.post(
            GUILD,
            memo="To a stranger",
            lines=[
                economy.Line(economy.TREASURY, Decimal("-5.00")),
                economy.Line(economy.member(987654321), Decimal("5.00")),
            ],
            at=T0,
        )
    assert await books() == before
