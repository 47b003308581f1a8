from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Account',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('guild', fields.ForeignKeyField('core.Guild', source_field='guild_id', db_constraint=True, to_field='id', related_name='accounts', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=30)),
                ('user', fields.ForeignKeyField('core.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='accounts', on_delete=OnDelete.NO_ACTION)),
                ('key', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'ledger_accounts', 'app': 'economy', 'unique_together': (('guild', 'key'),), 'pk_attr': 'id', 'table_description': 'A ledger account of one guild: the treasury, a member, income, loans receivable and so on'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Material',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=100)),
                ('category', fields.CharField(null=True, max_length=50)),
                ('base_value_auec', fields.DecimalField(null=True, max_digits=10, decimal_places=2)),
                ('current_market_value', fields.DecimalField(null=True, max_digits=10, decimal_places=2)),
                ('aliases', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'materials', 'app': 'economy', 'pk_attr': 'id', 'table_description': "A mineable or tradeable material, shared by every guild (the seed's `materials`)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GuildMaterialPrice',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('guild', fields.ForeignKeyField('core.Guild', source_field='guild_id', db_constraint=True, to_field='id', related_name='material_prices', on_delete=OnDelete.CASCADE)),
                ('material', fields.ForeignKeyField('economy.Material', source_field='material_id', db_constraint=True, to_field='id', related_name='guild_prices', on_delete=OnDelete.CASCADE)),
                ('price', fields.DecimalField(max_digits=10, decimal_places=2)),
                ('source', fields.CharField(max_length=20)),
                ('actor_id', fields.BigIntField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'guild_material_prices', 'app': 'economy', 'unique_together': (('guild', 'material'),), 'pk_attr': 'id', 'table_description': "A guild's own price for a material, used instead of the reference price."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PricePoint',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('material', fields.ForeignKeyField('economy.Material', source_field='material_id', db_constraint=True, to_field='id', related_name='price_points', on_delete=OnDelete.CASCADE)),
                ('guild', fields.ForeignKeyField('core.Guild', source_field='guild_id', null=True, db_constraint=True, to_field='id', related_name='price_points', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=20)),
                ('price', fields.DecimalField(max_digits=10, decimal_places=2)),
                ('price_buy', fields.DecimalField(null=True, max_digits=10, decimal_places=2)),
                ('source', fields.CharField(max_length=20)),
                ('actor_id', fields.BigIntField(null=True)),
                ('note', fields.TextField(default='', unique=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'material_price_history', 'app': 'economy', 'indexes': [Index(fields=['material_id', 'guild_id', 'at'])], 'pk_attr': 'id', 'table_description': "One price observation or change: global (guild null) or a guild's own, kept forever."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Transaction',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('guild', fields.ForeignKeyField('core.Guild', source_field='guild_id', db_constraint=True, to_field='id', related_name='transactions', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=30)),
                ('memo', fields.TextField(unique=False)),
                ('reference', fields.CharField(null=True, max_length=200)),
                ('actor_id', fields.BigIntField(null=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('reverses', fields.OneToOneField('economy.Transaction', source_field='reverses_id', null=True, db_constraint=True, to_field='id', related_name='reversed_by', on_delete=OnDelete.NO_ACTION)),
            ],
            options={'table': 'ledger_transactions', 'app': 'economy', 'unique_together': (('guild', 'reference'),), 'indexes': [Index(fields=['guild_id', 'at']), Index(fields=['guild_id', 'kind', 'at'])], 'pk_attr': 'id', 'table_description': 'A balanced posting: two or more entries summing to zero. Never edited or deleted.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Entry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('transaction', fields.ForeignKeyField('economy.Transaction', source_field='transaction_id', db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.NO_ACTION)),
                ('account', fields.ForeignKeyField('economy.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.NO_ACTION)),
                ('guild', fields.ForeignKeyField('core.Guild', source_field='guild_id', db_constraint=True, to_field='id', related_name='ledger_entries', on_delete=OnDelete.CASCADE)),
                ('amount', fields.DecimalField(max_digits=15, decimal_places=2)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'ledger_entries', 'app': 'economy', 'indexes': [Index(fields=['account_id', 'at']), Index(fields=['guild_id', 'at'])], 'pk_attr': 'id', 'table_description': 'One side of a transaction: debit (> 0) or credit (< 0) on an account.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Trade',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('guild', fields.ForeignKeyField('core.Guild', source_field='guild_id', db_constraint=True, to_field='id', related_name='trades', on_delete=OnDelete.CASCADE)),
                ('side', fields.CharField(max_length=4)),
                ('material', fields.ForeignKeyField('economy.Material', source_field='material_id', db_constraint=True, to_field='id', related_name='trades', on_delete=OnDelete.NO_ACTION)),
                ('quantity_scu', fields.DecimalField(max_digits=10, decimal_places=2)),
                ('unit_price', fields.DecimalField(max_digits=10, decimal_places=2)),
                ('total', fields.DecimalField(max_digits=15, decimal_places=2)),
                ('location', fields.TextField(default='', unique=False)),
                ('counterparty', fields.TextField(default='', unique=False)),
                ('member', fields.ForeignKeyField('core.User', source_field='member_id', null=True, db_constraint=True, to_field='id', related_name='trades', on_delete=OnDelete.NO_ACTION)),
                ('actor_id', fields.BigIntField(null=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('transaction', fields.OneToOneField('economy.Transaction', source_field='transaction_id', db_constraint=True, to_field='id', related_name='trade', on_delete=OnDelete.NO_ACTION)),
            ],
            options={'table': 'trades', 'app': 'economy', 'indexes': [Index(fields=['guild_id', 'at'])], 'pk_attr': 'id', 'table_description': 'The org (or a member on its behalf) sold or bought a material.'},
            bases=['Model'],
        ),
    ]
