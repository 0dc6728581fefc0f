"""Sessions verified lately, remembered so that every worker of this host can trust them during an outage.

A request during a database outage cannot look its session up. Trusting only the sessions the
same process had verified made a signed-in user's requests fail at random ("login required")
whenever they reached another gunicorn worker, and the outage banner showed or not by luck. So a
verified session is also written, at most once a minute, to a small file in the instance folder
(named by the token's hash, readable by the app's user only), which any worker reads only while
the database is unreachable. A session found ended is forgotten at once; files older than the grace
period are worth nothing and are swept.
"""
from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from data.scope import Scope
from data.sessions import Record
from data.users import User

REWRITE_AFTER = 60  # seconds: a session in use is written again once a minute, not on every request


class TrustedSessions:
    def __init__(self, folder: Path | None, grace: float):
        self.folder = Path(folder) if folder else None
        self.grace = grace
        self._seen: dict[str, tuple[float, Record]] = {}  # token hash -> (when verified here, record)
        self._written: dict[str, float] = {}  # token hash -> when this process last wrote its file
        self._swept = time.monotonic()

    def remember(self, key: str, record: Record) -> None:
        """`record` was just verified against the database."""
        now = time.monotonic()
        if len(self._seen) > 10_000:
            self._seen.clear()
            self._written.clear()
        self._seen[key] = (now, record)
        if self.folder is None or now - self._written.get(key, -REWRITE_AFTER) < REWRITE_AFTER:
            return
        self._written[key] = now
        with contextlib.suppress(OSError):  # a read-only instance folder: trust stays per process
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            partial = self.folder / f".{key}.{os.getpid()}"
            with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
                json.dump(_as_json(record), out)
            os.replace(partial, self.folder / key)
        if now - self._swept > self.grace:
            self._swept = now
            self.sweep()

    def forget(self, key: str) -> None:
        """The session has ended (or its user was disabled): trust it nowhere any more."""
        self._seen.pop(key, None)
        self._written.pop(key, None)
        if self.folder is not None:
            with contextlib.suppress(OSError):
                (self.folder / key).unlink()

    def recall(self, key: str) -> Record | None:
        """The session as last verified by any worker within the grace period, or None."""
        seen = self._seen.get(key)
        if seen and time.monotonic() - seen[0] < self.grace:
            return seen[1]
        if self.folder is None or not key.isalnum():
            return None
        path = self.folder / key
        try:
            if time.time() - path.stat().st_mtime >= self.grace:
                return None
            return _from_json(json.loads(path.read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def sweep(self) -> None:
        """Delete the files of sessions nobody has used within the grace period."""
        if self.folder is None:
            return
        with contextlib.suppress(OSError):
            for path in self.folder.iterdir():
                with contextlib.suppress(OSError):
                    if time.time() - path.stat().st_mtime >= self.grace:
                        path.unlink()


def _as_json(record: Record) -> dict:
    u = record.user
    return {"user": [u.user_id, u.username, u.role, u.active, list(u.scope.sellers), list(u.scope.states),
                     u.totp_enabled], "verified": record.verified, "data": record.data,
            "two_factor_rule": record.two_factor_rule}


def _from_json(raw: dict) -> Record:
    user_id, username, role, active, sellers, states, totp = raw["user"]
    user = User(int(user_id), str(username), str(role), bool(active), Scope(tuple(sellers), tuple(states)), bool(totp))
    return Record(user, bool(raw["verified"]), dict(raw["data"]), str(raw["two_factor_rule"]))
