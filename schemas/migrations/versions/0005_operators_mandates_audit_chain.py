"""operators, mandates, key-project leader, timeline hash chain (append-only)

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
import schemas.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_GUARDS = {  # the timeline is append-only: an UPDATE or DELETE of a case_event row is refused
    "sqlite": [
        "CREATE TRIGGER case_event_no_update BEFORE UPDATE ON case_event "
        "BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END",
        "CREATE TRIGGER case_event_no_delete BEFORE DELETE ON case_event "
        "BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION case_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'case_event is append-only'; END $$",
        "CREATE TRIGGER case_event_append_only BEFORE UPDATE OR DELETE ON case_event "
        "FOR EACH ROW EXECUTE FUNCTION case_event_append_only()",
    ],
}


def upgrade() -> None:
    op.create_table(
        'operator',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(), nullable=False),
        sa.Column('agency', sa.String(), nullable=True),
        sa.Column('name', sa.String(), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=True),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', schemas.types.UTCDateTime(), nullable=False),
        sa.Column('created_by', sa.String(), nullable=False),
        sa.Column('disabled_at', schemas.types.UTCDateTime(), nullable=True),
        sa.Column('disabled_by', sa.String(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_operator_role', 'operator', ['role'])
    op.create_table(
        'mandate',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agent', sa.String(), nullable=False),
        sa.Column('uscc', sa.String(length=18), nullable=False),
        sa.Column('scopes', sa.JSON(), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=False),
        sa.Column('granted_at', schemas.types.UTCDateTime(), nullable=False),
        sa.Column('granted_by', sa.String(), nullable=False),
        sa.Column('revoked_at', schemas.types.UTCDateTime(), nullable=True),
        sa.Column('revoked_by', sa.String(), nullable=True),
        sa.Column('revoke_reason', sa.String(), nullable=True),
        sa.ForeignKeyConstraint(['agent'], ['operator.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_mandate_agent', 'mandate', ['agent'])
    op.create_index('ix_mandate_uscc', 'mandate', ['uscc'])
    op.create_table(
        'event_chain',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case_file.id']),
        sa.PrimaryKeyConstraint('case_id'),
    )
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agent', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('leader', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('legal_rep_phone', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_case_file_agent', ['agent'])
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    _chain_existing_events()
    for statement in _GUARDS.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def _chain_existing_events() -> None:
    """Events written before the chain existed are chained now, in the order they were written."""
    GENESIS = "0" * 64  # the plain SHA-256 chain of this revision; 0008 chains every event again, keyed

    bind = op.get_bind()
    events = sa.table("case_event", sa.column("id"), sa.column("case_id"), sa.column("at", schemas.types.UTCDateTime()),
                      sa.column("kind"), sa.column("actor"), sa.column("detail"), sa.column("flow_run_id"),
                      sa.column("seq"), sa.column("prev_hash"), sa.column("hash"))
    chain = sa.table("event_chain", sa.column("case_id"), sa.column("seq"), sa.column("hash"))
    heads: dict[int, tuple[int, str]] = {}
    rows = bind.execute(sa.select(events.c.id, events.c.case_id, events.c.at, events.c.kind, events.c.actor,
                                  events.c.detail, events.c.flow_run_id).order_by(events.c.case_id, events.c.id)).all()
    for row in rows:
        seq, prev = heads.get(row.case_id, (0, GENESIS))
        digest = event_hash(prev, row.case_id, seq + 1, row.at, row.kind, row.actor, row.detail, row.flow_run_id)
        bind.execute(events.update().where(events.c.id == row.id).values(seq=seq + 1, prev_hash=prev, hash=digest))
        heads[row.case_id] = (seq + 1, digest)
    if heads:
        bind.execute(chain.insert(), [{"case_id": c, "seq": s, "hash": h} for c, (s, h) in heads.items()])


def event_hash(prev: str, case_id: int, seq: int, at, kind: str, actor: str, detail: str, flow_run_id) -> str:
    import hashlib
    import json
    from datetime import UTC

    body = json.dumps(
        [prev, case_id, seq, at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"), kind, actor, detail, flow_run_id],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER case_event_append_only ON case_event")
        op.execute("DROP FUNCTION case_event_append_only()")
    else:
        op.execute("DROP TRIGGER case_event_no_update")
        op.execute("DROP TRIGGER case_event_no_delete")
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_index('ix_case_file_agent')
        batch_op.drop_column('legal_rep_phone')
        batch_op.drop_column('leader')
        batch_op.drop_column('agent')
    op.drop_table('event_chain')
    op.drop_index('ix_mandate_uscc', table_name='mandate')
    op.drop_index('ix_mandate_agent', table_name='mandate')
    op.drop_table('mandate')
    op.drop_index('ix_operator_role', table_name='operator')
    op.drop_table('operator')
