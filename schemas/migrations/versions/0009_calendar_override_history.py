"""calendar_override_change: every setting of a day kept, not only the latest

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 12:00:00
"""
from alembic import op
import sqlalchemy as sa
import schemas.types


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'calendar_override_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('workday', sa.Boolean(), nullable=False),
        sa.Column('reason', sa.String(), nullable=False),
        sa.Column('set_by', sa.String(), nullable=False),
        sa.Column('set_at', schemas.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_calendar_override_change_day', 'calendar_override_change', ['day'])
    # what each override says now is where its history starts
    op.execute("INSERT INTO calendar_override_change (day, workday, reason, set_by, set_at) "
               "SELECT day, workday, reason, set_by, set_at FROM calendar_override")


def downgrade() -> None:
    op.drop_index('ix_calendar_override_change_day', table_name='calendar_override_change')
    op.drop_table('calendar_override_change')
