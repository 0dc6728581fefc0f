"""Server-side sessions (`app.sessions`): the browser holds a random token, the server the rest.

A session is found by the SHA-256 of its token, so the table itself signs nobody in. It ends when
the row goes: at sign-out, when the user is disabled or gets a new password, role or scope
(`data.users` deletes the rows in the same transaction), after SESSION_IDLE_MINUTES without a
request, and SESSION_MAX_HOURS after sign-in whatever happens. Every request reads its row (one
indexed lookup joined to the user), so each of those ends takes effect on the next request, in
every worker and on every host.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from data import twofactor, users
from data.db import deadline

TOUCH_EVERY = timedelta(seconds=30)  # last_seen_at is written at most this often per session
LOOKUP_SECONDS = 2  # a session lookup is one indexed row: a server that takes longer is in trouble


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "replace")).digest()


@dataclass(frozen=True)
class Record:
    user: users.User
    verified: bool  # False while the second factor is still owed
    data: dict
    two_factor_rule: str = "off"  # the admin's setting: off, admins or all

    @property
    def must_enrol(self) -> bool:
        """Two-factor sign-in is required of this user and they have not set it up yet."""
        return not self.user.totp_enabled and twofactor.rule_requires(self.two_factor_rule, self.user.role)


class SessionStore:
    def __init__(self, engine_getter, idle: timedelta, max_age: timedelta):
        self.engine = engine_getter
        self.idle = idle
        self.max_age = max_age

    def create(self, user_id: int, *, verified: bool, data: dict, address: str | None, agent: str | None) -> str:
        """A new session's token (only ever shown to the browser); expired sessions are swept here."""
        token = secrets.token_urlsafe(32)
        with self.engine().begin() as conn:
            conn.execute(sa.text("DELETE FROM app.sessions WHERE last_seen_at < now() - :idle "
                                 "OR created_at < now() - :max"), {"idle": self.idle, "max": self.max_age})
            conn.execute(sa.text(
                "INSERT INTO app.sessions (token_hash, user_id, data, verified, address, user_agent) "
                "VALUES (:h, :u, CAST(:d AS jsonb), :v, :a, :ua)"),
                {"h": token_hash(token), "u": user_id, "d": json.dumps(data), "v": verified,
                 "a": (address or "")[:64], "ua": (agent or "")[:300]})
        return token

    def load(self, token: str) -> Record | None:
        """The live session for this token, or None (unknown, expired, ended, or its user disabled)."""
        if not token or len(token) > 100:
            return None
        with deadline(LOOKUP_SECONDS), self.engine().connect() as conn:
            row = conn.execute(sa.text(f"""
                SELECT {users.COLUMNS}, s.verified, s.data,
                       (SELECT value FROM app.settings WHERE key = 'require_two_factor'),
                       s.last_seen_at < now() - :touch
                FROM app.sessions s JOIN app.users u ON u.user_id = s.user_id
                WHERE s.token_hash = :h AND s.last_seen_at > now() - :idle AND s.created_at > now() - :max
                  AND u.active"""),
                {"h": token_hash(token), "idle": self.idle, "max": self.max_age, "touch": TOUCH_EVERY}).first()
            if row is not None and row[10]:  # most requests only read; one in TOUCH_EVERY writes
                conn.execute(sa.text("UPDATE app.sessions SET last_seen_at = now() WHERE token_hash = :h"),
                             {"h": token_hash(token)})
                conn.commit()
        if row is None:
            return None
        return Record(users.from_row(row), row[7], row[8] or {}, row[9] or "off")

    def save(self, token: str, data: dict, *, verified: bool | None = None) -> None:
        with self.engine().begin() as conn:
            conn.execute(sa.text("UPDATE app.sessions SET data = CAST(:d AS jsonb), "
                                 "verified = coalesce(:v, verified) WHERE token_hash = :h"),
                         {"h": token_hash(token), "d": json.dumps(data), "v": verified})

    def delete(self, token: str) -> None:
        with self.engine().begin() as conn:
            conn.execute(sa.text("DELETE FROM app.sessions WHERE token_hash = :h"), {"h": token_hash(token)})
