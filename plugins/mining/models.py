"""The mining app's tables: events, approved channels, voice sessions, yields, expenses, payouts.

Seed tables keep every seed column (`mining_events`, `mining_channels`, `mining_participation`,
`mining_yields`); the rest is what payroll and the report need.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class EventStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class PayoutStatus(StrEnum):
    OWED = "owed"
    PAID = "paid"


class PayrollMode(StrEnum):
    TIME = "time"
    EQUAL = "equal"


class MiningEvent(Model):
    id = fields.IntField(primary_key=True)
    guild = fields.ForeignKeyField(
        "core.Guild", related_name="mining_events", on_delete=fields.CASCADE
    )
    event_date = fields.DateField()
    # when the op is planned to start (UTC)
    event_time = fields.DatetimeField()
    event_name = fields.TextField(default="Sunday Mining")
    description = fields.TextField(null=True)
    status = fields.CharEnumField(
        EventStatus, max_length=20, default=EventStatus.PLANNED, description="event state"
    )
    total_participants = fields.IntField(default=0)
    # sum of the event's yield values
    total_value_auec = fields.DecimalField(max_digits=15, decimal_places=2, default=0)
    payroll_processed = fields.BooleanField(default=False)
    pdf_generated = fields.BooleanField(default=False)
    # the window in which voice time counts: set by start and stop
    started_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)
    # the bot's last sign of life while the event was active (restart reconciliation)
    last_seen_at = fields.DatetimeField(null=True)
    # the minimum session length the member times were counted with when the event ended
    # (mining_member_times); NULL while it runs, or for one that ended before member times were
    # kept (migration mining 0002): its times are computed live from the sessions
    times_min_session_seconds = fields.IntField(null=True)
    # how the committed payroll was computed (set by the commit, with payroll_processed)
    payroll_mode = fields.CharEnumField(
        PayrollMode, max_length=10, null=True, description="time or equal"
    )
    org_cut_percent = fields.DecimalField(max_digits=5, decimal_places=2, null=True)
    org_cut_auec = fields.DecimalField(max_digits=15, decimal_places=2, null=True)
    payroll_at = fields.DatetimeField(null=True)
    payroll_by_id = fields.BigIntField(null=True)
    created_by_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "mining_events"
        indexes = (("guild_id", "status"),)

    def __str__(self) -> str:
        return f"#{self.id} {self.event_name}"


class MiningChannel(Model):
    """A voice channel where time counts towards an op. Removing one keeps its row inactive."""

    id = fields.IntField(primary_key=True)
    guild = fields.ForeignKeyField(
        "core.Guild", related_name="mining_channels", on_delete=fields.CASCADE
    )
    channel_id = fields.BigIntField()
    channel_name = fields.TextField()
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mining_channels"
        unique_together = (("guild", "channel_id"),)


class MiningParticipation(Model):
    """One stretch of a member in one approved channel during an active event."""

    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField(
        "mining.MiningEvent", related_name="sessions", on_delete=fields.CASCADE
    )
    user = fields.ForeignKeyField(
        "core.User", related_name="mining_sessions", on_delete=fields.CASCADE
    )
    channel_id = fields.BigIntField()
    session_start = fields.DatetimeField()
    session_end = fields.DatetimeField(null=True)
    # whole seconds, written when the session closes
    duration_seconds = fields.IntField(null=True)
    is_org_member = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mining_participation"
        indexes = (("event_id", "user_id"),)


class MiningMemberTime(Model):
    """A member's counted time in an event that has ended, computed once when it ended.

    An ended event's sessions never change again, so payroll, the report and `show` read
    these rows rather than re-running the union-of-sessions query over every session. Officers
    may correct a row before payroll (`adjustments`), and the bot's own count stays beside it.
    """

    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField(
        "mining.MiningEvent", related_name="member_times", on_delete=fields.CASCADE
    )
    user = fields.ForeignKeyField(
        "core.User", related_name="mining_member_times", on_delete=fields.CASCADE
    )
    seconds = fields.IntField()
    # counted sessions
    sessions = fields.IntField()
    is_org_member = fields.BooleanField()
    # what the bot counted, kept when an officer set the time by hand (NULL: never set)
    counted_seconds = fields.IntField(null=True)
    adjusted_by_id = fields.BigIntField(null=True)
    adjusted_at = fields.DatetimeField(null=True)
    # the officer's reason for setting the time
    adjustment_reason = fields.TextField(null=True)

    class Meta:
        table = "mining_member_times"
        unique_together = (("event", "user"),)


class MiningYield(Model):
    """What was mined or sold: for the whole event, or credited to one participant."""

    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField(
        "mining.MiningEvent", related_name="yields", on_delete=fields.CASCADE
    )
    # one of the credited member's sessions, when the yield is theirs
    participation = fields.ForeignKeyField(
        "mining.MiningParticipation", related_name="yields", null=True, on_delete=fields.CASCADE
    )
    material = fields.ForeignKeyField(
        "economy.Material", related_name="mining_yields", on_delete=fields.CASCADE
    )
    quantity_scu = fields.DecimalField(max_digits=10, decimal_places=2)
    # price used for the value: the economy's price unless an officer gave one
    price_per_scu = fields.DecimalField(max_digits=15, decimal_places=2, null=True)
    estimated_value = fields.DecimalField(max_digits=15, decimal_places=2, null=True)
    recorded_by_id = fields.BigIntField(null=True)
    recorded_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mining_yields"
        indexes = (("event_id",),)


class MiningExpense(Model):
    """A cost of the op (refinery fee, fuel, rental) reimbursed to whoever paid it."""

    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField(
        "mining.MiningEvent", related_name="expenses", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=30, default="other")
    description = fields.TextField(default="")
    amount_auec = fields.DecimalField(max_digits=15, decimal_places=2)
    paid_by = fields.ForeignKeyField(
        "core.User", related_name="mining_expenses", on_delete=fields.CASCADE
    )
    recorded_by_id = fields.BigIntField(null=True)
    recorded_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mining_expenses"
        indexes = (("event_id",),)


class MiningDonation(Model):
    """A participant gives their share of one event's payroll to the other participants."""

    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField(
        "mining.MiningEvent", related_name="donations", on_delete=fields.CASCADE
    )
    user = fields.ForeignKeyField(
        "core.User", related_name="mining_donations", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mining_donations"
        unique_together = (("event", "user"),)


class MiningPayout(Model):
    """What the org owes one member from an event's payroll (share + expenses repaid).

    Owed until a treasurer marks it paid. A donor's row keeps their time with a zero share.
    """

    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField(
        "mining.MiningEvent", related_name="payouts", on_delete=fields.CASCADE
    )
    user = fields.ForeignKeyField(
        "core.User", related_name="mining_payouts", on_delete=fields.CASCADE
    )
    seconds = fields.IntField()
    share_auec = fields.DecimalField(max_digits=15, decimal_places=2)
    reimbursed_auec = fields.DecimalField(max_digits=15, decimal_places=2, default=0)
    # share + reimbursed: what is owed
    amount_auec = fields.DecimalField(max_digits=15, decimal_places=2)
    donated = fields.BooleanField(default=False)
    status = fields.CharEnumField(
        PayoutStatus, max_length=10, default=PayoutStatus.OWED, description="owed or paid"
    )
    paid_at = fields.DatetimeField(null=True)
    paid_by_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mining_payouts"
        unique_together = (("event", "user"),)
