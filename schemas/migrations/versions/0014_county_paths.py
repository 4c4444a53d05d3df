"""a county's paths: refusal and withdrawal, extension, single matters, sign-off chains, delivery and visits

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-05 11:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import schemas.types


revision = '0014'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('single_matter', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('end_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('delivery_mode', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default='pickup'))
        batch_op.add_column(sa.Column('delivery_address', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch_op.add_column(sa.Column('visits', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('collected_at', schemas.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table('review_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('extended_days', sa.Integer(), nullable=False, server_default='0'))
    op.create_table(
        'sign_off',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('operator', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('action', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('signed_at', schemas.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case_file.id']),
        sa.ForeignKeyConstraint(['task_id'], ['review_task.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('task_id', 'step'),
    )
    with op.batch_alter_table('sign_off', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_off_task_id'), ['task_id'], unique=False)
    op.create_table(
        'extension',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('requested_at', schemas.types.UTCDateTime(), nullable=False),
        sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('decided_at', schemas.types.UTCDateTime(), nullable=True),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['case_file.id']),
        sa.ForeignKeyConstraint(['task_id'], ['review_task.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('task_id'),
    )
    with op.batch_alter_table('extension', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extension_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_extension_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('extension', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extension_status'))
        batch_op.drop_index(batch_op.f('ix_extension_case_id'))
    op.drop_table('extension')
    with op.batch_alter_table('sign_off', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_off_task_id'))
    op.drop_table('sign_off')
    with op.batch_alter_table('review_task', schema=None) as batch_op:
        batch_op.drop_column('extended_days')
        batch_op.drop_column('step')
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_column('collected_at')
        batch_op.drop_column('visits')
        batch_op.drop_column('delivery_address')
        batch_op.drop_column('delivery_mode')
        batch_op.drop_column('end_reason')
        batch_op.drop_column('single_matter')
