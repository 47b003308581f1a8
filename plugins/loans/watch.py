"""The bot's periodic overdue check, and the announcements of defaults in each guild.

Every `check_interval_minutes` (top-level `[loans]`; 0 turns it off) the bot runs
`mark_overdue` in each guild it serves where loans are on, then announces every default not
yet announced (including ones `redlegion loans check-overdue` made) in the guild's
`notify_channel_id`. Whether a default was announced is stored, so a restart neither loses
nor repeats an announcement.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from core.mentions import about
from core.money import fmt
from plugins.loans.defaults import Closed, mark_announced, mark_overdue, unannounced_defaults

if TYPE_CHECKING:
    from core.bot import RedLegionBot
    from core.context import PluginContext
    from plugins.loans.settings import LoansSettings

log = logging.getLogger(__name__)


def announcement(closed: Closed) -> str:
    loan = closed.loan
    text = (
        f"Loan **#{loan.id}** of <@{loan.borrower_id}> has defaulted: "
        f"{fmt(closed.balance.owed)} unpaid, due {discord.utils.format_dt(loan.due_date, 'D')}."
        if loan.due_date
        else f"Loan **#{loan.id}** of <@{loan.borrower_id}> has defaulted."
    )
    if closed.written_off:
        text += f" {fmt(closed.written_off)} of principal was written off."
    return text


async def check_guild(bot: RedLegionBot, guild_id: int) -> list[Closed]:
    """Default this guild's overdue loans, then announce what has not been announced."""
    settings = bot.settings.plugin_settings("loans", guild_id)
    closed = await mark_overdue(guild_id, settings=settings, at=bot.clock.now())
    pending = await unannounced_defaults(guild_id)
    if not pending:
        return closed
    channel = bot.get_channel(settings.notify_channel_id) if settings.notify_channel_id else None
    if isinstance(channel, discord.abc.Messageable):
        for item in pending:
            await channel.send(announcement(item), allowed_mentions=about(item.loan.borrower_id))
            await mark_announced(guild_id, [item.loan.id])
    else:
        if settings.notify_channel_id:
            log.warning(
                "loans: notify channel %s of guild %s is not a text channel the bot sees",
                settings.notify_channel_id,
                guild_id,
            )
        # nobody to tell: don't keep them pending for a channel configured later
        await mark_announced(guild_id, [item.loan.id for item in pending])
    return closed


async def check_all(bot: RedLegionBot) -> list[Closed]:
    """One round over the guilds this bot serves; a failure in one guild spares the others.

    A bot that stops mid-round ends the round quietly: the guilds left are checked at the
    next start, and what fails once the bot is closing (its database going away with it) is
    the stop, not a fault to log once per remaining guild.
    """
    closed: list[Closed] = []
    for guild in bot.guilds:
        if bot.is_closed():
            break
        if not await bot.enablement.is_enabled("loans", guild.id):
            continue
        log.debug("loans: overdue check in guild %s", guild.id)
        try:
            closed += await check_guild(bot, guild.id)
        except Exception:
            if bot.is_closed():
                break
            log.exception("loans: overdue check failed in guild %s", guild.id)
    return closed


async def watch(bot: RedLegionBot) -> None:
    try:
        await check_all(bot)
    except Exception:  # e.g. the database is away: try again next round
        if not bot.is_closed():
            log.exception("loans: overdue check failed")


def start_watch(bot: RedLegionBot, ctx: PluginContext[LoansSettings]) -> None:
    interval = ctx.settings().check_interval_minutes
    if interval:
        ctx.every(interval * 60, lambda: watch(bot), name="loans-overdue-watch")
