"""Two-factor sign-in: TOTP secrets (RFC 6238, as authenticator apps use), one-time recovery
codes stored as hashes, and the admin's setting that requires it for admins or for everyone.

A code is accepted once: the time step it belongs to is remembered, so a code seen over a
shoulder or replayed from a log cannot be used again. Recovery codes carry 50 random bits each,
so a plain SHA-256 is a sufficient hash for them (a slow hash buys nothing at that entropy).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

import pyotp
import sqlalchemy as sa

from data import audit
from data.users import UserError

REQUIRE_KEY = "require_two_factor"
REQUIRE_CHOICES = ("off", "admins", "all")
RECOVERY_CODES = 10
ISSUER = "Olist Analytics"
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: codes are typed from paper


def requirement(conn) -> str:
    value = conn.execute(sa.text("SELECT value FROM app.settings WHERE key = :k"), {"k": REQUIRE_KEY}).scalar()
    return value if value in REQUIRE_CHOICES else "off"


def set_requirement(engine, value: str, *, actor: str | None = None, address: str | None = None) -> None:
    if value not in REQUIRE_CHOICES:
        raise ValueError(f"two-factor requirement must be one of {', '.join(REQUIRE_CHOICES)}")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO app.settings (key, value) VALUES (:k, :v) "
                             "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"), {"k": REQUIRE_KEY, "v": value})
        audit.record(conn, "two_factor_required", actor=actor, address=address, detail={"for": value})


def rule_requires(rule: str, role: str) -> bool:
    """Whether the admin's rule (off, admins, all) requires a second factor of this role."""
    return rule == "all" or (rule == "admins" and role == "admin")


def required_for(conn, role: str) -> bool:
    return rule_requires(requirement(conn), role)


def codes_left(conn, user_id: int) -> int:
    """How many of the user's recovery codes are still unused."""
    return conn.execute(sa.text("SELECT count(*) FROM app.recovery_codes WHERE user_id = :id AND used_at IS NULL"),
                        {"id": user_id}).scalar_one()


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def _step_matching(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (of the current one and its neighbours) whose code this is, else None."""
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    for offset in (0, -1, 1):
        moment = now + offset * totp.interval
        if hmac.compare_digest(totp.at(moment), code):
            return int(moment // totp.interval)
    return None


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(re.sub(r"[\s-]", "", code.lower()).encode()).hexdigest()


def _new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def enable(engine, user_id: int, secret: str, code: str, *, actor: str | None = None,
           address: str | None = None) -> list[str] | None:
    """Turn two-factor sign-in on once the user proves their app shows `code`; return the recovery
    codes (shown once), or None when the code is wrong. The user's sessions end (the caller starts
    a new one for the browser that enrolled)."""
    step = _step_matching(secret, _digits(code))
    if step is None:
        return None
    codes = _new_recovery_codes()
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE app.users SET totp_secret = :s, totp_enabled = true, totp_last_step = :step "
                             "WHERE user_id = :id"), {"s": secret, "step": step, "id": user_id})
        conn.execute(sa.text("DELETE FROM app.recovery_codes WHERE user_id = :id"), {"id": user_id})
        conn.execute(sa.text("INSERT INTO app.recovery_codes (user_id, code_hash) VALUES (:id, :h)"),
                     [{"id": user_id, "h": _recovery_hash(c)} for c in codes])
        # Sessions opened with the password alone end; the enrolling browser gets a new one.
        ended = conn.execute(sa.text("DELETE FROM app.sessions WHERE user_id = :id"), {"id": user_id}).rowcount
        audit.record(conn, "two_factor_enrolled", actor=actor, target=actor, address=address,
                     detail={"sessions_ended": ended})
    return codes


def _digits(code: str) -> str:
    return re.sub(r"\s", "", code or "")


def verify(engine, user_id: int, code: str, *, actor: str | None = None, address: str | None = None) -> bool:
    """Whether `code` is the user's current TOTP code (not used before) or one of their unused
    recovery codes (which it then uses up)."""
    code = _digits(code)
    if not code or len(code) > 20:
        return False
    with engine.begin() as conn:
        secret = conn.execute(sa.text("SELECT totp_secret FROM app.users WHERE user_id = :id AND totp_enabled"),
                              {"id": user_id}).scalar()
        if secret is None:
            return False
        if re.fullmatch(r"\d{6}", code):
            step = _step_matching(secret, code)
            if step is None:
                return False
            return conn.execute(sa.text("UPDATE app.users SET totp_last_step = :step WHERE user_id = :id "
                                        "AND (totp_last_step IS NULL OR totp_last_step < :step)"),
                                {"step": step, "id": user_id}).rowcount == 1
        used = conn.execute(sa.text("UPDATE app.recovery_codes SET used_at = now() WHERE user_id = :id "
                                    "AND code_hash = :h AND used_at IS NULL"),
                            {"id": user_id, "h": _recovery_hash(code)}).rowcount
        if used:
            audit.record(conn, "recovery_code_used", actor=actor, target=actor, address=address,
                         detail={"codes_left": codes_left(conn, user_id)})
        return bool(used)


def reset(engine, username: str, *, actor: str | None = None, address: str | None = None) -> None:
    """Turn a user's second factor off (a lost phone): they enrol again at their next sign-in if it
    is required. Their sessions end."""
    with engine.begin() as conn:
        row = conn.execute(sa.text("UPDATE app.users SET totp_secret = NULL, totp_enabled = false, "
                                   "totp_last_step = NULL WHERE lower(username) = lower(:u) "
                                   "RETURNING user_id, username"), {"u": username.strip()}).first()
        if row is None:
            raise UserError(f"no user named {username!r}")
        conn.execute(sa.text("DELETE FROM app.recovery_codes WHERE user_id = :id"), {"id": row[0]})
        ended = conn.execute(sa.text("DELETE FROM app.sessions WHERE user_id = :id"), {"id": row[0]}).rowcount
        audit.record(conn, "two_factor_reset", actor=actor, target=row[1], address=address,
                     detail={"sessions_ended": ended})
