"""Live ingest: when each batch arrived, so the lag from a file appearing to its data being visible
can be shown (the Live page) and measured.

- `etl.runs.arrived_at`: when the watcher first saw the batch's folder in its inbox (null for a
  run started by hand: its files were there before anyone asked).
- An index on the runs that changed the warehouse, newest first: the data version and the Live
  page's list of batches read it every second while a watcher adds a run every few seconds.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    ALTER TABLE etl.runs ADD COLUMN arrived_at timestamptz;
    CREATE INDEX runs_changed ON etl.runs (run_id DESC) WHERE status = 'succeeded' AND changed AND NOT dry_run;
    """)


def downgrade() -> None:
    op.execute("""
    DROP INDEX etl.runs_changed;
    ALTER TABLE etl.runs DROP COLUMN arrived_at;
    """)
