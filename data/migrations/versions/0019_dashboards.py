"""Dashboards: named grids of saved questions and text cards that users arrange and share.

- `app.dashboards`: the cards as a JSON list (each with its place on a 12-column grid, what it
  shows, and how the dashboard's filters meet its question's own), the filters it opens with (the
  filter bar's query values), its auto-refresh interval, and the same owner and sharing as a saved
  question (data/sharing.py).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE app.dashboards (
        dashboard_id     serial PRIMARY KEY,
        owner_id         integer NOT NULL REFERENCES app.users ON DELETE CASCADE,
        name             text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
        description      text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
        cards            jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(cards) = 'array'),
        filters          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(filters) = 'object'),
        refresh_seconds  integer NOT NULL DEFAULT 0 CHECK (refresh_seconds BETWEEN 0 AND 86400),
        sharing          text NOT NULL DEFAULT 'private' CHECK (sharing IN ('private', 'everyone', 'roles')),
        shared_roles     text[] NOT NULL DEFAULT '{}'
                         CHECK (shared_roles <@ ARRAY['viewer', 'analyst', 'admin']::text[]),
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now(),
        updated_by       text
    );
    CREATE INDEX dashboards_owner ON app.dashboards (owner_id);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE app.dashboards")
