from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('hello', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Greeting',
            name='mood',
            field=fields.CharField(default='cheerful', db_default='cheerful', max_length=20),
        ),
    ]
