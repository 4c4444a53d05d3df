"""好差评: ratings, their per-matter and per-agency levels, rectification items on the ledger

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-05 10:40:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import schemas.types


revision = '0011'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'rating',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('level', sa.Integer(), nullable=False),
        sa.Column('indicators', sa.JSON(), nullable=True),
        sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('rater_phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column('created_at', schemas.types.UTCDateTime(), nullable=False),
        sa.Column('operator', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('token_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('voided', sa.Boolean(), nullable=False),
        sa.Column('voided_at', schemas.types.UTCDateTime(), nullable=True),
        sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['case_file.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('case_id', 'channel'),
        sa.UniqueConstraint('token_digest'),
        sa.CheckConstraint('level BETWEEN 1 AND 5', name='ck_rating_level'),
    )
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_operator'), ['operator'], unique=False)
        batch_op.create_index('ix_rating_created_at', ['created_at'], unique=False)
    op.create_table(
        'rating_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rating_id', sa.Integer(), nullable=False),
        sa.Column('matter', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('agency', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('level', sa.Integer(), nullable=False),
        sa.Column('given', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['rating_id'], ['rating.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('rating_id', 'agency', 'matter'),
        sa.CheckConstraint('level BETWEEN 1 AND 5', name='ck_rating_item_level'),
    )
    with op.batch_alter_table('rating_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_item_rating_id'), ['rating_id'], unique=False)
        batch_op.create_index('ix_rating_item_agency', ['agency'], unique=False)
    op.create_table(
        'rectification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rating_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('agency', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('operator', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('opened_at', schemas.types.UTCDateTime(), nullable=False),
        sa.Column('callback_due', sa.Date(), nullable=True),
        sa.Column('fix_due', sa.Date(), nullable=True),
        sa.Column('due_note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('light', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('called_back_at', schemas.types.UTCDateTime(), nullable=True),
        sa.Column('called_back_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('callback_note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('closed_at', schemas.types.UTCDateTime(), nullable=True),
        sa.Column('closed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('closing_note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('appeal', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('appeal_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('appealed_at', schemas.types.UTCDateTime(), nullable=True),
        sa.Column('appealed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('appeal_decided_at', schemas.types.UTCDateTime(), nullable=True),
        sa.Column('appeal_decided_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('appeal_note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['case_file.id']),
        sa.ForeignKeyConstraint(['rating_id'], ['rating.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('rating_id', 'agency'),
    )
    with op.batch_alter_table('rectification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rectification_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_rating_id'), ['rating_id'], unique=False)
        batch_op.create_index('ix_rectification_status', ['status'], unique=False)
    # the ledger also carries late rectifications: an item names a task or a rectification
    with op.batch_alter_table('ledger_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rectification_id', sa.Integer(), nullable=True))
        batch_op.alter_column('task_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_ledger_item_rectification_id'), ['rectification_id'], unique=False)
        batch_op.create_foreign_key('fk_ledger_item_rectification_id', 'rectification', ['rectification_id'], ['id'])
        batch_op.create_unique_constraint('uq_ledger_item_rectification_id_missed_due',
                                          ['rectification_id', 'missed_due'])


def downgrade() -> None:
    with op.batch_alter_table('ledger_item', schema=None) as batch_op:
        batch_op.drop_constraint('uq_ledger_item_rectification_id_missed_due', type_='unique')
        batch_op.drop_constraint('fk_ledger_item_rectification_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_ledger_item_rectification_id'))
        batch_op.alter_column('task_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('rectification_id')
    op.drop_table('rectification')
    op.drop_table('rating_item')
    op.drop_table('rating')
