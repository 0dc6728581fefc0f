"""Read and write the app's users (schema `app`): names, roles, scrypt password hashes, data scopes.

Plain SQL over a psycopg-compatible SQLAlchemy engine, no web framework: the Flask CLI, the login
view, the Admin page and the tests all use these functions. A change that takes access away
(disabling, a new password, a new role or scope, a second factor reset) ends the user's sessions
in the same transaction, and every change is written to the audit log in that transaction too.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from data import audit
from data.filters import STATES
from data.scope import EVERYTHING, Scope

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
    scope: Scope = field(default=EVERYTHING)
    totp_enabled: bool = False

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


COLUMNS = ("u.user_id, u.username, u.role, u.active, u.scope_sellers::text[], u.scope_states, "
           "u.totp_enabled")


def from_row(row) -> User:
    """A User from the first seven values of a row selected with COLUMNS."""
    return User(row[0], row[1], row[2], row[3], Scope(tuple(row[4] or ()), tuple(row[5] or ())), row[6])


def get(engine, user_id: int) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(sa.text(f"SELECT {COLUMNS} FROM app.users u WHERE u.user_id = :id"), {"id": user_id}).first()
    return from_row(row) if row else None


def find(engine, username: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(sa.text(f"SELECT {COLUMNS} FROM app.users u WHERE lower(u.username) = lower(:u)"),
                           {"u": username.strip()}).first()
    return from_row(row) if row else None


def list_users(engine) -> list[User]:
    with engine.connect() as conn:
        return [from_row(r) for r in conn.execute(sa.text(f"SELECT {COLUMNS} FROM app.users u ORDER BY lower(username)"))]


def count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM app.users")).scalar_one()


def _check(password: str, role: str | None = None) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    if role is not None and role not in ROLES:
        raise UserError(f"the role must be one of {', '.join(ROLES)}")


def parse_scope(sellers=(), states=()) -> Scope:
    """A Scope from typed values: seller ids (UUIDs) and two-letter state codes; a bad one is a UserError."""
    ids = []
    for s in sellers:
        for part in filter(None, (p.strip() for p in str(s).split(","))):
            try:
                ids.append(str(uuid.UUID(part)))
            except ValueError:
                raise UserError(f"{part[:40]!r} is not a seller id (a UUID like 3442f8959a84dea7ee197c632cb2df15)") \
                    from None
    codes = []
    for s in states:
        for part in filter(None, (p.strip().upper() for p in str(s).split(","))):
            if part not in STATES:
                raise UserError(f"{part[:10]!r} is not a Brazilian state code (use two letters, like SP)")
            codes.append(part)
    return Scope(tuple(dict.fromkeys(ids)), tuple(dict.fromkeys(codes)))


def _end_sessions(conn, user_id: int) -> int:
    return conn.execute(sa.text("DELETE FROM app.sessions WHERE user_id = :id"), {"id": user_id}).rowcount


def _one(conn, username: str):
    row = conn.execute(sa.text(f"SELECT {COLUMNS} FROM app.users u WHERE lower(u.username) = lower(:u) FOR UPDATE"),
                       {"u": username.strip()}).first()
    if row is None:
        raise UserError(f"no user named {username!r}")
    return from_row(row)


def create(engine, username: str, password: str, role: str, *, scope: Scope = EVERYTHING,
           actor: str | None = None, address: str | None = None) -> User:
    username = username.strip()
    if not username:
        raise UserError("the user name must not be empty")
    if len(username) > 64 or any(c in username for c in "\r\n\t\x00"):
        raise UserError("the user name must be at most 64 characters on one line")
    _check(password, role)
    try:
        with engine.begin() as conn:
            row = conn.execute(sa.text(
                "INSERT INTO app.users AS u (username, password_hash, role, scope_sellers, scope_states) "
                f"VALUES (:u, :h, :r, CAST(:sellers AS uuid[]), :states) RETURNING {COLUMNS}"),
                {"u": username, "h": generate_password_hash(password, method="scrypt"), "r": role,
                 "sellers": list(scope.sellers), "states": list(scope.states)}).first()
            audit.record(conn, "user_created", actor=actor, target=username, address=address,
                         detail={"role": role, "sellers": list(scope.sellers), "states": list(scope.states)})
    except sa.exc.IntegrityError:
        raise UserError(f"a user named {username!r} exists already") from None
    return from_row(row)


def set_password(engine, username: str, password: str, *, actor: str | None = None, address: str | None = None) -> None:
    _check(password)
    with engine.begin() as conn:
        user = _one(conn, username)
        conn.execute(sa.text("UPDATE app.users SET password_hash = :h WHERE user_id = :id"),
                     {"id": user.user_id, "h": generate_password_hash(password, method="scrypt")})
        ended = _end_sessions(conn, user.user_id)
        audit.record(conn, "password_changed", actor=actor, target=user.username, address=address,
                     detail={"sessions_ended": ended})


def set_active(engine, username: str, active: bool, *, actor: str | None = None, address: str | None = None) -> None:
    with engine.begin() as conn:
        user = _one(conn, username)
        if not active and user.role == "admin" and user.active and _other_admins(conn, user.user_id) == 0:
            raise UserError(f"{user.username} is the only active admin: make another admin first")
        conn.execute(sa.text("UPDATE app.users SET active = :a WHERE user_id = :id"),
                     {"id": user.user_id, "a": active})
        ended = 0 if active else _end_sessions(conn, user.user_id)
        audit.record(conn, "user_enabled" if active else "user_disabled", actor=actor, target=user.username,
                     address=address, detail={"sessions_ended": ended} if not active else {})


def _other_admins(conn, user_id: int) -> int:
    return conn.execute(sa.text("SELECT count(*) FROM app.users WHERE role = 'admin' AND active AND user_id <> :id"),
                        {"id": user_id}).scalar_one()


def set_role(engine, username: str, role: str, *, actor: str | None = None, address: str | None = None) -> None:
    if role not in ROLES:
        raise UserError(f"the role must be one of {', '.join(ROLES)}")
    with engine.begin() as conn:
        user = _one(conn, username)
        if user.role == role:
            return
        if user.role == "admin" and user.active and _other_admins(conn, user.user_id) == 0:
            raise UserError(f"{user.username} is the only active admin: make another admin first")
        conn.execute(sa.text("UPDATE app.users SET role = :r WHERE user_id = :id"), {"id": user.user_id, "r": role})
        ended = _end_sessions(conn, user.user_id)
        audit.record(conn, "role_changed", actor=actor, target=user.username, address=address,
                     detail={"from": user.role, "to": role, "sessions_ended": ended})


def set_scope(engine, username: str, scope: Scope, *, actor: str | None = None, address: str | None = None) -> None:
    """Limit a user to these sellers and states (an empty Scope lifts the limit); ends their sessions."""
    with engine.begin() as conn:
        user = _one(conn, username)
        if user.scope == scope:
            return
        conn.execute(sa.text("UPDATE app.users SET scope_sellers = CAST(:s AS uuid[]), scope_states = :t "
                             "WHERE user_id = :id"),
                     {"id": user.user_id, "s": list(scope.sellers), "t": list(scope.states)})
        ended = _end_sessions(conn, user.user_id)
        audit.record(conn, "scope_changed", actor=actor, target=user.username, address=address,
                     detail={"sellers": list(scope.sellers), "states": list(scope.states),
                             "before": {"sellers": list(user.scope.sellers), "states": list(user.scope.states)},
                             "sessions_ended": ended})


def record_sign_in(engine, user: User, method: str, address: str | None) -> None:
    """Note the sign-in on the user (last sign-in) and in the audit log, together."""
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE app.users SET last_login_at = now() WHERE user_id = :id"), {"id": user.user_id})
        audit.record(conn, "sign_in", actor=user.username, target=user.username, address=address,
                     detail={"method": method})


def check_password(engine, username: str, password: str) -> User | None:
    """The active user with this name and password, else None (without saying which was wrong)."""
    with engine.connect() as conn:
        row = conn.execute(sa.text(f"SELECT {COLUMNS}, u.password_hash FROM app.users u "
                                   "WHERE lower(u.username) = lower(:u)"), {"u": username.strip()}).first()
    if row is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(row[7], password) or not row[3]:
        return None
    return from_row(row)

