from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    initial = True

    operations = [
        ops.CreateModel(
            name="Note",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("text", fields.TextField()),
            ],
            options={"table": "forked_notes", "app": "forked", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
