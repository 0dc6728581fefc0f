"""What the Admin page reads: ETL runs with their per-table counts, the quarantine, the users
(the audit log is read by `data.audit`).

These answers change with every load and are cheap, so they are read fresh, not cached. Values
from the page (run, table, reason) only ever reach SQL as bound parameters.
"""
from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from data.scope import Scope

QUARANTINE_LIMIT = 1000  # rows sent to the browser for one selection; the count says how many matched


def runs(conn, limit: int = 200) -> list[dict]:
    """The latest runs, newest first: status, duration, what each table gained, what was quarantined."""
    rows = conn.execute(sa.text("""
        SELECT r.run_id, r.started_at, r.finished_at, r.status, r.dry_run, r.changed, r.source, r.files,
               r.tables, r.warnings, r.error,
               extract(epoch FROM coalesce(r.finished_at, now()) - r.started_at)::float AS seconds,
               (SELECT count(*) FROM etl.quarantine q WHERE q.run_id = r.run_id) AS quarantined
        FROM etl.runs r ORDER BY r.run_id DESC LIMIT :limit"""), {"limit": limit}).mappings()
    out = []
    for r in rows:
        tables = r["tables"] or {}
        out.append({
            "run_id": r["run_id"], "started_at": r["started_at"].strftime("%Y-%m-%d %H:%M:%S"),
            "status": r["status"] + (" (dry run)" if r["dry_run"] else ""), "seconds": round(r["seconds"], 1),
            "changed": "yes" if r["changed"] else "no", "files": len(r["files"] or []),
            "read": sum(t.get("read", 0) for t in tables.values()),
            "inserted": sum(t.get("inserted", 0) for t in tables.values()),
            "updated": sum(t.get("updated", 0) for t in tables.values()),
            "quarantined": r["quarantined"], "source": r["source"] or "",
            "warnings": len(r["warnings"] or []), "error": r["error"] or "",
            "tables": tables,
        })
    return out


def run_tables(conn, run_id: int) -> list[dict]:
    """One run's counts per table (read, inserted, updated, unchanged, quarantined, seconds)."""
    raw = conn.execute(sa.text("SELECT tables FROM etl.runs WHERE run_id = :id"), {"id": run_id}).scalar()
    return [{"table": name, **{k: v for k, v in counts.items() if k != "loaded"}}
            for name, counts in sorted((raw or {}).items())]


def quarantine_facets(conn, run_id: int | None) -> dict:
    """The tables and reasons present in the quarantine (of one run, or of all)."""
    where, params = ("WHERE run_id = :run", {"run": run_id}) if run_id is not None else ("", {})
    rows = conn.execute(sa.text(f"SELECT table_name, reason, count(*) FROM etl.quarantine {where} "
                                "GROUP BY 1, 2 ORDER BY 3 DESC"), params).all()
    return {"tables": sorted({r[0] for r in rows}), "reasons": [{"reason": r[1], "table": r[0], "rows": r[2]}
                                                              for r in rows]}


def quarantine_summary(conn, run_id: int | None, limit: int = 200) -> list[dict]:
    """How many rows each (reason, table, file) holds, with the first one's line and record as an
    example: what ops read first (reasons are a fixed vocabulary, so this stays short)."""
    where, params = ("WHERE run_id = :run", {"run": run_id}) if run_id is not None else ("", {})
    rows = conn.execute(sa.text(f"""
        WITH g AS (SELECT reason, table_name, file_name, count(*) AS rows, min(quarantine_id) AS first_id
                   FROM etl.quarantine {where} GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1 LIMIT :limit)
        SELECT g.reason, g.table_name, g.file_name, g.rows, q.line_number, q.raw
        FROM g JOIN etl.quarantine q ON q.quarantine_id = g.first_id ORDER BY g.rows DESC, g.reason"""),
        {**params, "limit": limit}).mappings()
    return [{"reason": r["reason"], "table_name": r["table_name"], "file_name": r["file_name"], "rows": r["rows"],
             "example_line": r["line_number"], "example": json.dumps(r["raw"], ensure_ascii=False)} for r in rows]


def quarantine(conn, run_id: int | None, table: str | None, reason: str | None,
               limit: int = QUARANTINE_LIMIT) -> tuple[int, list[dict]]:
    """Quarantined rows matching the selection (how many in all, and the first `limit`)."""
    q = sa.table("quarantine", *(sa.column(c) for c in (
        "quarantine_id", "run_id", "file_name", "line_number", "table_name", "reason", "raw")), schema="etl")
    where = []
    if run_id is not None:
        where.append(q.c.run_id == run_id)
    if table:
        where.append(q.c.table_name == table)
    if reason:
        where.append(q.c.reason == reason)
    total = conn.execute(sa.select(sa.func.count()).select_from(q).where(*where)).scalar_one()
    rows = conn.execute(sa.select(q).where(*where).order_by(q.c.run_id.desc(), q.c.quarantine_id)
                        .limit(limit)).mappings()
    return total, [{**r, "raw": json.dumps(r["raw"], ensure_ascii=False)} for r in rows]


def user_list(conn, idle: timedelta, max_age: timedelta) -> list[dict]:
    """Every user with role, state, second factor, scope, live sessions, when they were made and last
    signed in (never a hash or a secret)."""
    rows = conn.execute(sa.text("""
        SELECT u.username, u.role, u.active, u.created_at, u.last_login_at, u.totp_enabled,
               u.scope_sellers::text[] AS sellers, u.scope_states AS states,
               (SELECT count(*) FROM app.sessions s WHERE s.user_id = u.user_id AND s.verified
                AND s.last_seen_at > now() - :idle AND s.created_at > now() - :max) AS sessions
        FROM app.users u ORDER BY lower(u.username)"""), {"idle": idle, "max": max_age}).mappings()
    return [{"username": r["username"], "role": r["role"], "active": "yes" if r["active"] else "no",
             "two_factor": "on" if r["totp_enabled"] else "off",
             "scope": Scope(tuple(r["sellers"]), tuple(r["states"])).describe() or "everything",
             "sellers": list(r["sellers"]), "states": list(r["states"]), "sessions": r["sessions"],
             "created_at": r["created_at"].strftime("%Y-%m-%d %H:%M"),
             "last_login_at": r["last_login_at"].strftime("%Y-%m-%d %H:%M") if r["last_login_at"] else "never"}
            for r in rows]
