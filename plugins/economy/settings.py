"""`[economy]` settings: where live market prices come from and how often (top level only)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from core.config import TOP_LEVEL_ONLY

UEX_BASE_URL = "https://api.uexcorp.space/2.0"


class EconomySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # how often the running bot reads UEX's prices, in minutes; 0 turns the sync off
    uex_sync_minutes: float = Field(60, ge=0, json_schema_extra=TOP_LEVEL_ONLY)
    # UEX API 2.0 (a local stand-in in tests)
    uex_base_url: str = Field(UEX_BASE_URL, min_length=1, json_schema_extra=TOP_LEVEL_ONLY)
    # an application token from UEX, sent as a Bearer header; $UEX_API_TOKEN wins
    uex_token: SecretStr | None = Field(None, json_schema_extra=TOP_LEVEL_ONLY)
    # the longest one UEX request may take before the sync gives up, in seconds
    uex_timeout_seconds: float = Field(20, gt=0, le=300, json_schema_extra=TOP_LEVEL_ONLY)
