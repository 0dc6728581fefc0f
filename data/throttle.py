"""Slow down password guessing without letting a stranger lock a real user out (OWASP's device
cookies: https://owasp.org/www-community/Slow_Down_Online_Guessing_Attacks_with_Device_Cookies).

Failed sign-ins are counted per address, and per account split by where they come from: a browser
holding a device cookie of that account (given at a successful sign-in) has its own counter, and
every other browser shares the account's. Past a few free failures each counter makes the next
attempt wait, twice as long after each further failure, up to a cap. A stranger hammering an
account therefore slows down every browser that never signed in to it, but not the account's
owner on a browser they have used before. Counters live in PostgreSQL (`app.login_throttle`), so
every worker and host sees the same ones, whatever the format of the request body.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class Rule:
    free: int          # failures allowed before any wait
    cap_seconds: int   # the longest wait
    forget_hours: int  # a counter with no failure for this long starts again


RULES = {"address": Rule(free=20, cap_seconds=900, forget_hours=1),
         "account": Rule(free=5, cap_seconds=900, forget_hours=24),
         "device": Rule(free=5, cap_seconds=900, forget_hours=24)}


def keys(address: str | None, username: str, device: str | None) -> list[str]:
    """The counters an attempt at `username` from `address`, with or without a device cookie, uses."""
    name = username.strip().lower()[:64]
    return [f"address:{(address or '?')[:64]}", f"device:{device}" if device else f"account:{name}"]


def wait_seconds(conn, attempt_keys: list[str]) -> int:
    """Seconds before these counters allow another attempt (0: go ahead)."""
    left = conn.execute(sa.text("SELECT max(extract(epoch FROM blocked_until - now())) FROM app.login_throttle "
                                "WHERE key = ANY(:k) AND blocked_until > now()"), {"k": attempt_keys}).scalar()
    return max(1, math.ceil(left)) if left else 0


def delay(rule: Rule, failures: int) -> int:
    over = failures - rule.free
    return 0 if over <= 0 else min(rule.cap_seconds, 2 ** (over - 1))


def failed(conn, attempt_keys: list[str]) -> int:
    """Count a failure on each counter; return the wait it now imposes (seconds)."""
    longest = 0
    for key in attempt_keys:
        rule = RULES[key.split(":", 1)[0]]
        failures = conn.execute(sa.text("""
            INSERT INTO app.login_throttle AS t (key, failures, last_failure, blocked_until)
            VALUES (:k, 1, now(), now())
            ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN t.last_failure < now() - make_interval(hours => :forget) THEN 1
                                ELSE t.failures + 1 END,
                last_failure = now()
            RETURNING failures"""), {"k": key, "forget": rule.forget_hours}).scalar_one()
        wait = delay(rule, failures)
        if wait:
            conn.execute(sa.text("UPDATE app.login_throttle SET blocked_until = now() + make_interval(secs => :s) "
                                 "WHERE key = :k"), {"k": key, "s": wait})
        longest = max(longest, wait)
    return longest


def succeeded(conn, attempt_keys: list[str]) -> None:
    """A correct sign-in clears its account and device counters (not the address's)."""
    conn.execute(sa.text("DELETE FROM app.login_throttle WHERE key = ANY(:k) AND key NOT LIKE 'address:%'"),
                 {"k": attempt_keys})
