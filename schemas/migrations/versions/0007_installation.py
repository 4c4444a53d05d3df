"""installation: the database's own id and whether it honours the test clock

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:50:00
"""
from alembic import op
import sqlalchemy as sa
import schemas.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'installation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('installation_id', sa.String(length=32), nullable=False),
        sa.Column('test_clock', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('created_at', schemas.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('installation_id'),
    )


def downgrade() -> None:
    op.drop_table('installation')
