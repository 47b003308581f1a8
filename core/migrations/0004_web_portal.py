from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0003_app_tables')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WebSession',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('user_id', fields.BigIntField(null=True, db_index=True)),
                ('csrf_token', fields.CharField(max_length=64)),
                ('oauth_state', fields.CharField(null=True, max_length=64)),
                ('next_path', fields.TextField(null=True, unique=False)),
                ('flashes', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'web_sessions', 'app': 'core', 'pk_attr': 'id', 'table_description': 'A portal sign-in, kept server-side so it can be revoked (log out deletes the row) and'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='GuildMembership',
            name='is_guild_admin',
            field=fields.BooleanField(default=False),
        ),
    ]
