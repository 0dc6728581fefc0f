"""The audit log (`app.audit_log`): who signed in, exported, changed a user or loaded data, and when.

Every change to users or scopes writes its entry in the same transaction as the change, so the log
never says something happened that did not (or the reverse). The table is append-only: a trigger
refuses UPDATE, DELETE and TRUNCATE, and the app offers no way to change it.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

ACTIONS = ("sign_in", "sign_in_failed", "sign_out", "session_ended", "export", "user_created", "role_changed",
           "password_changed", "user_disabled", "user_enabled", "scope_changed", "two_factor_enrolled",
           "two_factor_reset", "two_factor_required", "recovery_code_used", "load", "job_refused", "question_saved",
           "question_changed", "question_deleted", "dashboard_saved", "dashboard_changed", "dashboard_deleted")
LIMIT = 1000  # entries sent to the browser for one selection; an export takes every match

_INSERT = ("INSERT INTO app.audit_log (actor, action, target, detail, address) "
           "VALUES (%(actor)s, %(action)s, %(target)s, %(detail)s::jsonb, %(address)s)")


def record(conn, action: str, *, actor: str | None = None, target: str | None = None,
           detail: dict | None = None, address: str | None = None) -> None:
    """Append one entry inside the caller's transaction, through a SQLAlchemy connection (the app)
    or a plain psycopg one (the loader)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    execute = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    execute(_INSERT, {"actor": actor, "action": action, "target": target,
                      "detail": json.dumps(detail or {}, default=str), "address": address})


def record_now(engine, action: str, **kwargs) -> None:
    """Append one entry in a transaction of its own."""
    with engine.begin() as conn:
        record(conn, action, **kwargs)


def entries(conn, *, actions=(), actor: str | None = None, start: date | None = None, end: date | None = None,
            text: str | None = None, limit: int = LIMIT) -> tuple[int, list[dict]]:
    """Entries matching the selection, newest first: how many match, and the first `limit`."""
    log = sa.table("audit_log", *(sa.column(c) for c in ("event_id", "at", "actor", "action", "target", "detail",
                                                          "address")), schema="app")
    where = []
    if actions:
        where.append(log.c.action.in_(list(actions)))
    if actor:
        where.append(sa.func.lower(log.c.actor) == actor.strip().lower())
    if start:
        where.append(log.c.at >= datetime.combine(start, datetime.min.time(), timezone.utc))
    if end:
        where.append(log.c.at < datetime.combine(end + timedelta(days=1), datetime.min.time(), timezone.utc))
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(sa.or_(log.c.target.ilike(pattern), sa.cast(log.c.detail, sa.Text).ilike(pattern)))
    total = conn.execute(sa.select(sa.func.count()).select_from(log).where(*where)).scalar_one()
    rows = conn.execute(sa.select(log).where(*where).order_by(log.c.event_id.desc()).limit(limit)).mappings()
    return total, [{"event_id": r["event_id"], "at": r["at"].astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"), "actor": r["actor"] or "",
                    "action": r["action"], "target": r["target"] or "",
                    "detail": json.dumps(r["detail"], ensure_ascii=False, sort_keys=True), "address": r["address"] or ""}
                   for r in rows]
