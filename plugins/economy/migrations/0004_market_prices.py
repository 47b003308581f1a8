from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0002_command_digests'), ('economy', '0003_ledger_append_only')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MarketSellPrice',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('material', fields.ForeignKeyField('economy.Material', source_field='material_id', db_constraint=True, to_field='id', related_name='market_sell_prices', on_delete=OnDelete.CASCADE)),
                ('terminal_id', fields.IntField()),
                ('terminal_name', fields.CharField(max_length=200)),
                ('star_system', fields.CharField(null=True, max_length=100)),
                ('price_sell', fields.DecimalField(max_digits=10, decimal_places=2)),
                ('scu_sell_stock', fields.IntField(null=True)),
                ('reported_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('synced_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'market_sell_prices', 'app': 'economy', 'unique_together': (('material', 'terminal_id'),), 'pk_attr': 'id', 'table_description': 'The latest price UEX reports for selling a material at one terminal (global, no guild).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UexSyncState',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('holder', fields.CharField(null=True, max_length=100)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('next_due_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_success_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('failures', fields.IntField(default=0)),
            ],
            options={'table': 'uex_sync_state', 'app': 'economy', 'pk_attr': 'id', 'table_description': 'One row: who holds the sync (a lease, so shards sharing a database never sync at once),'},
            bases=['Model'],
        ),
    ]
