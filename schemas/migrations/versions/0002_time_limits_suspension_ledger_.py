"""time limits, suspension ledger, supervision ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 16:55:10.521326
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import schemas.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_override',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('workday', sa.Boolean(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('set_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('set_at', schemas.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    op.create_table('clock_stop',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('started_at', schemas.types.UTCDateTime(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('started_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('ended_at', schemas.types.UTCDateTime(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('ended_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('working_days', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['review_task.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('clock_stop', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clock_stop_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clock_stop_task_id'), ['task_id'], unique=False)

    op.create_table('ledger_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('agency', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('missed_due', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('assigned_to', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('opened_at', schemas.types.UTCDateTime(), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('escalated_to', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('escalated_at', schemas.types.UTCDateTime(), nullable=True),
    sa.Column('closed_at', schemas.types.UTCDateTime(), nullable=True),
    sa.Column('closed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('closing_note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['review_task.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('task_id', 'missed_due')
    )
    with op.batch_alter_table('ledger_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_item_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_ledger_item_status_opened', ['status', 'opened_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_item_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_note', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('light', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('suspended_days', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('stops_open', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('stopped_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('last_acted_at', schemas.types.UTCDateTime(), nullable=True))
        batch_op.create_index('ix_case_file_light_due', ['light', 'due_date'], unique=False)

    with op.batch_alter_table('review_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_note', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('light', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('supplement_days', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('special_days', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('stopped', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('stopped_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('assignee', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index('ix_review_task_light_due', ['light', 'due_date'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('review_task', schema=None) as batch_op:
        batch_op.drop_index('ix_review_task_light_due')
        batch_op.drop_column('assignee')
        batch_op.drop_column('stopped_on')
        batch_op.drop_column('stopped')
        batch_op.drop_column('special_days')
        batch_op.drop_column('supplement_days')
        batch_op.drop_column('light')
        batch_op.drop_column('due_note')

    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_index('ix_case_file_light_due')
        batch_op.drop_column('last_acted_at')
        batch_op.drop_column('stopped_on')
        batch_op.drop_column('stops_open')
        batch_op.drop_column('suspended_days')
        batch_op.drop_column('light')
        batch_op.drop_column('due_note')

    with op.batch_alter_table('ledger_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_item_task_id'))
        batch_op.drop_index('ix_ledger_item_status_opened')
        batch_op.drop_index(batch_op.f('ix_ledger_item_case_id'))

    op.drop_table('ledger_item')
    with op.batch_alter_table('clock_stop', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clock_stop_task_id'))
        batch_op.drop_index(batch_op.f('ix_clock_stop_case_id'))

    op.drop_table('clock_stop')
    op.drop_table('calendar_override')
