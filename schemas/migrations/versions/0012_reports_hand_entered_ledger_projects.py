"""reports: hand-entered ledger items, key projects, issued reports

Revision ID: 0012
Revises: 0014
Create Date: 2026-12-05 10:50:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import schemas.types


revision = '0012'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a hand-entered item (problem, duty, task list) may name no case (its task_id is nullable since 0011)
    with op.batch_alter_table('ledger_item', schema=None) as batch_op:
        batch_op.alter_column('case_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('leader', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('light', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index('ix_ledger_item_light_due', ['light', 'missed_due'], unique=False)
    op.create_table(
        'key_project',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('uscc', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column('leader', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('team', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('plan', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('created_at', schemas.types.UTCDateTime(), nullable=False),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(['leader'], ['operator.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
    )
    op.create_index('ix_key_project_leader', 'key_project', ['leader'], unique=False)
    op.create_table(
        'key_project_case',
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('added_at', schemas.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['key_project.id']),
        sa.ForeignKeyConstraint(['case_id'], ['case_file.id']),
        sa.PrimaryKeyConstraint('case_id'),
    )
    op.create_index('ix_key_project_case_project_id', 'key_project_case', ['project_id'], unique=False)
    op.create_table(
        'report_issue',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('files', sa.JSON(), nullable=False),
        sa.Column('flow_run_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('issued_at', schemas.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'period_start', 'scope'),
    )


def downgrade() -> None:
    op.drop_table('report_issue')
    op.drop_index('ix_key_project_case_project_id', table_name='key_project_case')
    op.drop_table('key_project_case')
    op.drop_index('ix_key_project_leader', table_name='key_project')
    op.drop_table('key_project')
    with op.batch_alter_table('ledger_item', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_item_light_due')
        batch_op.drop_column('created_by')
        batch_op.drop_column('light')
        batch_op.drop_column('leader')
        batch_op.drop_column('title')
        batch_op.alter_column('case_id', existing_type=sa.Integer(), nullable=False)
