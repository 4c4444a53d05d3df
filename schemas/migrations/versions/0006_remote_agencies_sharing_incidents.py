"""remote agencies, data sharing, gateway notifications, incidents

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 19:50:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import schemas.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'shared_material',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('material', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('requested_at', schemas.types.UTCDateTime(), nullable=False),
        sa.Column('fetched_at', schemas.types.UTCDateTime(), nullable=True),
        sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['case_file.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('case_id', 'material'),
    )
    with op.batch_alter_table('shared_material', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_material_case_id'), ['case_id'], unique=False)
    with op.batch_alter_table('review_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remote_ticket', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('remote_incident', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    with op.batch_alter_table('outbox_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incident_at', schemas.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivered_at', schemas.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('delivered_at')
    with op.batch_alter_table('outbox_item', schema=None) as batch_op:
        batch_op.drop_column('incident_at')
    with op.batch_alter_table('review_task', schema=None) as batch_op:
        batch_op.drop_column('remote_incident')
        batch_op.drop_column('remote_ticket')
    with op.batch_alter_table('shared_material', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shared_material_case_id'))
    op.drop_table('shared_material')
