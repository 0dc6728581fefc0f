"""Saved questions: an Explore state kept with a name, a description, an owner and who may open it.

- `app.questions`: the question as Explore's URL query values (`query`, the filter bar's keys and
  Explore's own), so that a saved question is read exactly as a link is, and a metric that has
  left the catalogue is dropped with a notice when it opens, never an error. `sharing` is
  `private` (the owner and admins), `everyone`, or `roles` (the roles in `shared_roles`).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE app.questions (
        question_id   serial PRIMARY KEY,
        owner_id      integer NOT NULL REFERENCES app.users ON DELETE CASCADE,
        name          text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
        description   text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
        query         jsonb NOT NULL CHECK (jsonb_typeof(query) = 'object'),
        sharing       text NOT NULL DEFAULT 'private' CHECK (sharing IN ('private', 'everyone', 'roles')),
        shared_roles  text[] NOT NULL DEFAULT '{}'
                      CHECK (shared_roles <@ ARRAY['viewer', 'analyst', 'admin']::text[]),
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now(),
        updated_by    text
    );
    CREATE INDEX questions_owner ON app.questions (owner_id);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE app.questions")
