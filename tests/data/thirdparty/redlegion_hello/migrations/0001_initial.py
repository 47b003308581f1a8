from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Greeting',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('guild', fields.ForeignKeyField('core.Guild', source_field='guild_id', db_constraint=True, to_field='id', related_name='greetings', on_delete=OnDelete.CASCADE)),
                ('user_id', fields.BigIntField()),
                ('text', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'hello_greetings', 'app': 'hello', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
