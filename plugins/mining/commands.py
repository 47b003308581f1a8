"""`/mining …`: the Discord face of mining. Each command checks nothing itself (core does
permissions and enablement), calls a service, and formats the answer.

Commands that change channels or events hold the guild's voice tracker while they do, so voice
events wait and then see the new state.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from core import confirm, uploads
from core.errors import InvalidInput
from core.mentions import about, user_id
from core.money import fmt
from core.permissions import Level, requires
from plugins.economy.materials import search_materials
from plugins.mining import (
    adjustments,
    channels,
    events,
    expenses,
    formatting,
    payroll,
    yields,
)
from plugins.mining.models import EventStatus
from plugins.mining.timeline import hms
from plugins.mining.voice import tracker_for

if TYPE_CHECKING:
    from plugins.mining.settings import MiningSettings

Interaction = discord.Interaction["RedLegionBot"]

MODE_CHOICES = [
    app_commands.Choice(name="by time in channel", value="time"),
    app_commands.Choice(name="equal shares", value="equal"),
]
KIND_CHOICES = [app_commands.Choice(name=k, value=k) for k in expenses.KINDS]


def member_in_file(text: str) -> int:
    """The member column of an uploaded yield file, as Discord users write a member: an id
    or a mention (`<@123…>`), read here so the service takes ids."""
    found = user_id(text)
    if found is None:
        raise InvalidInput(f"member {text!r} is not a member id or mention")
    return found


def _guild(interaction: Interaction) -> int:
    assert interaction.guild_id is not None  # core's check allows guild commands only
    return interaction.guild_id


def _settings(interaction: Interaction) -> MiningSettings:
    return interaction.client.settings.plugin_settings("mining", _guild(interaction))


def _now(interaction: Interaction) -> Any:
    return interaction.client.clock.now()


async def _known(interaction: Interaction, who: discord.Member | discord.User) -> int:
    """A member named in a command gets their user and membership rows (payouts need them)."""
    if isinstance(who, discord.Member):
        await interaction.client.remember(who)
    return who.id


async def _say(interaction: Interaction, content: str, **kwargs: Any) -> None:
    if interaction.response.is_done():
        await interaction.followup.send(content, **kwargs)
    else:
        await interaction.response.send_message(content, **kwargs)


def event_choices(*statuses: EventStatus) -> Any:
    """Autocomplete for an event option: this guild's events in the given states."""

    async def choose(interaction: Interaction, current: str) -> list[app_commands.Choice[int]]:
        found = await events.search_events(_guild(interaction), current, statuses=statuses or None)
        return [app_commands.Choice(name=events.label(e)[:100], value=e.id) for e in found]

    return choose


async def material_choices(
    interaction: Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=m.name, value=m.name) for m in await search_materials(current)]


RUNNING = (EventStatus.ACTIVE, EventStatus.COMPLETED)
EVENT = "The event (type its name or number)"


# -- channels ----------------------------------------------------------------------------------


@requires(Level.OFFICER)
class ChannelGroup(app_commands.Group, name="channel", description="Approved mining channels"):
    @app_commands.command(name="add", description="Count time in this voice channel")
    async def add(self, interaction: Interaction, channel: discord.VoiceChannel) -> None:
        guild = interaction.guild
        assert guild is not None
        async with tracker_for(interaction.client).changing(guild.id):
            _, new = await channels.add_channel(
                guild.id,
                channel.id,
                channel.name,
                voice_channel_ids={c.id for c in guild.voice_channels},
                afk_channel_id=guild.afk_channel.id if guild.afk_channel else None,
            )
        state = "now counts" if new else "already counted"
        await _say(interaction, f"{channel.mention} {state} as a mining channel.")

    @app_commands.command(name="remove", description="Stop counting time in a voice channel")
    async def remove(self, interaction: Interaction, channel: discord.VoiceChannel) -> None:
        guild_id = _guild(interaction)
        async with tracker_for(interaction.client).changing(guild_id):
            closed = await channels.remove_channel(guild_id, channel.id, at=_now(interaction))
        note = f" ({closed} open session(s) closed)" if closed else ""
        await _say(interaction, f"{channel.mention} no longer counts as a mining channel{note}.")

    @requires(Level.MEMBER)
    @app_commands.command(name="list", description="Voice channels where mining time counts")
    async def list_(self, interaction: Interaction) -> None:
        found = await channels.list_channels(_guild(interaction))
        if not found:
            await _say(
                interaction,
                "No mining channels yet: an officer adds them with `/mining channel add`.",
            )
            return
        listed = "\n".join(f"• <#{c.channel_id}> ({c.channel_name})" for c in found)
        await _say(interaction, f"Mining channels:\n{listed}")


# -- events ------------------------------------------------------------------------------------


@requires(Level.OFFICER)
class EventGroup(app_commands.Group, name="event", description="Mining events"):
    @app_commands.command(name="create", description="Plan a mining event")
    @app_commands.describe(
        name="Default: Sunday Mining",
        when="Start time, e.g. 2026-01-04 18:00 (UTC) or 18:00 today; default now",
        description="What, where, what to bring",
    )
    async def create(
        self,
        interaction: Interaction,
        name: app_commands.Range[str, 1, 100] | None = None,
        when: str | None = None,
        description: app_commands.Range[str, 1, 1000] | None = None,
    ) -> None:
        now = _now(interaction)
        event = await events.create_event(
            _guild(interaction),
            at=now,
            name=name,
            when=events.parse_when(when, now=now),
            description=description,
            created_by=interaction.user.id,
            default_name=_settings(interaction).default_event_name,
        )
        await _say(
            interaction,
            f"Planned **{events.label(event)}**. Start it with `/mining event start`.",
        )

    @app_commands.command(name="start", description="Start counting time in mining channels")
    @app_commands.describe(event=EVENT)
    @app_commands.autocomplete(event=event_choices(EventStatus.PLANNED))
    async def start(self, interaction: Interaction, event: int) -> None:
        guild = interaction.guild
        assert guild is not None
        bot = interaction.client
        async with tracker_for(bot).changing(guild.id):
            started, opened = await events.start_event(
                guild.id,
                event,
                at=_now(interaction),
                voice=bot.snapshot(guild),
                allow_concurrent=_settings(interaction).allow_concurrent_events,
            )
        present = (
            f" {opened} member(s) already in mining channels count from now." if opened else ""
        )
        await _say(interaction, f"**{events.label(started)}** has started.{present}")

    @app_commands.command(name="stop", description="End the event: every open session closes")
    @app_commands.describe(event=EVENT)
    @app_commands.autocomplete(event=event_choices(EventStatus.ACTIVE))
    async def stop(self, interaction: Interaction, event: int) -> None:
        guild_id = _guild(interaction)
        async with tracker_for(interaction.client).changing(guild_id):
            stopped, _ = await events.stop_event(
                guild_id,
                event,
                at=_now(interaction),
                min_session_seconds=_settings(interaction).min_session_seconds,
            )
        duration = hms(int((stopped.ended_at - stopped.started_at).total_seconds()))
        await _say(
            interaction,
            f"**{events.label(stopped)}** is over after {duration} with "
            f"{stopped.total_participants} participant(s). Record yields with "
            "`/mining yield add`, then `/mining payroll preview`.",
        )

    @app_commands.command(name="cancel", description="Cancel a planned or active event")
    @app_commands.describe(event=EVENT)
    @app_commands.autocomplete(event=event_choices(EventStatus.PLANNED, EventStatus.ACTIVE))
    async def cancel(self, interaction: Interaction, event: int) -> None:
        guild_id = _guild(interaction)
        async with tracker_for(interaction.client).changing(guild_id):
            cancelled = await events.cancel_event(
                guild_id,
                event,
                at=_now(interaction),
                min_session_seconds=_settings(interaction).min_session_seconds,
            )
        await _say(interaction, f"**{events.label(cancelled)}** is cancelled.")

    @requires(Level.MEMBER)
    @app_commands.command(name="list", description="Recent mining events")
    @app_commands.choices(
        status=[app_commands.Choice(name=str(s), value=str(s)) for s in EventStatus]
    )
    async def list_(self, interaction: Interaction, status: str | None = None) -> None:
        found = await events.list_events(
            _guild(interaction), status=EventStatus(status) if status else None
        )
        if not found:
            await _say(interaction, "No mining events yet: `/mining event create` plans one.")
            return
        await _say(interaction, "\n".join(f"• {events.label(e)}" for e in found))

    @requires(Level.MEMBER)
    @app_commands.command(name="show", description="An event and who has how much time")
    @app_commands.describe(event=EVENT)
    @app_commands.autocomplete(event=event_choices())
    async def show(self, interaction: Interaction, event: int) -> None:
        view = await events.show_event(
            _guild(interaction),
            event,
            now=_now(interaction),
            min_session_seconds=_settings(interaction).min_session_seconds,
        )
        live = view.event.status == EventStatus.ACTIVE
        await _say(interaction, formatting.event_view(view, live=live))


# -- yields and expenses -----------------------------------------------------------------------


@requires(Level.OFFICER)
class YieldGroup(app_commands.Group, name="yield", description="What the op mined or sold"):
    @app_commands.command(name="add", description="Record a material mined or sold")
    @app_commands.describe(
        event=EVENT,
        material="The material (type to search)",
        scu="How much, in SCU",
        member="Credit it to one participant (default: the whole event)",
        price="Price per SCU, instead of the server's price",
        value="What this line sold for in total, instead of SCU × price",
    )
    @app_commands.autocomplete(event=event_choices(*RUNNING), material=material_choices)
    async def add(
        self,
        interaction: Interaction,
        event: int,
        material: str,
        scu: str,
        member: discord.Member | None = None,
        price: str | None = None,
        value: str | None = None,
    ) -> None:
        batch = await yields.add_yields(
            _guild(interaction),
            event,
            [yields.YieldInput(material, scu, member.id if member else None, price, value)],
            recorded_by=interaction.user.id,
            max_scu=_settings(interaction).max_scu_per_yield,
        )
        line = batch.lines[0]
        who = f" for <@{line.user_id}>" if line.user_id else ""
        await _say(
            interaction,
            f"Recorded {line.scu:,.2f} SCU of {line.material}{who}: {fmt(line.value)} "
            f"(line #{line.id}). Event #{event} is worth {fmt(batch.event_total)}.",
        )

    @app_commands.command(name="import", description="Record many yields from a CSV or JSON file")
    @app_commands.describe(
        event=EVENT,
        file="CSV with a header line: material,scu[,member,price,value] (or a JSON list)",
    )
    @app_commands.autocomplete(event=event_choices(*RUNNING))
    async def import_(self, interaction: Interaction, event: int, file: discord.Attachment) -> None:
        data = await uploads.read_attachment(file, limit=yields.MAX_FILE_BYTES)
        items = yields.parse_yield_file(file.filename, data, member=member_in_file)
        batch = await yields.add_yields(
            _guild(interaction),
            event,
            items,
            recorded_by=interaction.user.id,
            max_scu=_settings(interaction).max_scu_per_yield,
        )
        added = sum((line.value for line in batch.lines), Decimal("0.00"))
        await _say(
            interaction,
            f"Recorded {len(batch.lines)} yield line(s) from {file.filename} worth {fmt(added)}. "
            f"Event #{event} is worth {fmt(batch.event_total)}.",
        )

    @app_commands.command(name="remove", description="Delete a mistyped yield line")
    @app_commands.autocomplete(event=event_choices(*RUNNING))
    @app_commands.describe(event=EVENT, line="The line number shown when it was recorded")
    async def remove(self, interaction: Interaction, event: int, line: int) -> None:
        total = await yields.remove_yield(_guild(interaction), event, line)
        await _say(interaction, f"Removed line #{line}. Event #{event} is worth {fmt(total)}.")

    @requires(Level.MEMBER)
    @app_commands.command(name="list", description="An event's yields")
    @app_commands.autocomplete(event=event_choices())
    @app_commands.describe(event=EVENT)
    async def list_(self, interaction: Interaction, event: int) -> None:
        found = await events.get_event(_guild(interaction), event)
        lines = await yields.list_yields(found.guild_id, found.id)
        if not lines:
            await _say(interaction, f"Event #{event} has no yields yet.")
            return
        rows = [
            f"#{y.id:<5} {y.material[:16]:<16} {y.scu:>10,.2f} SCU {y.value:>16,.2f}"
            + (f"  <@{y.user_id}>" if y.user_id else "")
            for y in lines
        ]
        worth = fmt(Decimal(str(found.total_value_auec)))
        head = f"**Yields of {events.label(found)}**, worth {worth}"
        await _say(interaction, formatting.fit(head, rows))


@requires(Level.OFFICER)
class ExpenseGroup(app_commands.Group, name="expense", description="Costs of an op"):
    @app_commands.command(name="add", description="Record a cost someone paid for the op")
    @app_commands.describe(
        event=EVENT,
        amount="aUEC paid",
        paid_by="Who paid it (they are repaid from the op's value)",
        kind="What it was",
        description="e.g. refinery and job number",
    )
    @app_commands.autocomplete(event=event_choices(*RUNNING))
    @app_commands.choices(kind=KIND_CHOICES)
    async def add(
        self,
        interaction: Interaction,
        event: int,
        amount: str,
        paid_by: discord.Member,
        kind: str = "other",
        description: app_commands.Range[str, 0, 200] = "",
    ) -> None:
        payer = await _known(interaction, paid_by)
        expense = await expenses.add_expense(
            _guild(interaction),
            event,
            amount=amount,
            paid_by=payer,
            kind=kind,
            description=description,
            recorded_by=interaction.user.id,
        )
        await _say(
            interaction,
            f"Recorded {expense.kind} expense #{expense.id} of "
            f"{fmt(Decimal(str(expense.amount_auec)))} paid by {paid_by.mention} for event "
            f"#{event}; they are repaid at payroll.",
            allowed_mentions=about(paid_by.id),
        )

    @app_commands.command(name="remove", description="Delete a mistyped expense")
    @app_commands.autocomplete(event=event_choices(*RUNNING))
    async def remove(self, interaction: Interaction, event: int, expense: int) -> None:
        await expenses.remove_expense(_guild(interaction), event, expense)
        await _say(interaction, f"Removed expense #{expense} of event #{event}.")


@requires(Level.OFFICER)
class TimeGroup(app_commands.Group, name="time", description="Members' time in an ended op"):
    @app_commands.command(name="set", description="Set a member's time by hand, with a reason")
    @app_commands.describe(
        event=EVENT,
        member="Whose time",
        minutes="Their time in the op, in minutes (0 takes them out of its payroll)",
        reason="Why: kept with the change and shown in the report",
    )
    @app_commands.autocomplete(event=event_choices(EventStatus.COMPLETED))
    async def set_(
        self,
        interaction: Interaction,
        event: int,
        member: discord.Member,
        minutes: app_commands.Range[int, 0, 100_000],
        reason: app_commands.Range[str, 1, adjustments.REASON_MAX],
    ) -> None:
        changed = await adjustments.set_time(
            _guild(interaction),
            event,
            await _known(interaction, member),
            minutes=minutes,
            reason=reason,
            actor_id=interaction.user.id,
            at=_now(interaction),
            min_session_seconds=_settings(interaction).min_session_seconds,
        )
        await _say(
            interaction,
            f"{member.mention}'s time in event #{event} is now {hms(changed.seconds)} "
            f"(the bot counted {hms(changed.counted_seconds)}): {changed.reason}",
            allowed_mentions=about(member.id),
        )

    @app_commands.command(name="list", description="Times officers set by hand in an event")
    @app_commands.describe(event=EVENT)
    @app_commands.autocomplete(event=event_choices(EventStatus.COMPLETED))
    async def list_(self, interaction: Interaction, event: int) -> None:
        found = await events.get_event(_guild(interaction), event)
        changes = await adjustments.adjustments(found.guild_id, found.id)
        await _say(interaction, formatting.adjustments_table(found.id, changes))


# -- payroll -----------------------------------------------------------------------------------


@requires(Level.TREASURER)
class PayrollGroup(app_commands.Group, name="payroll", description="Pay an op's participants"):
    @app_commands.command(name="preview", description="What payroll would pay, writing nothing")
    @app_commands.describe(event=EVENT, mode="Split by time (default from config) or equally")
    @app_commands.autocomplete(event=event_choices(*RUNNING))
    @app_commands.choices(mode=MODE_CHOICES)
    async def preview(self, interaction: Interaction, event: int, mode: str | None = None) -> None:
        result = await payroll.preview(
            _guild(interaction),
            event,
            settings=_settings(interaction),
            now=_now(interaction),
            mode=mode,
        )
        await _say(interaction, formatting.payroll_table(result))

    @app_commands.command(name="commit", description="Write payouts and post them, once")
    @app_commands.describe(event=EVENT, mode="Split by time (default from config) or equally")
    @app_commands.autocomplete(event=event_choices(EventStatus.COMPLETED))
    @app_commands.choices(mode=MODE_CHOICES)
    async def commit(self, interaction: Interaction, event: int, mode: str | None = None) -> None:
        # Shows what would be paid and asks first; a payroll that cannot be committed is
        # refused here, privately. No defer: the preview is a handful of queries.
        guild_id = _guild(interaction)
        shown = await payroll.commit_preview(
            guild_id, event, settings=_settings(interaction), now=_now(interaction), mode=mode
        )

        async def pay(press: Interaction) -> str:
            result = await payroll.commit(
                guild_id,
                event,
                settings=_settings(press),
                at=_now(press),
                actor_id=press.user.id,
                mode=mode,
            )
            return formatting.payroll_table(result)

        question = f"{formatting.payroll_table(shown)}\nCommit this payroll? It is paid once."
        await confirm.ask(interaction, question, pay)

    @requires(Level.MEMBER)
    @app_commands.command(name="donate", description="Give your share of an op to the others")
    @app_commands.describe(event=EVENT, give="False takes a donation back")
    @app_commands.autocomplete(event=event_choices(*RUNNING))
    async def donate(self, interaction: Interaction, event: int, give: bool = True) -> None:
        await payroll.set_donation(_guild(interaction), event, interaction.user.id, give)
        text = (
            f"Thank you: your share of event #{event} goes to the other participants."
            if give
            else f"You will get your share of event #{event} after all."
        )
        await _say(interaction, text, ephemeral=True)


@requires(Level.TREASURER)
class PayoutGroup(app_commands.Group, name="payout", description="Payouts owed to members"):
    @app_commands.command(name="mark-paid", description="Record that a payout was handed over")
    @app_commands.describe(event=EVENT, member="Whose payout (default: every one still owed)")
    @app_commands.autocomplete(event=event_choices(EventStatus.COMPLETED))
    async def mark_paid(
        self, interaction: Interaction, event: int, member: discord.Member | None = None
    ) -> None:
        paid = await payroll.mark_paid(
            _guild(interaction),
            event,
            user_id=member.id if member else None,
            at=_now(interaction),
            actor_id=interaction.user.id,
        )
        total = sum((p.amount for p in paid), Decimal("0.00"))
        names = ", ".join(f"<@{p.user_id}>" for p in paid)
        await _say(
            interaction,
            f"Marked {len(paid)} payout(s) paid ({fmt(total)}): {names}.",
            allowed_mentions=about(*(p.user_id for p in paid)),
        )

    @requires(Level.MEMBER)
    @app_commands.command(name="list", description="An event's payouts and whether they are paid")
    @app_commands.autocomplete(event=event_choices(EventStatus.COMPLETED))
    async def list_(self, interaction: Interaction, event: int) -> None:
        found = await events.get_event(_guild(interaction), event)
        lines = await payroll.payouts(found.guild_id, found.id)
        await _say(interaction, formatting.payouts_table(found.id, lines))


@requires(Level.OFFICER)
class ReportGroup(app_commands.Group, name="report", description="Mining reports"):
    @app_commands.command(name="event", description="The event's PDF report")
    @app_commands.describe(event=EVENT)
    @app_commands.autocomplete(event=event_choices())
    async def event(self, interaction: Interaction, event: int) -> None:
        guild_id = _guild(interaction)
        found = await events.get_event(guild_id, event)  # before deferring: refusals stay private
        await interaction.response.defer(thinking=True)
        # reportlab takes a third of a second to import: paid at the first report, not at
        # every start-up (register_commands imports this module before the bot connects)
        from plugins.mining import report_pdf

        data = await report_pdf.event_pdf(
            guild_id, found.id, settings=_settings(interaction), now=_now(interaction)
        )
        await interaction.followup.send(
            f"Report of **{events.label(found)}**.",
            file=discord.File(io.BytesIO(data), filename=report_pdf.file_name(found)),
        )


class MiningGroup(
    app_commands.Group, name="mining", description="Mining ops: voice time to payroll"
):
    def __init__(self) -> None:
        super().__init__()
        for group in (
            ChannelGroup,
            EventGroup,
            YieldGroup,
            ExpenseGroup,
            TimeGroup,
            PayrollGroup,
            PayoutGroup,
            ReportGroup,
        ):
            self.add_command(group())
