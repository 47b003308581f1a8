"""The Confirm/Cancel step of `/mining payroll commit`, `/loan forgive` and `/bank reverse`,
pressed through the Discord stand-in: only the requester's first Confirm, in time, does it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from core import confirm
from core.plugins import PluginManager
from core.standin import running_bot
from fakediscord import BotError, FakeDiscord, FakeDiscordError, Guild, Member, Reply
from plugins.economy.models import Entry, Transaction
from plugins.loans.models import Loan
from plugins.mining import payroll
from plugins.mining.models import MiningEvent, MiningPayout
from storage import Database
from tests.support import make_settings

CONFIRM, CANCEL = confirm.CONFIRM_ID, confirm.CANCEL_ID


@dataclass
class Org:
    world: FakeDiscord
    guild: Guild
    tess: Member  # treasurer, who runs the commands
    tom: Member  # another treasurer
    otto: Member  # officer
    bob: Member  # org member: miner and borrower


@pytest.fixture
async def org(fake_discord: FakeDiscord, db: Database) -> AsyncIterator[Org]:
    world = fake_discord
    guild = world.guild("Red Legion")
    member, officer, treasurer = guild.role("Org"), guild.role("Officer"), guild.role("Treasurer")
    scene = Org(
        world,
        guild,
        tess=guild.member("Tess", roles=[member, treasurer]),
        tom=guild.member("Tom", roles=[member, treasurer]),
        otto=guild.member("Otto", roles=[member, officer]),
        bob=guild.member("Bob", roles=[member]),
    )
    settings = make_settings(
        {
            "guilds": {
                str(guild.id): {
                    "org_role": member.id,
                    "roles": {"officer": [officer.id], "treasurer": [treasurer.id]},
                }
            }
        }
    )
    async with world.serve(), running_bot(world, settings, PluginManager(entry_point_group=None)):
        for hidden in ("trade",):  # opened to @everyone: the bot's own check decides
            world.commands.allow_role(guild.id, hidden, guild.id)
        yield scene


def number(text: str) -> int:
    return int(text.split("#", 1)[1].split(maxsplit=1)[0].strip("*:"))


# -- the three commands, each with what it needs first and what shows it was done -------------


@dataclass(frozen=True)
class Case:
    command: str
    prepare: Callable[[Org], Awaitable[dict[str, Any]]]  # the command's options
    done: str  # in the public message once confirmed
    refused: str  # why a second confirmed prompt is not done


async def completed_op(org: Org) -> dict[str, Any]:
    rocks = org.guild.voice("Rocks")
    await org.otto.slash("mining channel add", channel=rocks)
    event = number((await org.otto.slash("mining event create", name="Sunday op")).text)
    await org.otto.slash("mining event start", event=event)
    await org.bob.join(rocks)
    org.world.clock.advance(minutes=60)
    await org.otto.slash("mining event stop", event=event)
    await org.otto.slash("mining yield add", event=event, material="Gold", scu="10", member=org.bob)
    return {"event": event}


async def loan_to_bob(org: Org) -> dict[str, Any]:
    issued = await org.otto.slash("loan issue", member=org.bob, amount="800")
    return {"id": int(issued.text.split("**#", 1)[1].split("**", 1)[0])}


async def a_sale(org: Org) -> dict[str, Any]:
    await org.otto.slash("trade sell", material="Gold", scu="10", price_per_scu="6400")
    tx = await Transaction.filter(kind="sale").first()
    assert tx is not None
    return {"transaction": tx.id, "reason": "wrong price"}


CASES = [
    Case(
        "mining payroll commit",
        completed_op,
        "(committed, by time in channel)",
        "was already committed",
    ),
    Case(
        "loan forgive",
        loan_to_bob,
        "is forgiven (840.00 aUEC was owed)",
        "is forgiven: only an active or defaulted loan can be forgiven",
    ),
    Case("bank reverse", a_sale, "reversed by #", "was already reversed by #"),
]
IDS = ["payroll", "forgive", "reverse"]


async def books() -> dict[str, list[Any]]:
    """What any of the three would change: ledger, payouts, payroll flags, loan states."""
    return {
        "transactions": await Transaction.all().order_by("id").values_list("id", flat=True),
        "entries": await Entry.all().order_by("id").values_list("id", flat=True),
        "payouts": await MiningPayout.all().order_by("id").values_list("id", flat=True),
        "payroll": await MiningEvent.all().order_by("id").values_list("id", "payroll_processed"),
        "loans": await Loan.all().order_by("id").values_list("id", "status"),
    }


async def asked(org: Org, case: Case) -> tuple[Reply, dict[str, Any]]:
    """Prepare the case, run its command as Tess: the prompt, and the books before any answer."""
    prompt, before, _ = await asked_with(org, case)
    return prompt, before


async def asked_with(org: Org, case: Case) -> tuple[Reply, dict[str, Any], dict[str, Any]]:
    options = await case.prepare(org)
    before = await books()
    prompt = await org.tess.slash(case.command, **options)
    assert prompt.message is not None and prompt.message.custom_ids == [CONFIRM, CANCEL]
    assert not prompt.ephemeral and "Confirm within 2 minutes, or cancel." in prompt.text
    assert await books() == before  # asking writes nothing
    return prompt, before, options


def buttons_disabled(prompt: Reply) -> bool:
    assert prompt.message is not None
    found = [c for row in prompt.message.components for c in row["components"]]
    return bool(found) and all(c.get("disabled") for c in found)


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_confirm_does_it_once(org: Org, case: Case) -> None:
    prompt, before = await asked(org, case)
    pressed = await org.tess.click(prompt, CONFIRM)
    assert f"Confirmed by <@{org.tess.id}>: done." in prompt.text
    assert case.done in pressed.text
    assert buttons_disabled(prompt)
    after = await books()
    assert after != before
    with pytest.raises(FakeDiscordError, match="disabled"):  # Discord greys them out
        await org.tess.click(prompt, CONFIRM)
    assert await books() == after


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_a_double_click_does_it_once(org: Org, case: Case) -> None:
    prompt, before = await asked(org, case)
    # both presses leave before the bot has answered either (the buttons are still live)
    first, second = await asyncio.gather(
        org.tess.click(prompt, CONFIRM), org.tess.click(prompt, CONFIRM)
    )
    assert case.done in first.text
    assert second.ephemeral and "confirmed already; it is not done twice" in second.text
    after = await books()
    assert after != before
    assert len(after["transactions"]) - len(before["transactions"]) == 1


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_a_second_prompt_is_refused_by_the_service(org: Org, case: Case) -> None:
    # two prompts for one thing (Tess and Tom, or Tess twice): the service pays once
    prompt, _, options = await asked_with(org, case)
    second = await org.tess.slash(case.command, **options)
    await org.tess.click(prompt, CONFIRM)
    done = await books()
    late = await org.tess.click(second, CONFIRM)
    assert late.message is second.message
    assert f"Confirmed by <@{org.tess.id}>, but **not done**: " in second.text
    assert case.refused in second.text
    assert await books() == done


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_someone_else_cannot_answer(org: Org, case: Case) -> None:
    prompt, before = await asked(org, case)
    for who, button in ((org.tom, CONFIRM), (org.bob, CANCEL), (org.otto, CONFIRM)):
        refused = await who.click(prompt, button)
        assert refused.ephemeral
        assert f"Only <@{org.tess.id}>, who ran /{case.command}, can answer this" in refused.text
    assert await books() == before
    assert not buttons_disabled(prompt)  # still Tess's to answer
    assert case.done in (await org.tess.click(prompt, CONFIRM)).text


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_cancel_does_nothing_and_ends_the_step(org: Org, case: Case) -> None:
    prompt, before = await asked(org, case)
    cancelled, late = await asyncio.gather(
        org.tess.click(prompt, CANCEL), org.tess.click(prompt, CONFIRM)
    )
    assert f"Cancelled by <@{org.tess.id}>: nothing was done." in cancelled.text
    assert late.ephemeral and "This was cancelled; nothing was done." in late.text
    assert f"Run /{case.command} again." in late.text
    assert buttons_disabled(prompt)
    assert await books() == before


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_an_expired_step_is_refused(org: Org, case: Case) -> None:
    prompt, before = await asked(org, case)
    org.world.clock.advance(minutes=2)  # the bot's clock: no real waiting
    expired = await org.tess.click(prompt, CONFIRM)
    assert expired.message is prompt.message
    assert "This expired unanswered; nothing was done." in prompt.text
    assert prompt.message is not None and prompt.message.components == []
    assert await books() == before


async def test_a_step_nobody_answers_loses_its_buttons(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(confirm, "TIMEOUT", timedelta(seconds=0.1))  # discord.py's, real time
    prompt, before = await asked_quickly(org)
    assert prompt.message is not None
    for _ in range(500):  # on_timeout edits the message on its own; look until it has
        if not prompt.message.components:
            break
        await asyncio.sleep(0.01)
    assert prompt.message.components == []
    assert "This expired unanswered; nothing was done." in prompt.text
    assert await books() == before


async def asked_quickly(org: Org) -> tuple[Reply, dict[str, Any]]:
    options = await a_sale(org)
    before = await books()
    prompt = await org.tess.slash("bank reverse", **options)
    assert prompt.message is not None and prompt.message.custom_ids == [CONFIRM, CANCEL]
    return prompt, before


async def test_an_unexpected_error_is_reported_with_an_id(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompt, before = await asked(org, CASES[0])

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(payroll, "commit", broken)
    with pytest.raises(BotError, match="disk on fire"):
        await org.tess.click(prompt, CONFIRM)
    answer = org.world.interactions[list(org.world.interactions)[-1]]
    assert "Something went wrong on our side (error id `" in Reply(answer).text
    assert await books() == before


async def test_what_each_prompt_says(org: Org) -> None:
    op = await completed_op(org)
    payroll_prompt = await org.tess.slash("mining payroll commit", **op)
    assert "(preview, nothing written, by time in channel)" in payroll_prompt.text
    assert "Bob" in payroll_prompt.text and "Commit this payroll" in payroll_prompt.text
    loan = await loan_to_bob(org)
    forgive_prompt = await org.tess.slash("loan forgive", **loan)
    assert f"Forgive loan **#{loan['id']}** of <@{org.bob.id}>" in forgive_prompt.text
    assert "840.00 aUEC is owed" in forgive_prompt.text
    sale = await a_sale(org)
    reverse_prompt = await org.tess.slash("bank reverse", **sale)
    assert f"Reverse transaction #{sale['transaction']}" in reverse_prompt.text
    assert "64,000.00 aUEC" in reverse_prompt.text and "wrong price" in reverse_prompt.text
