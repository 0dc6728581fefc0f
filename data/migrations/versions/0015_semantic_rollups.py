"""The semantic layer's rollups: what each one was built by (its definition's hash), when, and its size.

The rollup tables themselves (`warehouse.rollup_<name>`) are generated from the catalogue's
declarations by `etl.semantic_rollups`, not by migrations: a new or changed declaration is built
by `python -m etl rollups build`, the next load or the app's start.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE etl.rollups (
        name        text PRIMARY KEY,
        definition  text NOT NULL,         -- data.semantic.state.definition when it was built
        row_count   bigint NOT NULL,
        seconds     double precision NOT NULL,  -- its last full build
        built_at    timestamptz NOT NULL DEFAULT now()
    );
    """)


def downgrade() -> None:
    op.execute("""
    DO $$ DECLARE t text; BEGIN
        FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'warehouse' AND tablename LIKE 'rollup\\_%' LOOP
            EXECUTE format('DROP TABLE warehouse.%I', t);
        END LOOP;
    END $$;
    DROP TABLE etl.rollups;
    """)
