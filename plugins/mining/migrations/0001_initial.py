from tortoise import migrations
from tortoise.migrations import operations as ops
from plugins.mining.models import EventStatus, PayoutStatus, PayrollMode
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('economy', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='MiningChannel',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('guild', fields.ForeignKeyField('core.Guild', source_field='guild_id', db_constraint=True, to_field='id', related_name='mining_channels', on_delete=OnDelete.CASCADE)),
                ('channel_id', fields.BigIntField()),
                ('channel_name', fields.TextField(unique=False)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'mining_channels', 'app': 'mining', 'unique_together': (('guild', 'channel_id'),), 'pk_attr': 'id', 'table_description': 'A voice channel where time counts towards an op. Removing one keeps its row inactive.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MiningEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('guild', fields.ForeignKeyField('core.Guild', source_field='guild_id', db_constraint=True, to_field='id', related_name='mining_events', on_delete=OnDelete.CASCADE)),
                ('event_date', fields.DateField()),
                ('event_time', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('event_name', fields.TextField(default='Sunday Mining', unique=False)),
                ('description', fields.TextField(null=True, unique=False)),
                ('status', fields.CharEnumField(default=EventStatus.PLANNED, description='event state', enum_type=EventStatus, max_length=20)),
                ('total_participants', fields.IntField(default=0)),
                ('total_value_auec', fields.DecimalField(default=0, max_digits=15, decimal_places=2)),
                ('payroll_processed', fields.BooleanField(default=False)),
                ('pdf_generated', fields.BooleanField(default=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('payroll_mode', fields.CharEnumField(null=True, description='time or equal', enum_type=PayrollMode, max_length=10)),
                ('org_cut_percent', fields.DecimalField(null=True, max_digits=5, decimal_places=2)),
                ('org_cut_auec', fields.DecimalField(null=True, max_digits=15, decimal_places=2)),
                ('payroll_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('payroll_by_id', fields.BigIntField(null=True)),
                ('created_by_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'mining_events', 'app': 'mining', 'indexes': [Index(fields=['guild_id', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MiningDonation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('mining.MiningEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='donations', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('core.User', source_field='user_id', db_constraint=True, to_field='id', related_name='mining_donations', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'mining_donations', 'app': 'mining', 'unique_together': (('event', 'user'),), 'pk_attr': 'id', 'table_description': "A participant gives their share of one event's payroll to the other participants."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MiningExpense',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('mining.MiningEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='expenses', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(default='other', max_length=30)),
                ('description', fields.TextField(default='', unique=False)),
                ('amount_auec', fields.DecimalField(max_digits=15, decimal_places=2)),
                ('paid_by', fields.ForeignKeyField('core.User', source_field='paid_by_id', db_constraint=True, to_field='id', related_name='mining_expenses', on_delete=OnDelete.CASCADE)),
                ('recorded_by_id', fields.BigIntField(null=True)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'mining_expenses', 'app': 'mining', 'indexes': [Index(fields=['event_id'])], 'pk_attr': 'id', 'table_description': 'A cost of the op (refinery fee, fuel, rental) reimbursed to whoever paid it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MiningParticipation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('mining.MiningEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('core.User', source_field='user_id', db_constraint=True, to_field='id', related_name='mining_sessions', on_delete=OnDelete.CASCADE)),
                ('channel_id', fields.BigIntField()),
                ('session_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('session_end', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('duration_seconds', fields.IntField(null=True)),
                ('is_org_member', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'mining_participation', 'app': 'mining', 'indexes': [Index(fields=['event_id', 'user_id'])], 'pk_attr': 'id', 'table_description': 'One stretch of a member in one approved channel during an active event.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MiningPayout',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('mining.MiningEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='payouts', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('core.User', source_field='user_id', db_constraint=True, to_field='id', related_name='mining_payouts', on_delete=OnDelete.CASCADE)),
                ('seconds', fields.IntField()),
                ('share_auec', fields.DecimalField(max_digits=15, decimal_places=2)),
                ('reimbursed_auec', fields.DecimalField(default=0, max_digits=15, decimal_places=2)),
                ('amount_auec', fields.DecimalField(max_digits=15, decimal_places=2)),
                ('donated', fields.BooleanField(default=False)),
                ('status', fields.CharEnumField(default=PayoutStatus.OWED, description='owed or paid', enum_type=PayoutStatus, max_length=10)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('paid_by_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'mining_payouts', 'app': 'mining', 'unique_together': (('event', 'user'),), 'pk_attr': 'id', 'table_description': "What the org owes one member from an event's payroll (share + expenses repaid)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MiningYield',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('mining.MiningEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='yields', on_delete=OnDelete.CASCADE)),
                ('participation', fields.ForeignKeyField('mining.MiningParticipation', source_field='participation_id', null=True, db_constraint=True, to_field='id', related_name='yields', on_delete=OnDelete.CASCADE)),
                ('material', fields.ForeignKeyField('economy.Material', source_field='material_id', db_constraint=True, to_field='id', related_name='mining_yields', on_delete=OnDelete.CASCADE)),
                ('quantity_scu', fields.DecimalField(max_digits=10, decimal_places=2)),
                ('price_per_scu', fields.DecimalField(null=True, max_digits=15, decimal_places=2)),
                ('estimated_value', fields.DecimalField(null=True, max_digits=15, decimal_places=2)),
                ('recorded_by_id', fields.BigIntField(null=True)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'mining_yields', 'app': 'mining', 'indexes': [Index(fields=['event_id'])], 'pk_attr': 'id', 'table_description': 'What was mined or sold: for the whole event, or credited to one participant.'},
            bases=['Model'],
        ),
    ]
