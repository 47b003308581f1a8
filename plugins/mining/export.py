"""Mining's records of one guild for `redlegion export`: events, participation, payouts."""

from __future__ import annotations

from typing import Any

from plugins.mining.models import (
    MiningEvent,
    MiningExpense,
    MiningMemberTime,
    MiningParticipation,
    MiningPayout,
    MiningYield,
)


async def guild_tables(guild_id: int) -> dict[str, list[dict[str, Any]]]:
    events = await (
        MiningEvent.filter(guild_id=guild_id)
        .order_by("id")
        .values(
            "id",
            "event_name",
            "description",
            "status",
            "event_time",
            "started_at",
            "ended_at",
            "total_participants",
            "total_value_auec",
            "payroll_processed",
            "payroll_mode",
            "org_cut_percent",
            "org_cut_auec",
            "payroll_at",
            "payroll_by_id",
            "created_by_id",
        )
    )
    in_guild = {"event__guild_id": guild_id}
    sessions = await (
        MiningParticipation.filter(**in_guild)
        .order_by("event_id", "session_start", "id")
        .values(
            "id",
            "event_id",
            "user_id",
            "channel_id",
            "session_start",
            "session_end",
            "duration_seconds",
            "is_org_member",
        )
    )
    times = await (
        MiningMemberTime.filter(**in_guild)
        .order_by("event_id", "user_id")
        .values(
            "event_id",
            "user_id",
            "seconds",
            "sessions",
            "is_org_member",
            "counted_seconds",
            "adjusted_by_id",
            "adjusted_at",
            "adjustment_reason",
        )
    )
    yields = await (
        MiningYield.filter(**in_guild)
        .order_by("event_id", "id")
        .values(
            "id",
            "event_id",
            "quantity_scu",
            "price_per_scu",
            "estimated_value",
            "recorded_by_id",
            "recorded_at",
            material="material__name",
            user_id="participation__user_id",
        )
    )
    expenses = await (
        MiningExpense.filter(**in_guild)
        .order_by("event_id", "id")
        .values(
            "id",
            "event_id",
            "kind",
            "description",
            "amount_auec",
            "paid_by_id",
            "recorded_by_id",
            "recorded_at",
        )
    )
    payouts = await (
        MiningPayout.filter(**in_guild)
        .order_by("event_id", "user_id")
        .values(
            "id",
            "event_id",
            "user_id",
            "seconds",
            "share_auec",
            "reimbursed_auec",
            "amount_auec",
            "donated",
            "status",
            "paid_at",
            "paid_by_id",
        )
    )
    return {
        "mining_events": events,
        "mining_participation": sessions,
        "mining_member_times": times,
        "mining_yields": yields,
        "mining_expenses": expenses,
        "mining_payouts": payouts,
    }
