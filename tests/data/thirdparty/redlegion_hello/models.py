"""The hello plugin's one table, to prove a third-party plugin brings its own schema."""

from tortoise import fields
from tortoise.models import Model


class Greeting(Model):
    id = fields.BigIntField(primary_key=True)
    guild = fields.ForeignKeyField("core.Guild", related_name="greetings")
    user_id = fields.BigIntField()
    text = fields.TextField()
    mood = fields.CharField(max_length=20, default="cheerful", db_default="cheerful")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "hello_greetings"
