"""One table; both 0002 migrations add the same column to it."""

from tortoise import fields
from tortoise.models import Model


class Note(Model):
    id = fields.BigIntField(primary_key=True)
    text = fields.TextField()
    mood = fields.CharField(max_length=20, default="calm", db_default="calm")

    class Meta:
        table = "forked_notes"
