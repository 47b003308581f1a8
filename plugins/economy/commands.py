"""The economy's slash commands: prices, trades, balances, statements, the finance report."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from core import confirm, uploads
from core.money import fmt
from core.options import LedgerId
from core.permissions import Level, requires
from core.tabular import to_csv
from plugins.economy import embeds, ledger, reports
from plugins.economy.ledger import TREASURY
from plugins.economy.market import best_places, sync_state
from plugins.economy.materials import find_material, material_index, search_materials
from plugins.economy.models import PricePoint
from plugins.economy.prices import (
    MAX_IMPORT_BYTES,
    clear_guild_price,
    import_prices,
    parse_prices,
    price_history,
    prices_now,
    set_guild_price,
)
from plugins.economy.statements import Statement, member_position, period_window, statement
from plugins.economy.trades import Side, record_trade

if TYPE_CHECKING:
    pass

Interaction = discord.Interaction["RedLegionBot"]

PERIOD_CHOICES = [
    app_commands.Choice(name=label, value=value)
    for label, value in (
        ("last 7 days", "week"),
        ("last 30 days", "month"),
        ("last 91 days", "quarter"),
        ("last 365 days", "year"),
        ("everything", "all"),
    )
]


def _guild(interaction: Interaction) -> int:
    assert interaction.guild_id is not None  # core's check allows guild commands only
    return interaction.guild_id


async def material_choices(
    interaction: Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=m.name, value=m.name) for m in await search_materials(current)]


@requires(Level.MEMBER)
class PriceGroup(app_commands.Group, name="price", description="Material prices"):
    @app_commands.command(name="check", description="A material's price here, or all of them")
    @app_commands.describe(material="Leave empty to list every material")
    @app_commands.autocomplete(material=material_choices)
    async def check(self, interaction: Interaction, material: str | None = None) -> None:
        guild_id = _guild(interaction)
        state = await sync_state()
        synced_at = state.last_success_at if state else None
        if material is None:
            index = await material_index()
            table = embeds.price_table(await prices_now(guild_id, index.materials), synced_at)
            await interaction.response.send_message(embed=table)
            return
        found = await find_material(material)
        [now] = await prices_now(guild_id, [found])
        last_trade = (
            await PricePoint.filter(guild_id=guild_id, material_id=found.id, kind="trade")
            .order_by("-at", "-id")
            .first()
        )
        places = await best_places(found.id)
        await interaction.response.send_message(
            embed=embeds.price_detail(now, last_trade, places, synced_at)
        )

    @app_commands.command(name="history", description="How a material's price changed")
    @app_commands.autocomplete(material=material_choices)
    async def history(self, interaction: Interaction, material: str) -> None:
        found = await find_material(material)
        points = await price_history(_guild(interaction), found)
        await interaction.response.send_message(embed=embeds.price_history(found, points))

    @requires(Level.TREASURER)
    @app_commands.command(name="set", description="Set this server's own price for a material")
    @app_commands.describe(price="aUEC per SCU, e.g. 8800 or 8,812.50")
    @app_commands.autocomplete(material=material_choices)
    async def set_(self, interaction: Interaction, material: str, price: str) -> None:
        found = await find_material(material)
        point = await set_guild_price(
            _guild(interaction),
            found,
            price,
            actor_id=interaction.user.id,
            at=interaction.client.clock.now(),
        )
        await interaction.response.send_message(
            f"{found.name} is now {fmt(point.price)} per SCU in this server."
        )

    @requires(Level.TREASURER)
    @app_commands.command(name="clear", description="Go back to the reference price")
    @app_commands.autocomplete(material=material_choices)
    async def clear(self, interaction: Interaction, material: str) -> None:
        found = await find_material(material)
        fallback = await clear_guild_price(
            _guild(interaction),
            found,
            actor_id=interaction.user.id,
            at=interaction.client.clock.now(),
        )
        now = fmt(fallback) if fallback is not None else "no price"
        await interaction.response.send_message(
            f"{found.name} uses the reference price again: {now} per SCU."
        )

    @requires(Level.TREASURER)
    @app_commands.command(name="import", description="Set this server's prices from a file")
    @app_commands.describe(file="UEX commodities JSON, or CSV with name,price_sell,price_buy")
    async def import_(self, interaction: Interaction, file: discord.Attachment) -> None:
        data = await uploads.read_attachment(file, limit=MAX_IMPORT_BYTES)
        # the summary, and any refusal, is for the treasurer who ran it
        await interaction.response.defer(ephemeral=True, thinking=True)
        rows = parse_prices(data, file.filename)
        summary = await import_prices(
            rows,
            guild_id=_guild(interaction),
            actor_id=interaction.user.id,
            at=interaction.client.clock.now(),
        )
        await interaction.followup.send(summary.describe("this server")[:2000])


@requires(Level.OFFICER)
class TradeGroup(app_commands.Group, name="trade", description="Record the org's trades"):
    async def _record(
        self,
        interaction: Interaction,
        side: Side,
        material: str,
        scu: str,
        price_per_scu: str | None,
        total: str | None,
        location: str | None,
        counterparty: str | None,
        member: discord.Member | None,
    ) -> None:
        found = await find_material(material)
        if member is not None:
            await interaction.client.remember(member)
        trade = await record_trade(
            _guild(interaction),
            side=side,
            material=found,
            quantity_scu=scu,
            unit_price=price_per_scu,
            total=total,
            location=location,
            counterparty=counterparty,
            member_id=member.id if member else None,
            actor_id=interaction.user.id,
            at=interaction.client.clock.now(),
        )
        await interaction.response.send_message(embeds.trade_recorded(trade, found))

    @app_commands.command(name="sell", description="The org sold a material")
    @app_commands.describe(
        scu="Quantity in SCU",
        price_per_scu="aUEC per SCU (or give total)",
        total="aUEC for the lot (or give price_per_scu)",
        member="A member who sold for the org and holds the money",
    )
    @app_commands.autocomplete(material=material_choices)
    async def sell(
        self,
        interaction: Interaction,
        material: str,
        scu: str,
        price_per_scu: str | None = None,
        total: str | None = None,
        location: str | None = None,
        counterparty: str | None = None,
        member: discord.Member | None = None,
    ) -> None:
        await self._record(
            interaction,
            Side.SELL,
            material,
            scu,
            price_per_scu,
            total,
            location,
            counterparty,
            member,
        )

    @app_commands.command(name="buy", description="The org bought a material")
    @app_commands.describe(
        scu="Quantity in SCU",
        price_per_scu="aUEC per SCU (or give total)",
        total="aUEC for the lot (or give price_per_scu)",
        member="A member who paid from their own wallet (the org owes them)",
    )
    @app_commands.autocomplete(material=material_choices)
    async def buy(
        self,
        interaction: Interaction,
        material: str,
        scu: str,
        price_per_scu: str | None = None,
        total: str | None = None,
        location: str | None = None,
        counterparty: str | None = None,
        member: discord.Member | None = None,
    ) -> None:
        await self._record(
            interaction,
            Side.BUY,
            material,
            scu,
            price_per_scu,
            total,
            location,
            counterparty,
            member,
        )


async def _balance(interaction: Interaction) -> None:
    pos = await member_position(_guild(interaction), interaction.user.id)
    await interaction.response.send_message(embeds.position(pos, own=True), ephemeral=True)


def balance_command() -> app_commands.Command:
    """`/balance`, a top-level command (made fresh for each bot, like the groups)."""
    command = app_commands.Command(
        name="balance",
        description="What the org owes you, and what you owe it",
        callback=_balance,
    )
    return requires(Level.MEMBER)(command)


def _statement_csv(st: Statement) -> discord.File:
    rows = [["", "", "opening", "", "", f"{st.opening:.2f}"]]
    rows += [
        [
            line.at.isoformat(),
            line.transaction_id,
            line.kind,
            line.memo,
            f"{line.amount:.2f}",
            f"{line.balance:.2f}",
        ]
        for line in st.lines
    ]
    header = ["at", "transaction", "kind", "memo", "amount_auec", "balance_auec"]
    return discord.File(io.BytesIO(to_csv(header, rows)), filename="statement.csv")


@requires(Level.TREASURER)
class BankGroup(app_commands.Group, name="bank", description="The org bank: the ledger"):
    @app_commands.command(name="statement", description="A member's account, or the treasury's")
    @app_commands.describe(member="Leave empty for the org treasury")
    @app_commands.choices(period=PERIOD_CHOICES)
    async def statement_(
        self,
        interaction: Interaction,
        member: discord.Member | None = None,
        period: str = "month",
    ) -> None:
        since, until = period_window(period, interaction.client.clock.now())
        account = ledger.member(member.id) if member else TREASURY
        st = await statement(_guild(interaction), account, since=since, until=until)
        title = f"Statement of {member.display_name}" if member else "Treasury statement"
        await interaction.response.send_message(
            embed=embeds.statement(st, title), file=_statement_csv(st), ephemeral=True
        )

    @app_commands.command(name="reverse", description="Undo a ledger transaction (once)")
    @app_commands.describe(transaction="Transaction number (#)", reason="Why it is undone")
    async def reverse(self, interaction: Interaction, transaction: LedgerId, reason: str) -> None:
        guild_id = _guild(interaction)
        original = await ledger.reversible(guild_id, transaction, memo=reason)
        moved = await ledger.amount_moved(guild_id, original.id)

        async def undo(press: Interaction) -> str:
            rev = await ledger.reverse(
                guild_id,
                transaction,
                memo=reason,
                actor_id=press.user.id,
                at=press.client.clock.now(),
            )
            return f"Transaction #{transaction} reversed by #{rev.id}: {reason}"

        posted = discord.utils.format_dt(original.at, "D")  # in the reader's time zone
        question = (
            f"Reverse transaction #{original.id} ({original.kind}, {posted}, "
            f"{fmt(moved)}: {original.memo})? Its exact opposite is posted, for this reason: "
            f"{reason}"
        )
        await confirm.ask(interaction, question, undo)


@requires(Level.OFFICER)
class ReportGroup(app_commands.Group, name="report", description="Reports"):
    @app_commands.command(name="finances", description="Income, expenses, payouts, loans")
    @app_commands.describe(
        start="First day, YYYY-MM-DD (default: 30 days ago)",
        end="Last day, YYYY-MM-DD (default: today)",
    )
    @app_commands.rename(start="from", end="to")
    async def finances(
        self, interaction: Interaction, start: str | None = None, end: str | None = None
    ) -> None:
        today = interaction.client.clock.now().date()
        window = reports.day_window(
            reports.parse_day(start, "from"), reports.parse_day(end, "to"), today
        )
        await interaction.response.defer(thinking=True)
        # reportlab takes a third of a second to import: paid at the first report, not at
        # every start-up (register_commands imports this module before the bot connects)
        from plugins.economy import report_files

        report = await reports.finances(_guild(interaction), *window)
        label = report_files.period_label(report)
        stem = report_files.file_stem(report)
        guild_name = interaction.guild.name if interaction.guild else ""
        await interaction.followup.send(
            embed=embeds.finances(report, label),
            files=[
                discord.File(io.BytesIO(report_files.to_csv(report)), filename=f"{stem}.csv"),
                discord.File(
                    io.BytesIO(report_files.to_pdf(report, guild_name)), filename=f"{stem}.pdf"
                ),
            ],
        )


def economy_commands() -> list[app_commands.Group | app_commands.Command]:
    return [PriceGroup(), TradeGroup(), balance_command(), BankGroup(), ReportGroup()]
