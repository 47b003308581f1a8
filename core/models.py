"""The core Tortoise app: guilds, users, memberships and role-to-level mappings."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class Guild(Model):
    id = fields.BigIntField(primary_key=True, generated=False)
    name = fields.TextField()
    # runtime choices made by admins, e.g. {"plugins": {"loans": false}}
    settings: dict[str, Any] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "guilds"


class User(Model):
    id = fields.BigIntField(primary_key=True, generated=False)
    username = fields.TextField()
    display_name: str | None = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "users"


class GuildMembership(Model):
    id = fields.BigIntField(primary_key=True)
    guild: fields.ForeignKeyRelation[Guild] = fields.ForeignKeyField(
        "core.Guild", related_name="memberships", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="memberships", on_delete=fields.CASCADE
    )
    guild_id: int  # the columns behind the relations, set by Tortoise
    user_id: int
    is_org_member = fields.BooleanField(default=False)
    join_date = fields.DatetimeField(auto_now_add=True)
    # Discord role ids as last seen, so permission checks need no extra lookup
    role_ids: list[int] = fields.JSONField(default=list)
    # False once the member has left the guild; history stays
    is_active = fields.BooleanField(default=True)
    # Discord's Administrator or Manage Server, as member sync last saw it: the portal's
    # level check needs it without a gateway (the bot reads it from the live member)
    is_guild_admin = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "guild_memberships"
        unique_together = (("guild", "user"),)


class RoleLevel(Model):
    """A Discord role granting a permission level (officer, treasurer, admin) in one guild."""

    id = fields.BigIntField(primary_key=True)
    guild: fields.ForeignKeyRelation[Guild] = fields.ForeignKeyField(
        "core.Guild", related_name="role_levels", on_delete=fields.CASCADE
    )
    role_id = fields.BigIntField()
    level = fields.CharField(max_length=20)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "guild_role_levels"
        unique_together = (("guild", "role_id"),)


class CommandDigest(Model):
    """The slash-command tree last published to Discord, per application and scope.

    Start-up compares the tree it built with this digest and publishes only when they differ:
    discord.py advises against syncing on every start (the endpoint is rate limited).
    """

    id = fields.IntField(primary_key=True)
    application_id = fields.BigIntField()
    # "global", or the guild id the tree was copied to
    scope = fields.CharField(max_length=24)
    digest = fields.CharField(max_length=64)
    synced_at = fields.DatetimeField()

    class Meta:
        table = "command_digests"
        unique_together = (("application_id", "scope"),)


class WebSession(Model):
    """A portal sign-in, kept server-side so it can be revoked (log out deletes the row) and
    expires; the cookie holds only `id`, a random token. `csrf_token` is checked on every POST.

    A session before sign-in (`user_id` null) carries the OAuth2 `state` it started, so the
    callback is accepted only in the browser that asked for it.
    """

    id = fields.CharField(max_length=64, primary_key=True)
    user_id = fields.BigIntField(null=True, db_index=True)
    csrf_token = fields.CharField(max_length=64)
    oauth_state = fields.CharField(max_length=64, null=True)
    next_path = fields.TextField(null=True)
    flashes: list[dict[str, str]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "web_sessions"
