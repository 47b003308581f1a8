"""How economy results look on Discord: embeds and short texts built from service results."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from core.money import fmt
from plugins.economy.ledger import AccountKind
from plugins.economy.models import MarketSellPrice, Material, PricePoint, Trade
from plugins.economy.prices import PriceNow
from plugins.economy.reports import TOP_MATERIALS, FinanceReport
from plugins.economy.statements import MemberPosition, Statement

COLOUR = discord.Colour.dark_red()
SOURCE_LABELS = {
    "guild": "this server's own price",
    "market": "reference market price",
    "base": "seeded reference value (no market price imported yet)",
}
EMBED_LINES = 20
SIGNS = {
    AccountKind.TREASURY: "Positive: money the org holds.",
    AccountKind.MEMBER: "Negative: the org owes the member. Positive: the member owes the org.",
    AccountKind.LOANS_RECEIVABLE: "Positive: owed to the org on loans.",
    AccountKind.INCOME: "Negative: earned.",
    AccountKind.INTEREST_INCOME: "Negative: earned.",
    AccountKind.EXPENSES: "Positive: spent.",
    AccountKind.WRITE_OFFS: "Positive: given up.",
}


def _when(at: datetime | None) -> str:
    return f"<t:{int(at.timestamp())}:R>" if at is not None else "never"


def price_table(prices: Sequence[PriceNow], synced_at: datetime | None = None) -> discord.Embed:
    """Every material with its price here: one line each, grouped by category, and how old
    the reference prices from UEX are."""
    embed = discord.Embed(title="Material prices (aUEC per SCU)", colour=COLOUR)
    embed.description = (
        f"Reference prices last read from UEX {_when(synced_at)}."
        if synced_at is not None
        else "Reference prices not read from UEX yet."
    )
    by_category: dict[str, list[str]] = {}
    for p in prices:
        mark = " *" if p.source == "guild" else ""
        value = f"{p.price:,.2f}" if p.price is not None else "no price"
        by_category.setdefault(p.material.category or "other", []).append(
            f"{p.material.name}: {value}{mark}"
        )
    for category, lines in sorted(by_category.items()):
        embed.add_field(name=category.title(), value="\n".join(lines)[:1024], inline=True)
    embed.set_footer(text="* this server's own price. /price check MATERIAL for details.")
    return embed


def price_detail(
    now: PriceNow,
    last_trade: PricePoint | None,
    places: Sequence[MarketSellPrice] = (),
    synced_at: datetime | None = None,
) -> discord.Embed:
    """One material: the price here and where it comes from, the reference price, the best
    places to sell per UEX with how old each figure is, and when UEX was last read."""
    m = now.material
    embed = discord.Embed(title=m.name, colour=COLOUR)
    price = fmt(now.price) if now.price is not None else "no price"
    embed.add_field(name="Price per SCU", value=price, inline=True)
    embed.add_field(name="From", value=SOURCE_LABELS[now.source], inline=True)
    embed.add_field(name="Category", value=m.category or "other", inline=True)
    if now.source != "market" and m.current_market_value is not None:
        embed.add_field(name="Reference price", value=fmt(m.current_market_value), inline=True)
    if m.base_value_auec is not None:
        embed.add_field(name="Seeded value", value=fmt(m.base_value_auec), inline=True)
    if last_trade is not None:
        embed.add_field(
            name="Last trade here",
            value=f"{fmt(last_trade.price)}/SCU {_when(last_trade.at)}",
            inline=True,
        )
    if places:
        embed.add_field(
            name="Best places to sell (UEX)",
            value="\n".join(_place(i, p) for i, p in enumerate(places, start=1))[:1024],
            inline=False,
        )
    embed.add_field(name="UEX prices read", value=_when(synced_at), inline=True)
    if m.aliases:
        embed.set_footer(text="Also known as " + ", ".join(m.aliases))
    return embed


def _place(rank: int, place: MarketSellPrice) -> str:
    system = place.star_system or "system unknown"
    stock = f", stock {place.scu_sell_stock:,} SCU" if place.scu_sell_stock else ""
    seen = _when(place.reported_at or place.synced_at)
    return (
        f"{rank}. {place.terminal_name} ({system}): {fmt(place.price_sell)}/SCU{stock}, "
        f"UEX figure from {seen}"
    )


def price_history(material: Material, points: Sequence[PricePoint]) -> discord.Embed:
    embed = discord.Embed(title=f"Price history: {material.name}", colour=COLOUR)
    if not points:
        embed.description = "No price points yet."
        return embed
    lines = []
    for p in points:
        scope = "this server" if p.guild_id is not None else "reference"
        who = f" by <@{p.actor_id}>" if p.actor_id else ""
        lines.append(
            f"<t:{int(p.at.timestamp())}:d> **{p.price:,.2f}** {p.kind} ({scope}, {p.source}){who}"
        )
    embed.description = "\n".join(lines)[:4000]
    return embed


def trade_recorded(trade: Trade, material: Material) -> str:
    verb = "Sold" if trade.side == "sell" else "Bought"
    parts = [
        f"{verb} {trade.quantity_scu:,.2f} SCU {material.name} at {fmt(trade.unit_price)}/SCU:",
        f"**{fmt(trade.total)}**",
    ]
    if trade.member_id:
        parts.append(f"(by <@{trade.member_id}>, settled through their member account)")
    return " ".join(parts) + f". Ledger transaction #{trade.transaction_id}."


def position(pos: MemberPosition, *, own: bool) -> str:
    who = "you" if own else f"<@{pos.user_id}>"
    lines = []
    if pos.owed_to_member:
        lines.append(f"The org owes {who} **{fmt(pos.owed_to_member)}**.")
    if pos.account > 0:
        lines.append(f"{who.capitalize()} owe{'' if own else 's'} the org **{fmt(pos.account)}**.")
    if pos.loans:
        lines.append(f"Loans outstanding: **{fmt(pos.loans)}**.")
    if not lines:
        lines.append(f"{'You are' if own else who + ' is'} square with the org.")
    return "\n".join(lines)


def statement(st: Statement, title: str) -> discord.Embed:
    since = f"<t:{int(st.since.timestamp())}:d>" if st.since else "the start"
    embed = discord.Embed(
        title=title,
        colour=COLOUR,
        description=f"From {since} to <t:{int(st.until.timestamp())}:d>. {SIGNS[st.account.kind]}",
    )
    embed.add_field(name="Opening balance", value=fmt(st.opening), inline=True)
    embed.add_field(name="Closing balance", value=fmt(st.closing), inline=True)
    shown: list[str] = []  # newest last, as many as fit in a field
    for line in reversed(st.lines[-EMBED_LINES:]):
        text = (
            f"<t:{int(line.at.timestamp())}:d> #{line.transaction_id} {line.kind}: "
            f"{line.amount:+,.2f} → {line.balance:,.2f}\n  {line.memo[:80]}"
        )
        if sum(len(t) + 1 for t in shown) + len(text) > 960:
            break
        shown.insert(0, text)
    hidden = len(st.lines) - len(shown) + st.truncated
    if shown:
        if hidden:
            shown.insert(0, f"… {hidden} earlier line(s): see the attached CSV")
        embed.add_field(name="Entries", value="\n".join(shown), inline=False)
    else:
        embed.add_field(name="Entries", value="None in this period.", inline=False)
    return embed


def finances(report: FinanceReport, label: str) -> discord.Embed:
    embed = discord.Embed(title=f"Finances {label}", colour=COLOUR)
    for name, amount in report.figures():
        embed.add_field(name=name, value=fmt(amount), inline=True)
    if report.sold:
        embed.add_field(
            name="Top materials sold",
            value="\n".join(
                f"{m.name}: {fmt(m.value)} ({m.scu:,.2f} SCU)" for m in report.sold[:TOP_MATERIALS]
            ),
            inline=False,
        )
    embed.set_footer(text="CSV and PDF (with charts) attached. All figures from the ledger.")
    return embed
