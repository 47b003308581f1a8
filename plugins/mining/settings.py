"""`[mining]` config (and `[guilds."ID".mining]` overrides), validated at start."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from core.config import TOP_LEVEL_ONLY
from plugins.mining.models import PayrollMode


class MiningSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # share of (gross − expenses) kept by the org, posted to the treasury as income
    org_cut_percent: Decimal = Field(default=Decimal("10"), ge=0, le=100, decimal_places=2)
    # split by time in channel, or equal shares among those who qualify
    payroll_mode: PayrollMode = PayrollMode.TIME
    # a voice session shorter than this does not count at all
    min_session_seconds: int = Field(default=30, ge=0, le=86_400)
    # a participant needs at least this much time in the event to share in its payroll
    min_minutes_to_qualify: int = Field(default=0, ge=0, le=10_080)
    # more than one active event per guild at once
    allow_concurrent_events: bool = False
    default_event_name: str = Field(default="Sunday Mining", min_length=1, max_length=100)
    # one yield line above this many SCU is refused as a typo
    max_scu_per_yield: Decimal = Field(default=Decimal("100000"), gt=0, le=Decimal("99999999"))
    # how often (seconds) the bot records a sign of life on active events, for restarts; one
    # timer for the whole bot, so top-level [mining] only
    heartbeat_seconds: float = Field(default=60, gt=0, le=3600, json_schema_extra=TOP_LEVEL_ONLY)
