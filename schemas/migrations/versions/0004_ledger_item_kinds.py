"""ledger item kinds

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 17:41:44.778695
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import schemas.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ledger_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default='review'))



def downgrade() -> None:
    with op.batch_alter_table('ledger_item', schema=None) as batch_op:
        batch_op.drop_column('kind')

