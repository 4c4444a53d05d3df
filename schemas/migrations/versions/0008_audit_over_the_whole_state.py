"""audit over the whole state: keyed chains, case states, the system chain, consecutive case numbers

Revision ID: 0008
Revises: 0012
Create Date: 2026-12-05 11:30:00

Events already written were chained with plain SHA-256; they are chained again with the installation's
key (the append-only trigger is lifted for that and put back). Operators, mandates, calendar overrides,
credit records and catalogs already there get a first system event each, recording them as they are.
"""
from alembic import op
import sqlalchemy as sa
import schemas.types


revision = '0008'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'case_number_day',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('last', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day'),
    )
    op.create_table(
        'audit_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('at', schemas.types.UTCDateTime(), nullable=False),
        sa.Column('kind', sa.String(), nullable=False),
        sa.Column('actor', sa.String(), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('state', sa.String(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('seq'),
    )
    op.create_index('ix_audit_event_subject', 'audit_event', ['subject'])
    op.create_table(
        'audit_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.add_column('case_event', sa.Column('state', sa.String(), nullable=True))  # keeps the append-only triggers
    op.add_column('event_chain', sa.Column('at', schemas.types.UTCDateTime(), nullable=True))
    _number_existing_days()
    _key_existing_chains()
    _first_system_events()


def _number_existing_days() -> None:
    bind = op.get_bind()
    days: dict[str, int] = {}
    for (case_no,) in bind.execute(sa.text("SELECT case_no FROM case_file")):
        if len(case_no) == 16 and case_no[2:].isdigit():
            day = f"{case_no[2:6]}-{case_no[6:8]}-{case_no[8:10]}"
            days[day] = max(days.get(day, 0), int(case_no[10:]))
    if days:
        bind.execute(sa.text("INSERT INTO case_number_day (day, last) VALUES (:day, :last)"),
                     [{"day": d, "last": n} for d, n in days.items()])


def _key_existing_chains() -> None:
    """Every case's events chained again, with the key and in the same order; the heads follow."""
    from approvals.audit import GENESIS, event_hash

    bind = op.get_bind()
    events = sa.table("case_event", sa.column("id"), sa.column("case_id"), sa.column("at", schemas.types.UTCDateTime()),
                      sa.column("kind"), sa.column("actor"), sa.column("detail"), sa.column("flow_run_id"),
                      sa.column("seq"), sa.column("prev_hash"), sa.column("hash"))
    rows = bind.execute(sa.select(events.c.id, events.c.case_id, events.c.at, events.c.kind, events.c.actor,
                                  events.c.detail, events.c.flow_run_id, events.c.seq)
                        .order_by(events.c.case_id, events.c.seq, events.c.id)).all()
    if not rows:
        return
    key = _audit_key()
    postgresql = bind.dialect.name == "postgresql"
    op.execute("ALTER TABLE case_event DISABLE TRIGGER case_event_append_only" if postgresql
               else "DROP TRIGGER IF EXISTS case_event_no_update")
    heads: dict[int, tuple[int, str, object]] = {}
    for row in rows:
        seq, prev, _ = heads.get(row.case_id, (0, GENESIS, None))
        digest = event_hash(key, prev, row.case_id, seq + 1, row.at, row.kind, row.actor, row.detail, row.flow_run_id)
        bind.execute(events.update().where(events.c.id == row.id).values(seq=seq + 1, prev_hash=prev, hash=digest))
        heads[row.case_id] = (seq + 1, digest, row.at)
    chain = sa.table("event_chain", sa.column("case_id"), sa.column("seq"), sa.column("hash"),
                     sa.column("at", schemas.types.UTCDateTime()))
    for case_id, (seq, digest, at) in heads.items():
        bind.execute(chain.update().where(chain.c.case_id == case_id).values(seq=seq, hash=digest, at=at))
    if postgresql:
        op.execute("ALTER TABLE case_event ENABLE TRIGGER case_event_append_only")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER IF NOT EXISTS case_event_no_{verb.lower()} BEFORE {verb} ON case_event "
                       "BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END")


def _first_system_events() -> None:
    from datetime import UTC, datetime

    from approvals.audit import GENESIS, SUBJECTS, plain, row_state, system_hash

    bind = op.get_bind()
    now = datetime.now(UTC)
    rows, prev = [], GENESIS
    for table, (key_column, columns) in SUBJECTS.items():
        for found in bind.execute(sa.text(f"SELECT {key_column}, {', '.join(columns)} FROM {table}")).mappings():
            subject, state = f"{table}:{plain(found[key_column])}", row_state(columns, dict(found))
            rows.append({"seq": len(rows) + 1, "subject": subject, "state": state})
    if not rows:
        return
    key = _audit_key()
    for row in rows:
        row.update(at=now, kind="recorded", actor="system", prev_hash=prev)
        row["hash"] = prev = system_hash(key, prev, row["seq"], now, "recorded", "system", row["subject"], row["state"])
    audit = sa.table("audit_event", sa.column("seq"), sa.column("at", schemas.types.UTCDateTime()), sa.column("kind"),
                     sa.column("actor"), sa.column("subject"), sa.column("state"), sa.column("prev_hash"),
                     sa.column("hash"))
    bind.execute(audit.insert(), rows)
    bind.execute(sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, :seq, :hash)"),
                 {"seq": len(rows), "hash": prev})


def _audit_key() -> bytes:
    """The installation's audit key, which services.migrate hands over (it lives outside the database)."""
    from alembic import context

    given = context.config.attributes.get("audit_key")
    if given is None:
        raise RuntimeError("0008 chains existing rows with the audit key: run it through `onevisit init`")
    return given()


def downgrade() -> None:
    with op.batch_alter_table('event_chain', schema=None) as batch_op:
        batch_op.drop_column('at')
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_column('state')
    op.drop_table('audit_head')
    op.drop_index('ix_audit_event_subject', table_name='audit_event')
    op.drop_table('audit_event')
    op.drop_table('case_number_day')
