"""Add the app's users.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE app.users (
        user_id        serial PRIMARY KEY,
        username       text NOT NULL,
        password_hash  text NOT NULL,  -- scrypt, in werkzeug's format
        role           text NOT NULL CHECK (role IN ('admin', 'analyst', 'viewer')),
        active         boolean NOT NULL DEFAULT true,
        created_at     timestamptz NOT NULL DEFAULT now(),
        last_login_at  timestamptz
    );
    CREATE UNIQUE INDEX users_username ON app.users (lower(username));
    """)


def downgrade() -> None:
    op.execute("DROP TABLE app.users")
