"""web: passwords, sign-in sessions and attempts, systems' tokens

Revision ID: 0010
Revises: 0011
Create Date: 2026-12-05 10:50:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import schemas.types


revision = '0010'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('operator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True))
        batch_op.add_column(sa.Column('failed_sign_ins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', schemas.types.UTCDateTime(), nullable=True))
    op.create_table(
        'web_session',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('operator_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('created_at', schemas.types.UTCDateTime(), nullable=False),
        sa.Column('ended_at', schemas.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['operator_id'], ['operator.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_web_session_operator_id', 'web_session', ['operator_id'])
    op.create_table(
        'sign_in_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('at', schemas.types.UTCDateTime(), nullable=False),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('remote', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_sign_in_attempt_username', 'sign_in_attempt', ['username'])
    op.create_table(
        'api_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('scopes', sa.JSON(), nullable=False),
        sa.Column('agency', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('created_at', schemas.types.UTCDateTime(), nullable=False),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('revoked_at', schemas.types.UTCDateTime(), nullable=True),
        sa.Column('revoked_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
        sa.UniqueConstraint('digest'),
    )


def downgrade() -> None:
    op.drop_table('api_token')
    op.drop_index('ix_sign_in_attempt_username', table_name='sign_in_attempt')
    op.drop_table('sign_in_attempt')
    op.drop_index('ix_web_session_operator_id', table_name='web_session')
    op.drop_table('web_session')
    with op.batch_alter_table('operator', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_sign_ins')
        batch_op.drop_column('password_hash')
