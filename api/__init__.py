"""The HTTP API: JSON under /api/v1 (DESIGN.md "HTTP API"), for a signed-in session.

`GET /api/v1/catalogue` lists what can be asked; `POST /api/v1/query` answers a composed question
through the semantic layer (`data.semantic.answer`), with the pages' cache and the user's data
scope, which the planner adds to every query as a filter the caller cannot remove. Every error is
`{"error": {"code", "message"}}` with a 4xx status and a one-line message naming what is wrong.
"""
from __future__ import annotations

import re
import time
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from data.semantic.answer import answer, check_values
from data.semantic.catalogue import CATALOGUE
from data.semantic.model import Query
from data.semantic.planner import UnknownName

FIELDS = {"metrics", "by", "grain", "filters", "order_by", "limit"}
DIGITS = {"money": 2, "pct": 4, "score": 3, "days": 2}


class BadRequest(ValueError):
    """The request cannot be answered as sent (400), with the one line that says why."""


def error(code: str, message: str, status: int):
    return jsonify(error={"code": code, "message": message}), status


def _names(body: dict, key: str) -> tuple[str, ...]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"{key} must be a list of names")
    return tuple(value)


def _day(raw, name: str, default) -> date:
    """The date `raw` names; when it is omitted, `default()` (read only then)."""
    if raw is None:
        return default() or date.today()
    try:
        if isinstance(raw, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise BadRequest(f"filters.{name} must be a date as YYYY-MM-DD, not {str(raw)[:40]!r}")


def parse(body, bounds) -> Query:
    """The Query a request body asks (omitted dates: all history, from `bounds()`, called only then)."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object with at least \"metrics\"")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise BadRequest(f"unknown field {unknown[0]!r} (fields: {', '.join(sorted(FIELDS))})")
    filters = body.get("filters", {})
    if not isinstance(filters, dict):
        raise BadRequest("filters must be an object of dimension keys to lists of values")
    grain = body.get("grain", "day")
    if not isinstance(grain, str):
        raise BadRequest("grain must be one of " + ", ".join(CATALOGUE.dimensions["date"].grains))
    limit = body.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
        raise BadRequest(f"limit must be a positive whole number, not {str(limit)[:20]!r}")
    values = {}
    for key, v in filters.items():
        if key in ("start", "end"):
            continue
        values[key] = v if isinstance(v, list) else [v]
        if not all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in values[key]):
            raise BadRequest(f"filters.{key} must be a list of strings or whole numbers")
    return Query(_names(body, "metrics"), _day(filters.get("start"), "start", lambda: bounds()["first"]),
                 _day(filters.get("end"), "end", lambda: bounds()["last"]), _names(body, "by"), grain, values,
                 _names(body, "order_by"), limit)


def _json_value(v, fmt: str | None):
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return round(float(v), DIGITS.get(fmt, 4))
    return v


def blueprint() -> Blueprint:
    bp = Blueprint("api", __name__, url_prefix="/api/v1")

    @bp.errorhandler(BadRequest)
    @bp.errorhandler(UnknownName)
    def bad_request(exc):
        return error("bad_request", str(exc), 400)

    @bp.get("/catalogue")
    def catalogue():
        """The metrics and dimensions a query may name, with the glossary's definitions."""
        return jsonify(
            metrics=[{"key": m.key, "label": m.label, "definition": m.definition, "format": m.fmt}
                     for m in CATALOGUE.metrics.values()],
            dimensions=[{"key": d.key, "label": d.label, **({"grains": list(d.grains)} if d.grains else {})}
                        for d in CATALOGUE.dimensions.values()])

    @bp.post("/query")
    def query():
        began = time.perf_counter()
        if not request.is_json:
            raise BadRequest("send the query as JSON (Content-Type: application/json)")
        warehouse = current_app.extensions["warehouse"]()
        q = CATALOGUE.prepare(parse(request.get_json(silent=True), warehouse.bounds))
        checked = {k: warehouse.domain(k) for k in q.filters}
        check_values(q, checked)
        scope = current_user.scope
        timeout = current_app.extensions["settings"].query_timeout_s

        def compute():
            with warehouse.engine().connect() as conn, conn.begin():
                conn.execute(sa.text("SELECT set_config('statement_timeout', :ms, true)"),
                             {"ms": str(timeout * 1000)})
                return answer(conn, q, scope)
        try:
            found = warehouse.cache.answer("semantic.query", (q, scope), compute)
        except sa.exc.OperationalError as exc:
            if "statement timeout" not in str(exc.orig):
                raise
            return error("timeout", f"the question took more than {timeout} s and was stopped: "
                                    "narrow the dates or add filters", 400)
        formats = [None] * len(q.by) + [CATALOGUE.metrics[m].fmt for m in q.metrics]
        return jsonify(columns=list(found.columns),
                       rows=[[_json_value(v, f) for v, f in zip(row, formats)] for row in found.rows],
                       data_version=warehouse.cache.version(), answered_from=found.answered_from,
                       explain=found.explain, ms=round((time.perf_counter() - began) * 1000, 1))

    @bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def elsewhere(rest: str):
        """Under /api/ nothing falls through to the pages' catch-all route: a known path asked with
        another method is a 405, anything else a 404."""
        allowed = {"query": "POST", "catalogue": "GET"}.get(rest.rstrip("/"))
        if allowed:
            return error("method_not_allowed", f"use {allowed} for /api/v1/{rest.rstrip('/')}", 405)
        return error("not_found", f"no such endpoint /api/v1/{rest[:80]} (there are /api/v1/catalogue and "
                                  "/api/v1/query)", 404)

    return bp


def init_app(server) -> None:
    server.register_blueprint(blueprint())
