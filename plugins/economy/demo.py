"""Economy's part of `redlegion demo`: prices, a sale, balances and the finance report."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.demo import DemoContext

# what a UEX commodities export looks like (an excerpt; prices are made up)
UEX_EXCERPT = {
    "status": "ok",
    "data": [
        {"name": "Quantainium", "price_sell": 21400, "price_buy": 0},
        {"name": "Laranite", "price_sell": 3120.5, "price_buy": 0},
        {"name": "Agricium (Ore)", "price_sell": 1300, "price_buy": 0},
        {"name": "Medical Supplies", "price_sell": 1810, "price_buy": 1500},
    ],
}


async def scene(demo: DemoContext) -> None:
    from fakediscord import File

    demo.say("")
    demo.say("-- economy: prices, trades, the org bank --")
    await demo.slash(demo.crew[0], "price check", material="quantanium")
    upload = File("uex-commodities.json", json.dumps(UEX_EXCERPT).encode())
    await demo.slash(demo.treasurer, "price import", file=upload)
    await demo.slash(demo.treasurer, "price set", material="Gold", price="6,450")
    await demo.slash(
        demo.officer,
        "trade sell",
        material="Quantainium",
        scu="48",
        price_per_scu="21,400",
        location="CRU-L1",
        counterparty="Trade & Development Division",
    )
    await demo.slash(
        demo.officer, "trade buy", material="Inert", scu="1", total="250", member=demo.crew[1]
    )
    await demo.slash(demo.crew[1], "balance")
    await demo.slash(demo.treasurer, "bank statement", period="week")
    # after every scene, so the report shows the op's payroll and the loans too
    demo.at_the_end(lambda: demo.slash(demo.officer, "report finances"))
