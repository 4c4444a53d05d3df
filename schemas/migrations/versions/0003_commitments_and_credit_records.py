"""commitments and credit records

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 17:26:38.742933
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import schemas.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('commitment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('materials', sa.JSON(), nullable=False),
    sa.Column('matter', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('signed_at', schemas.types.UTCDateTime(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('grace_days', sa.Integer(), nullable=False),
    sa.Column('resolved_at', schemas.types.UTCDateTime(), nullable=True),
    sa.Column('resolved_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitment_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_commitment_kind_status_due', ['kind', 'status', 'due_date'], unique=False)

    op.create_table('credit_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uscc', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('commitment_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', schemas.types.UTCDateTime(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('repaired_at', schemas.types.UTCDateTime(), nullable=True),
    sa.Column('repaired_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('repair_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['commitment_id'], ['commitment.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('commitment_id')
    )
    with op.batch_alter_table('credit_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_record_uscc'), ['uscc'], unique=False)

    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('commitment_matters', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('suspended_from', sqlmodel.sql.sqltypes.AutoString(), nullable=True))

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', schemas.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('revoked_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('revoke_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_column('revoke_reason')
        batch_op.drop_column('revoked_by')
        batch_op.drop_column('revoked_at')

    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_column('suspended_from')
        batch_op.drop_column('commitment_matters')

    with op.batch_alter_table('credit_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_record_uscc'))

    op.drop_table('credit_record')
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.drop_index('ix_commitment_kind_status_due')
        batch_op.drop_index(batch_op.f('ix_commitment_case_id'))

    op.drop_table('commitment')
