from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CommandDigest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('application_id', fields.BigIntField()),
                ('scope', fields.CharField(max_length=24)),
                ('digest', fields.CharField(max_length=64)),
                ('synced_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'command_digests', 'app': 'core', 'unique_together': (('application_id', 'scope'),), 'pk_attr': 'id', 'table_description': 'The slash-command tree last published to Discord, per application and scope.'},
            bases=['Model'],
        ),
    ]
