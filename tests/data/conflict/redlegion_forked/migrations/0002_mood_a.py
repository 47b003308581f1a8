from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("forked", "0001_initial")]

    operations = [
        ops.AddField(
            model_name="Note",
            name="mood",
            field=fields.CharField(default="calm", db_default="calm", max_length=20),
        ),
    ]
