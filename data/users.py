"""Read and write the app's users (schema `app`): names, roles and scrypt password hashes.

Plain SQL over a psycopg-compatible SQLAlchemy engine, no web framework: the Flask CLI, the login
view and the tests all use these functions.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

ROLES = ("admin", "analyst", "viewer")
MIN_PASSWORD = 8
# A hash to check against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password", method="scrypt")


class UserError(ValueError):
    """A user operation cannot be done; the message says why."""


@dataclass(frozen=True)
class User:
    user_id: int
    username: str
    role: str
    active: bool

    # The interface flask-login expects, without importing it here.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.user_id)


_COLUMNS = "user_id, username, role, active"


def get(engine, user_id: int) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(sa.text(f"SELECT {_COLUMNS} FROM app.users WHERE user_id = :id"),
                           {"id": user_id}).first()
    return User(*row) if row else None


def list_users(engine) -> list[User]:
    with engine.connect() as conn:
        return [User(*r) for r in conn.execute(sa.text(f"SELECT {_COLUMNS} FROM app.users ORDER BY username"))]


def count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM app.users")).scalar_one()


def _check(password: str, role: str | None = None) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    if role is not None and role not in ROLES:
        raise UserError(f"the role must be one of {', '.join(ROLES)}")


def create(engine, username: str, password: str, role: str) -> User:
    username = username.strip()
    if not username:
        raise UserError("the user name must not be empty")
    _check(password, role)
    try:
        with engine.begin() as conn:
            row = conn.execute(sa.text(
                f"INSERT INTO app.users (username, password_hash, role) VALUES (:u, :h, :r) RETURNING {_COLUMNS}"),
                {"u": username, "h": generate_password_hash(password, method="scrypt"), "r": role}).first()
    except sa.exc.IntegrityError:
        raise UserError(f"a user named {username!r} exists already") from None
    return User(*row)


def set_password(engine, username: str, password: str) -> None:
    _check(password)
    with engine.begin() as conn:
        done = conn.execute(sa.text("UPDATE app.users SET password_hash = :h WHERE lower(username) = lower(:u)"),
                            {"u": username, "h": generate_password_hash(password, method="scrypt")}).rowcount
    if not done:
        raise UserError(f"no user named {username!r}")


def set_active(engine, username: str, active: bool) -> None:
    with engine.begin() as conn:
        done = conn.execute(sa.text("UPDATE app.users SET active = :a WHERE lower(username) = lower(:u)"),
                            {"u": username, "a": active}).rowcount
    if not done:
        raise UserError(f"no user named {username!r}")


def authenticate(engine, username: str, password: str) -> User | None:
    """Return the active user with this name and password, else None (without saying which was wrong)."""
    with engine.begin() as conn:
        row = conn.execute(sa.text(f"SELECT {_COLUMNS}, password_hash FROM app.users WHERE lower(username) = lower(:u)"),
                           {"u": username.strip()}).first()
        if row is None:
            check_password_hash(_DUMMY_HASH, password)
            return None
        if not check_password_hash(row[4], password) or not row[3]:
            return None
        conn.execute(sa.text("UPDATE app.users SET last_login_at = now() WHERE user_id = :id"), {"id": row[0]})
    return User(*row[:4])
