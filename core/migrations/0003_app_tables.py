from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0002_command_digests')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AppTable',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('app', fields.CharField(max_length=100)),
                ('table_name', fields.CharField(max_length=128)),
            ],
            options={'table': 'app_tables', 'app': 'core', 'unique_together': (('app', 'table_name'),), 'pk_attr': 'id', 'table_description': "A table an app's applied migrations made, written at every migration run."},
            bases=['Model'],
        ),
    ]
