"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 16:35:21.217605
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import schemas.types


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_no', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('request_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('catalog_version', sa.Integer(), nullable=False),
    sa.Column('bundle', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('applicant_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('uscc', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('legal_rep_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('legal_rep_id_number', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('key_project', sa.Boolean(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('promised_days', sa.Integer(), nullable=False),
    sa.Column('matters', sa.JSON(), nullable=False),
    sa.Column('required_materials', sa.JSON(), nullable=False),
    sa.Column('provided_materials', sa.JSON(), nullable=False),
    sa.Column('submitted_at', schemas.types.UTCDateTime(), nullable=False),
    sa.Column('accepted_at', schemas.types.UTCDateTime(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('finished_at', schemas.types.UTCDateTime(), nullable=True),
    sa.Column('updated_at', schemas.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id')
    )
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_file_bundle'), ['bundle'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_file_case_no'), ['case_no'], unique=True)
        batch_op.create_index(batch_op.f('ix_case_file_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_file_uscc'), ['uscc'], unique=False)

    op.create_table('catalog_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loaded_at', schemas.types.UTCDateTime(), nullable=False),
    sa.Column('loaded_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('flow_run',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('flow_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('started_at', schemas.types.UTCDateTime(), nullable=False),
    sa.Column('ended_at', schemas.types.UTCDateTime(), nullable=True),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('case_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', schemas.types.UTCDateTime(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('flow_run_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_event_case_id'), ['case_id'], unique=False)

    op.create_table('flow_run_case',
    sa.Column('flow_run_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['flow_run_id'], ['flow_run.id'], ),
    sa.PrimaryKeyConstraint('flow_run_id', 'case_id')
    )
    with op.batch_alter_table('flow_run_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flow_run_case_case_id'), ['case_id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sent_at', schemas.types.UTCDateTime(), nullable=False),
    sa.Column('flow_run_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_case_id'), ['case_id'], unique=False)

    op.create_table('review_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('matter', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('agency', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('optional', sa.Boolean(), nullable=False),
    sa.Column('depends_on', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('promised_days', sa.Integer(), nullable=False),
    sa.Column('statutory_days', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('requested_materials', sa.JSON(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('decided_at', schemas.types.UTCDateTime(), nullable=True),
    sa.Column('dispatched_at', schemas.types.UTCDateTime(), nullable=True),
    sa.Column('updated_at', schemas.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'matter')
    )
    with op.batch_alter_table('review_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_task_agency'), ['agency'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_task_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_task_status'), ['status'], unique=False)

    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('matter', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('agency', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('issued_at', schemas.types.UTCDateTime(), nullable=False),
    sa.Column('delivered_at', schemas.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['review_task.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number'),
    sa.UniqueConstraint('task_id')
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_case_id'), ['case_id'], unique=False)

    op.create_table('outbox_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', schemas.types.UTCDateTime(), nullable=False),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('claimed_at', schemas.types.UTCDateTime(), nullable=True),
    sa.Column('done_at', schemas.types.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['review_task.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('outbox_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_item_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_item_done_at'), ['done_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_item_kind'), ['kind'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_item_kind'))
        batch_op.drop_index(batch_op.f('ix_outbox_item_done_at'))
        batch_op.drop_index(batch_op.f('ix_outbox_item_case_id'))

    op.drop_table('outbox_item')
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_case_id'))

    op.drop_table('certificate')
    with op.batch_alter_table('review_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_task_status'))
        batch_op.drop_index(batch_op.f('ix_review_task_case_id'))
        batch_op.drop_index(batch_op.f('ix_review_task_agency'))

    op.drop_table('review_task')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_case_id'))

    op.drop_table('notification')
    with op.batch_alter_table('flow_run_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flow_run_case_case_id'))

    op.drop_table('flow_run_case')
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_event_case_id'))

    op.drop_table('case_event')
    op.drop_table('flow_run')
    op.drop_table('catalog_version')
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_file_uscc'))
        batch_op.drop_index(batch_op.f('ix_case_file_status'))
        batch_op.drop_index(batch_op.f('ix_case_file_case_no'))
        batch_op.drop_index(batch_op.f('ix_case_file_bundle'))

    op.drop_table('case_file')
