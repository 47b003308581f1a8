from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('mining', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MiningMemberTime',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('mining.MiningEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='member_times', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('core.User', source_field='user_id', db_constraint=True, to_field='id', related_name='mining_member_times', on_delete=OnDelete.CASCADE)),
                ('seconds', fields.IntField()),
                ('sessions', fields.IntField()),
                ('is_org_member', fields.BooleanField()),
            ],
            options={'table': 'mining_member_times', 'app': 'mining', 'unique_together': (('event', 'user'),), 'pk_attr': 'id', 'table_description': "A member's counted time in an event that has ended, computed once when it ended."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='MiningEvent',
            name='times_min_session_seconds',
            field=fields.IntField(null=True),
        ),
    ]
