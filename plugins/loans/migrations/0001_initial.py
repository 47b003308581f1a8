from tortoise import migrations
from tortoise.migrations import operations as ops
from decimal import Decimal
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Loan',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('guild', fields.ForeignKeyField('core.Guild', source_field='guild_id', db_constraint=True, to_field='id', related_name='loans', on_delete=OnDelete.CASCADE)),
                ('borrower', fields.ForeignKeyField('core.User', source_field='borrower_id', db_constraint=True, to_field='id', related_name='loans', on_delete=OnDelete.CASCADE)),
                ('amount_auec', fields.DecimalField(max_digits=15, decimal_places=2)),
                ('interest_rate', fields.DecimalField(default=Decimal('0'), db_default=Decimal('0'), max_digits=5, decimal_places=4)),
                ('interest_auec', fields.DecimalField(default=Decimal('0'), max_digits=15, decimal_places=2)),
                ('term_days', fields.IntField()),
                ('reason', fields.TextField(null=True, unique=False)),
                ('status', fields.CharField(default='active', db_default='active', max_length=20)),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('issued_date', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('due_date', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('paid_date', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decided_by_id', fields.BigIntField(null=True)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decision_note', fields.TextField(null=True, unique=False)),
                ('defaulted_date', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('forgiven_by_id', fields.BigIntField(null=True)),
                ('forgiven_date', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('written_off_auec', fields.DecimalField(default=Decimal('0'), max_digits=15, decimal_places=2)),
                ('written_off_date', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('default_notified', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'loans', 'app': 'loans', 'indexes': [Index(fields=['guild_id', 'status']), Index(fields=['guild_id', 'borrower_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoanRepayment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('guild', fields.ForeignKeyField('core.Guild', source_field='guild_id', db_constraint=True, to_field='id', related_name='loan_repayments', on_delete=OnDelete.CASCADE)),
                ('loan', fields.ForeignKeyField('loans.Loan', source_field='loan_id', db_constraint=True, to_field='id', related_name='repayments', on_delete=OnDelete.CASCADE)),
                ('amount_auec', fields.DecimalField(max_digits=15, decimal_places=2)),
                ('interest_auec', fields.DecimalField(max_digits=15, decimal_places=2)),
                ('principal_auec', fields.DecimalField(max_digits=15, decimal_places=2)),
                ('recorded_by_id', fields.BigIntField()),
                ('paid_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'loan_repayments', 'app': 'loans', 'indexes': [Index(fields=['loan_id', 'paid_at'])], 'pk_attr': 'id', 'table_description': 'A payment against a loan, split between interest (paid first) and principal.'},
            bases=['Model'],
        ),
    ]
