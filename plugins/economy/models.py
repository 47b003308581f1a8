"""Economy tables: materials and their prices, the double-entry ledger, trades.

Money columns are DECIMAL(15,2), prices per SCU DECIMAL(10,2) as in the seed. Tortoise keeps
Decimal as text on SQLite, so sums, comparisons and ordering of money happen in Python there
(see `ledger.sum_amounts`).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Material(Model):
    """A mineable or tradeable material, shared by every guild (the seed's `materials`)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    # ore, gem, refined, salvage, component, other
    category = fields.CharField(max_length=50, null=True)
    # reference value per SCU seeded with the material
    base_value_auec = fields.DecimalField(max_digits=10, decimal_places=2, null=True)
    # operator's reference price per SCU (latest global price point)
    current_market_value = fields.DecimalField(max_digits=10, decimal_places=2, null=True)
    # other spellings officers type, matched case-insensitively
    aliases: list = fields.JSONField(default=list)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "materials"

    def __str__(self) -> str:
        return self.name


class GuildMaterialPrice(Model):
    """A guild's own price for a material, used instead of the reference price."""

    id = fields.BigIntField(primary_key=True)
    guild: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "core.Guild", related_name="material_prices", on_delete=fields.CASCADE
    )
    material: fields.ForeignKeyRelation[Material] = fields.ForeignKeyField(
        "economy.Material", related_name="guild_prices", on_delete=fields.CASCADE
    )
    price = fields.DecimalField(max_digits=10, decimal_places=2)
    source = fields.CharField(max_length=20)
    actor_id = fields.BigIntField(null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "guild_material_prices"
        unique_together = (("guild", "material"),)


class PricePoint(Model):
    """One price observation or change: global (guild null) or a guild's own, kept forever."""

    id = fields.BigIntField(primary_key=True)
    material: fields.ForeignKeyRelation[Material] = fields.ForeignKeyField(
        "economy.Material", related_name="price_points", on_delete=fields.CASCADE
    )
    guild: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "core.Guild", related_name="price_points", on_delete=fields.CASCADE, null=True
    )
    # reference (operator), override (a guild's own price) or trade (a recorded deal)
    kind = fields.CharField(max_length=20)
    price = fields.DecimalField(max_digits=10, decimal_places=2)
    price_buy = fields.DecimalField(max_digits=10, decimal_places=2, null=True)
    # seed, import, manual, trade: where the figure came from
    source = fields.CharField(max_length=20)
    actor_id = fields.BigIntField(null=True)
    note = fields.TextField(default="")
    at = fields.DatetimeField()

    class Meta:
        table = "material_price_history"
        indexes = (("material_id", "guild_id", "at"),)


class Account(Model):
    """A ledger account of one guild: the treasury, a member, income, loans receivable and so on"""

    id = fields.BigIntField(primary_key=True)
    guild: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "core.Guild", related_name="accounts", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=30)
    user: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "core.User", related_name="accounts", on_delete=fields.NO_ACTION, null=True
    )
    # kind, or kind:user_id: unique per guild even where user is null
    key = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ledger_accounts"
        unique_together = (("guild", "key"),)


class Transaction(Model):
    """A balanced posting: two or more entries summing to zero. Never edited or deleted."""

    id = fields.BigIntField(primary_key=True)
    guild: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "core.Guild", related_name="transactions", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=30)
    memo = fields.TextField()
    # what caused it (e.g. mining:event:12:payroll), unique per guild: posting is idempotent
    reference = fields.CharField(max_length=200, null=True)
    actor_id = fields.BigIntField(null=True)
    # when it happened (the caller's clock), and when it was written
    at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)
    # the transaction this one reverses (at most one reversal each)
    reverses: fields.OneToOneNullableRelation[Transaction] = fields.OneToOneField(
        "economy.Transaction", related_name="reversed_by", on_delete=fields.NO_ACTION, null=True
    )

    entries: fields.ReverseRelation[Entry]

    class Meta:
        table = "ledger_transactions"
        unique_together = (("guild", "reference"),)
        indexes = (("guild_id", "at"), ("guild_id", "kind", "at"))


class Entry(Model):
    """One side of a transaction: debit (> 0) or credit (< 0) on an account."""

    id = fields.BigIntField(primary_key=True)
    transaction: fields.ForeignKeyRelation[Transaction] = fields.ForeignKeyField(
        "economy.Transaction", related_name="entries", on_delete=fields.NO_ACTION
    )
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "economy.Account", related_name="entries", on_delete=fields.NO_ACTION
    )
    guild: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "core.Guild", related_name="ledger_entries", on_delete=fields.CASCADE
    )
    amount = fields.DecimalField(max_digits=15, decimal_places=2)
    # copied from the transaction so balances at a time read one table
    at = fields.DatetimeField()

    class Meta:
        table = "ledger_entries"
        # a transaction's entries by index: a join from transactions (the ledger filtered by
        # kind) is otherwise a scan of the guild's entries per transaction on PostgreSQL
        indexes = (("account_id", "at"), ("guild_id", "at"), ("transaction_id",))


class Trade(Model):
    """The org (or a member on its behalf) sold or bought a material."""

    id = fields.BigIntField(primary_key=True)
    guild: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "core.Guild", related_name="trades", on_delete=fields.CASCADE
    )
    # sell or buy
    side = fields.CharField(max_length=4)
    material: fields.ForeignKeyRelation[Material] = fields.ForeignKeyField(
        "economy.Material", related_name="trades", on_delete=fields.NO_ACTION
    )
    quantity_scu = fields.DecimalField(max_digits=10, decimal_places=2)
    unit_price = fields.DecimalField(max_digits=10, decimal_places=2)
    total = fields.DecimalField(max_digits=15, decimal_places=2)
    location = fields.TextField(default="")
    counterparty = fields.TextField(default="")
    # the member who traded for the org with their own wallet, if any
    member: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "core.User", related_name="trades", on_delete=fields.NO_ACTION, null=True
    )
    actor_id = fields.BigIntField(null=True)
    at = fields.DatetimeField()
    transaction: fields.OneToOneRelation[Transaction] = fields.OneToOneField(
        "economy.Transaction", related_name="trade", on_delete=fields.NO_ACTION
    )

    class Meta:
        table = "trades"
        indexes = (("guild_id", "at"),)


class MarketSellPrice(Model):
    """The latest price UEX reports for selling a material at one terminal (global, no guild).

    Keyed by UEX's terminal id: terminal names repeat across systems. The star system comes
    from UEX's terminal list, since the price rows carry no location.
    """

    id = fields.BigIntField(primary_key=True)
    material: fields.ForeignKeyRelation[Material] = fields.ForeignKeyField(
        "economy.Material", related_name="market_sell_prices", on_delete=fields.CASCADE
    )
    terminal_id = fields.IntField()
    terminal_name = fields.CharField(max_length=200)
    star_system = fields.CharField(max_length=100, null=True)
    price_sell = fields.DecimalField(max_digits=10, decimal_places=2)
    scu_sell_stock = fields.IntField(null=True)
    # when UEX last saw this figure (its date_modified), and when we read it
    reported_at = fields.DatetimeField(null=True)
    synced_at = fields.DatetimeField()

    class Meta:
        table = "market_sell_prices"
        # also the index of /price check's read: every terminal of one material
        unique_together = (("material", "terminal_id"),)


class UexSyncState(Model):
    """One row: who holds the sync (a lease, so shards sharing a database never sync at once),
    when the next one is due, and how the last one went."""

    id = fields.IntField(primary_key=True)
    holder = fields.CharField(max_length=100, null=True)
    lease_until = fields.DatetimeField(null=True)
    next_due_at = fields.DatetimeField(null=True)
    last_attempt_at = fields.DatetimeField(null=True)
    last_success_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")
    failures = fields.IntField(default=0)

    class Meta:
        table = "uex_sync_state"
