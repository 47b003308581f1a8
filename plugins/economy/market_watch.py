"""The bot's periodic UEX sync: every `uex_sync_minutes` (top-level `[economy]`; 0 = off).

Every process runs this loop; the lease in `uex_sync_state` lets only the one that finds the
sync due do it, so shards sharing a database sync once per interval, never twice at once. A
failure is logged in one line and retried with a doubling back-off (at least UEX's
Retry-After), never more often than the interval.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from core.errors import UserError
from plugins.economy.market import holder_id, run_sync, sync_state
from plugins.economy.settings import EconomySettings

if TYPE_CHECKING:
    from core.context import PluginContext

log = logging.getLogger(__name__)

# how often a process looks whether the sync is due (another may have done it), in seconds
POLL_SECONDS = 60.0


async def tick(settings: EconomySettings, holder: str, now: datetime) -> float:
    """One look: sync if due and free. Returns the seconds to wait before the next look."""
    interval = settings.uex_sync_minutes * 60
    try:
        outcome = await run_sync(settings, holder=holder, at=now, due_only=True)
    except UserError as exc:  # UEX failed, or refused data: the prices stayed as they were
        log.warning("economy: UEX sync failed: %s", exc.message)
    except Exception:  # e.g. the database is away: try again at the next look
        log.exception("economy: UEX sync failed")
    else:
        if outcome.report is not None:
            report = outcome.report
            log.info(
                "economy: UEX sync: %d price(s) changed, %d held, %d new place(s), %d changed",
                len(report.prices.changed),
                len(report.prices.held),
                report.places_new,
                report.places_changed,
            )
            for name, old, new in report.prices.held:
                log.warning("economy: UEX price of %s held: %s → %s (jump > 10x)", name, old, new)
    state = await sync_state()
    if state is None or state.next_due_at is None:
        return min(POLL_SECONDS, interval)
    until_due = (state.next_due_at - now).total_seconds()
    return max(1.0, min(POLL_SECONDS, interval, until_due))


async def watch_forever(ctx: PluginContext[EconomySettings]) -> None:
    """Sync when due, until the bot closes (its jobs cancel this task)."""
    settings = ctx.settings()
    await ctx.ready()
    holder = holder_id()
    while True:
        try:
            wait = await tick(settings, holder, ctx.clock.now())
        except Exception:
            log.exception("economy: UEX sync check failed")
            wait = POLL_SECONDS
        await asyncio.sleep(wait)


def start_sync(ctx: PluginContext[EconomySettings]) -> asyncio.Task[None] | None:
    """Start the UEX price sync in the background, unless it is off or this is the demo."""
    # the demo is promised to need no network
    if not ctx.settings().uex_sync_minutes or ctx.demo:
        return None
    return ctx.spawn(watch_forever(ctx), name="economy-uex-sync")
