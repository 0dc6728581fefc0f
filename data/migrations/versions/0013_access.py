"""Access a company's IT signs off: server-side sessions, sign-in throttling, data scopes,
two-factor sign-in, an append-only audit log, and the background jobs' slots.

- `app.sessions`: one row per signed-in browser; the cookie holds a random token whose SHA-256 is
  the key here, so a copy of this table signs nobody in. Deleting a row ends that session at once.
- `app.login_throttle`: failed sign-ins per address, per account (from browsers the account has not
  signed in from) and per device cookie, with the time before which the next attempt is refused.
- `app.users` gains a data scope (sellers, customer states) and a TOTP secret; `app.recovery_codes`
  holds the one-time codes as hashes.
- `app.settings`: settings an admin changes in the app (whether two-factor sign-in is required).
- `app.audit_log`: who did what; a trigger refuses every UPDATE and DELETE.
- `app.jobs`: the background jobs running now, so every worker and host counts the same slots.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE app.sessions (
        token_hash    bytea PRIMARY KEY,
        user_id       integer NOT NULL REFERENCES app.users ON DELETE CASCADE,
        data          jsonb NOT NULL DEFAULT '{}',
        verified      boolean NOT NULL,            -- false while the second factor is still owed
        created_at    timestamptz NOT NULL DEFAULT now(),
        last_seen_at  timestamptz NOT NULL DEFAULT now(),
        address       text,
        user_agent    text
    );
    CREATE INDEX sessions_user ON app.sessions (user_id);

    CREATE TABLE app.login_throttle (
        key            text PRIMARY KEY,           -- 'address:...', 'account:...', 'device:...'
        failures       integer NOT NULL,
        last_failure   timestamptz NOT NULL,
        blocked_until  timestamptz NOT NULL
    );

    ALTER TABLE app.users
        ADD COLUMN scope_sellers uuid[] NOT NULL DEFAULT '{}',
        ADD COLUMN scope_states text[] NOT NULL DEFAULT '{}',
        ADD COLUMN totp_secret text,
        ADD COLUMN totp_enabled boolean NOT NULL DEFAULT false,
        ADD COLUMN totp_last_step bigint;          -- a code's time step is accepted once

    CREATE TABLE app.recovery_codes (
        user_id    integer NOT NULL REFERENCES app.users ON DELETE CASCADE,
        code_hash  text NOT NULL,
        used_at    timestamptz
    );
    CREATE INDEX recovery_codes_user ON app.recovery_codes (user_id);

    CREATE TABLE app.settings (
        key    text PRIMARY KEY,
        value  text NOT NULL
    );

    CREATE TABLE app.audit_log (
        event_id  bigserial PRIMARY KEY,
        at        timestamptz NOT NULL DEFAULT clock_timestamp(),
        actor     text,                            -- the user name, or NULL (the loader, a stranger)
        action    text NOT NULL,
        target    text,
        detail    jsonb NOT NULL DEFAULT '{}',
        address   text
    );
    CREATE INDEX audit_log_at ON app.audit_log (at DESC);
    CREATE INDEX audit_log_action ON app.audit_log (action, at DESC);

    CREATE FUNCTION app.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the audit log is append-only';
    END $$;
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON app.audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION app.audit_log_append_only();

    CREATE TABLE app.jobs (
        job_id      bigserial PRIMARY KEY,
        user_id     integer NOT NULL,
        host        text NOT NULL,
        pid         integer,
        started_at  timestamptz NOT NULL DEFAULT now()
    );
    """)


def downgrade() -> None:
    op.execute("""
    DROP TABLE app.jobs;
    DROP TABLE app.audit_log;
    DROP FUNCTION app.audit_log_append_only();
    DROP TABLE app.settings;
    DROP TABLE app.recovery_codes;
    ALTER TABLE app.users DROP COLUMN scope_sellers, DROP COLUMN scope_states, DROP COLUMN totp_secret,
        DROP COLUMN totp_enabled, DROP COLUMN totp_last_step;
    DROP TABLE app.login_throttle;
    DROP TABLE app.sessions;
    """)
