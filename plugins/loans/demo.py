"""Loans' part of `redlegion demo`: a request approved and repaid, a loan that defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING

from plugins.loans.watch import announcement, check_all

if TYPE_CHECKING:
    from core.demo import DemoContext


def _number(text: str) -> int:
    """The loan number in a reply such as "Loan **#3** requested …"."""
    return int(text.split("**#", 1)[1].split("**", 1)[0])


async def scene(demo: DemoContext) -> None:
    assert demo.bot is not None
    borrower, other = demo.crew[2], demo.crew[3]
    demo.say("")
    demo.say("-- loans: borrow, approve, repay, default --")
    asked = await demo.slash(
        borrower, "loan request", amount="250,000", term_days=30, reason="a Prospector"
    )
    first = _number(asked.text)
    await demo.slash(borrower, "loan approve", id=first)  # refused: not a treasurer
    await demo.slash(demo.treasurer, "loan approve", id=first)
    await demo.slash(borrower, "loan repay", id=first, amount="100,000")
    await demo.slash(borrower, "loan repay", id=first, amount="200,000")  # refused: too much
    await demo.slash(borrower, "loan repay", id=first, amount="162,500")
    issued = await demo.slash(
        demo.officer, "loan issue", member=other, amount="40,000.50", term_days=7
    )
    second = _number(issued.text)
    await demo.slash(other, "loan repay", id=second, amount="5,000")
    demo.world.clock.advance(days=15)  # due after 7 days, 7 days of grace
    demo.say("*** 15 days later: the bot's overdue check runs ***")
    for closed in await check_all(demo.bot):
        demo.say(f"    {announcement(closed)}")
    await demo.slash(other, "loan mine")
    await demo.slash(demo.treasurer, "loan show", id=second)
    await demo.slash(demo.treasurer, "loan list")
