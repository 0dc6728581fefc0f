"""Answers that stay warm while live batches land: which days each small load changed.

A load that refreshes the rollups by order (a live batch) changes the answers of the purchase
days its orders fall on (and those of its people's other orders) and no others. The cache keys an
answer over a range by the latest run that changed a day of that range, or changed everything.

- `etl.runs.by_orders`: the run changed only the days it lists in `etl.changed_days`.
- `etl.changed_days`: per purchase day, the latest such run that changed it.
- An index on the runs that changed everything (any other load that changed data), newest first.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    ALTER TABLE etl.runs ADD COLUMN by_orders boolean NOT NULL DEFAULT false;
    CREATE INDEX runs_changed_everywhere ON etl.runs (run_id DESC)
        WHERE status = 'succeeded' AND changed AND NOT dry_run AND NOT by_orders;
    CREATE TABLE etl.changed_days (
        purchase_date  date PRIMARY KEY,
        run_id         bigint NOT NULL
    );
    CREATE INDEX changed_days_run ON etl.changed_days (run_id);
    """)


def downgrade() -> None:
    op.execute("""
    DROP TABLE etl.changed_days;
    DROP INDEX etl.runs_changed_everywhere;
    ALTER TABLE etl.runs DROP COLUMN by_orders;
    """)
