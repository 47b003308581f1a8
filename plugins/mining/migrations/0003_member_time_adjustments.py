from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('mining', '0002_member_times')]

    initial = False

    operations = [
        ops.AddField(
            model_name='MiningMemberTime',
            name='adjusted_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='MiningMemberTime',
            name='adjusted_by_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='MiningMemberTime',
            name='adjustment_reason',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='MiningMemberTime',
            name='counted_seconds',
            field=fields.IntField(null=True),
        ),
    ]
