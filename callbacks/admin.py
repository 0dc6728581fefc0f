"""Admin callbacks: runs, one run's tables, the quarantine browser and its export, the users and
their changes, the two-factor rule, the audit log and its export.

Every callback checks the role itself: the Dash endpoint is shared by all pages, so hiding the
page is not enough.
"""
from __future__ import annotations

import json
from dataclasses import replace
from functools import wraps

import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask import current_app, request
from flask_login import current_user

from callbacks._context import guarded, seller_choices, warehouse
from callbacks._export import record_export
import api
from data import admin, audit, twofactor, users
from data.semantic import planner, state
from data.semantic.catalogue import CATALOGUE


def admins_only(fn):
    @wraps(fn)
    def run(*args, **kwargs):
        if not (current_user.is_authenticated and current_user.role == "admin"):
            raise PreventUpdate
        return fn(*args, **kwargs)
    return run


def _engine():
    return current_app.extensions["engine"]()


def _read(query, *args, **kwargs):
    with _engine().connect() as conn:
        return query(conn, *args, **kwargs)


@callback(Output("admin-runs", "rowData"), Output("admin-q-run", "options"), Input("url", "pathname"),
          Input("data-version", "data"))
@admins_only
@guarded
def runs(_path, _version):
    """The latest runs, again whenever the data version moves (a watcher's batch lands)."""
    found = _read(admin.runs)
    options = [{"label": f"Run {r['run_id']} ({r['quarantined']:,} rows)", "value": r["run_id"]}
               for r in found if r["quarantined"]]
    # row_id: the grid's key for a row, a string as AG Grid wants it
    return [{**{k: v for k, v in r.items() if k != "tables"}, "row_id": str(r["run_id"])} for r in found], options


@callback(Output("admin-users", "rowData"), Input("url", "pathname"), Input("admin-user-result", "children"),
          Input("admin-new-result", "children"))
@admins_only
@guarded
def user_rows(_path, _changed, _added):
    store = current_app.extensions["sessions"]
    return _read(admin.user_list, store.idle, store.max_age)


def _who() -> dict:
    return {"actor": current_user.username, "address": request.remote_addr}


def _done(text: str, ok: bool = True):
    return html.Span(text, className="text-success" if ok else "text-danger", role="status")


def _refused(exc: users.UserError):
    """A UserError's message ("the password must ...") as a sentence in red."""
    text = str(exc)
    return _done(text[:1].upper() + text[1:] + ".", ok=False)


@callback(Output("admin-user-title", "children"), Output("admin-user-role", "value"),
          Output("admin-user-sellers", "value"), Output("admin-user-sellers", "options"),
          Output("admin-user-states", "value"), Output("admin-user-active", "value"),
          *[Output(f"admin-user-{b}", "disabled") for b in ("save", "set-password", "reset-2fa")],
          Input("admin-users", "selectedRows"))
@admins_only
def user_selected(rows):
    if not rows:
        return ("Select a user above to change them.", None, [], [], [], True, True, True, True)
    u = rows[0]
    sellers = [str(s) for s in u.get("sellers") or []]
    return (f"Change {u['username']}", u["role"], sellers, [{"label": s[:8] + "…", "value": s} for s in sellers],
            list(u.get("states") or []), u["active"] == "yes", False, False, u["two_factor"] != "on")


@callback(Output("admin-user-sellers", "options", allow_duplicate=True), Input("admin-user-sellers", "search_value"),
          State("admin-user-sellers", "value"), prevent_initial_call=True)
@admins_only
@guarded
def user_seller_options(typed, chosen):
    return seller_choices(typed, chosen)


@callback(Output("admin-new-sellers", "options"), Input("admin-new-sellers", "search_value"),
          State("admin-new-sellers", "value"))
@admins_only
@guarded
def new_seller_options(typed, chosen):
    return seller_choices(typed, chosen)


@callback(Output("admin-user-result", "children"), Output("admin-user-password", "value"),
          Input("admin-user-save", "n_clicks"), Input("admin-user-set-password", "n_clicks"),
          Input("admin-user-reset-2fa", "n_clicks"),
          State("admin-users", "selectedRows"), State("admin-user-role", "value"), State("admin-user-sellers", "value"),
          State("admin-user-states", "value"), State("admin-user-active", "value"),
          State("admin-user-password", "value"), prevent_initial_call=True)
@admins_only
@guarded
def change_user(_save, _password, _reset, rows, role, sellers, states, active, password):
    """Apply the change the pressed button asks for; every one is checked and audited in data.users."""
    if not rows:
        raise PreventUpdate
    name, engine, who = rows[0]["username"], _engine(), _who()
    try:
        if ctx.triggered_id == "admin-user-save":
            scope = users.parse_scope(sellers or [], states or [])
            users.set_role(engine, name, role, **who)
            users.set_scope(engine, name, scope, **who)
            if bool(active) != (rows[0]["active"] == "yes"):
                users.set_active(engine, name, bool(active), **who)
            return _done(f"Saved {name}: {role}, sees {scope.describe() or 'everything'}"
                         f"{'' if active else ', disabled'}."), no_update
        if ctx.triggered_id == "admin-user-set-password":
            users.set_password(engine, name, password or "", **who)
            return _done(f"New password set for {name}; their sessions have ended."), ""
        twofactor.reset(engine, name, **who)
        return _done(f"Two-factor sign-in reset for {name}; their sessions have ended."), no_update
    except users.UserError as exc:
        return _refused(exc), no_update


@callback(Output("admin-new-result", "children"), Output("admin-new-password", "value"),
          Input("admin-new-add", "n_clicks"), State("admin-new-name", "value"), State("admin-new-password", "value"),
          State("admin-new-role", "value"), State("admin-new-sellers", "value"), State("admin-new-states", "value"),
          prevent_initial_call=True)
@admins_only
@guarded
def add_user(_n, name, password, role, sellers, states):
    try:
        scope = users.parse_scope(sellers or [], states or [])
        users.create(_engine(), name or "", password or "", role, scope=scope, **_who())
    except users.UserError as exc:
        return _refused(exc), no_update
    return _done(f"Added {name.strip()} ({role}, sees {scope.describe() or 'everything'})."), ""


@callback(Output("admin-2fa-rule", "value"), Output("admin-2fa-note", "children"), Input("url", "pathname"),
          Input("admin-2fa-rule", "value"))
@admins_only
@guarded
def two_factor_rule(_path, chosen):
    engine = _engine()
    if ctx.triggered_id == "admin-2fa-rule" and chosen in twofactor.REQUIRE_CHOICES:
        with engine.connect() as conn:
            current = twofactor.requirement(conn)
        if chosen != current:
            twofactor.set_requirement(engine, chosen, **_who())
    with engine.connect() as conn:
        rule = twofactor.requirement(conn)
    note = {"off": "Users may turn it on for themselves (user menu, Two-factor sign-in).",
            "admins": "Admins without a second factor set it up at their next request.",
            "all": "Everyone without a second factor sets it up at their next request."}[rule]
    return rule, note


def _audit_selection(actions, actor, text, start, end):
    from datetime import date

    return {"actions": [a for a in (actions or []) if a in audit.ACTIONS], "actor": (actor or "").strip() or None,
            "text": (text or "").strip()[:100] or None,
            "start": date.fromisoformat(start[:10]) if start else None,
            "end": date.fromisoformat(end[:10]) if end else None}


AUDIT_INPUTS = ("admin-audit-action", "value"), ("admin-audit-actor", "value"), ("admin-audit-text", "value"), \
    ("admin-audit-dates", "start_date"), ("admin-audit-dates", "end_date")


@callback(Output("admin-audit", "rowData"), Output("admin-audit-count", "children"), Input("url", "pathname"),
          Input("admin-user-result", "children"), *[Input(i, p) for i, p in AUDIT_INPUTS])
@admins_only
@guarded
def audit_rows(_path, _changed, actions, actor, text, start, end):
    total, rows = _read(audit.entries, **_audit_selection(actions, actor, text, start, end))
    if not total:
        return [], "No entry matches."
    shown = f"the latest {len(rows):,} of " if len(rows) < total else ""
    return rows, f"Showing {shown}{total:,} entr{'ies' if total != 1 else 'y'}, newest first (times in UTC)."


@callback(Output("admin-audit-download", "data"), Input("admin-audit-export", "n_clicks"),
          *[State(i, p) for i, p in AUDIT_INPUTS], prevent_initial_call=True)
@admins_only
@guarded
def audit_export(_n, actions, actor, text, start, end):
    """Every matching entry (not only those shown), as CSV; the export is itself audited."""
    selection = _audit_selection(actions, actor, text, start, end)
    _total, rows = _read(audit.entries, **selection, limit=1_000_000)
    record_export("audit-log", "csv", len(rows))
    return dcc.send_data_frame(pd.DataFrame(rows).to_csv, "audit-log.csv", index=False)


@callback(Output("admin-run-tables", "rowData"), Output("admin-run-title", "children"),
          Output("admin-q-run", "value"), Input("admin-runs", "selectedRows"))
@admins_only
@guarded
def run_selected(rows):
    if not rows:
        return [], "Select a run to see its counts per table.", None
    run_id = rows[0]["run_id"]
    return _read(admin.run_tables, run_id), f"Run {run_id}: counts per table", run_id


@callback(Output("admin-q-table", "options"), Output("admin-q-reason", "options"),
          Input("admin-q-run", "value"), Input("admin-q-table", "value"))
@admins_only
@guarded
def quarantine_choices(run_id, table):
    facets = _read(admin.quarantine_facets, run_id)
    reasons = [r for r in facets["reasons"] if not table or r["table"] == table]
    return facets["tables"], [{"label": f"{r['reason']} ({r['table']}, {r['rows']:,})", "value": r["reason"]}
                              for r in reasons]


@callback(Output("admin-q-summary", "rowData"), Input("admin-q-run", "value"))
@admins_only
@guarded
def quarantine_summary(run_id):
    return _read(admin.quarantine_summary, run_id)


@callback(Output("admin-q-table", "value"), Output("admin-q-reason", "value"),
          Input("admin-q-summary", "selectedRows"), prevent_initial_call=True)
@admins_only
def pick_reason(selected):
    """A click on a summary row lists that reason's rows of that table."""
    row = selected[0] if isinstance(selected, list) and selected and isinstance(selected[0], dict) else None
    if row is None:
        return no_update, no_update
    return str(row.get("table_name") or ""), str(row.get("reason") or "")


@callback(Output("admin-quarantine", "rowData"), Output("admin-q-count", "children"),
          Input("admin-q-run", "value"), Input("admin-q-table", "value"), Input("admin-q-reason", "value"))
@admins_only
@guarded
def quarantine_rows(run_id, table, reason):
    total, rows = _read(admin.quarantine, run_id, table, reason)
    if not total:
        return [], "Nothing quarantined for this selection."
    shown = f"the first {len(rows):,} of " if len(rows) < total else ""
    rest = "; export for all of them" if shown else ""
    return rows, f"Showing {shown}{total:,} quarantined row{'s' if total != 1 else ''}{rest}."


@callback(Output("admin-q-download", "data"), Input("admin-q-export", "n_clicks"),
          State("admin-q-run", "value"), State("admin-q-table", "value"), State("admin-q-reason", "value"),
          prevent_initial_call=True)
@admins_only
@guarded
def quarantine_export(_clicks, run_id, table, reason):
    """Every matching row (not only those shown), as CSV."""
    _total, rows = _read(admin.quarantine, run_id, table, reason, 1_000_000)
    name = "quarantine" + (f"-run-{run_id}" if run_id is not None else "")
    record_export(name, "csv", len(rows))
    return dcc.send_data_frame(pd.DataFrame(rows).to_csv, f"{name}.csv", index=False)


@callback(Output("admin-rollups", "rowData"), Input("url", "pathname"))
@admins_only
@guarded
def rollups(_path):
    rows = _read(lambda conn: state.status(CATALOGUE, state.recorded(conn)))
    return [{**r, "dimensions": ", ".join(r["dimensions"]), "built_at": str(r["built_at"] or "")[:19],
             "seconds": round(r["seconds"], 1) if r["seconds"] is not None else None} for r in rows]


@callback(Output("admin-explain-result", "children"), Input("admin-explain-run", "n_clicks"),
          State("admin-explain-query", "value"), prevent_initial_call=True)
@admins_only
@guarded
def explain_question(_n, text):
    """Which table would answer the question, and why (the planner's own words); nothing is run."""
    try:
        body = json.loads(text or "")
    except ValueError as exc:
        return html.Span(f"Not JSON: {exc}", className="text-danger")
    try:
        q = CATALOGUE.prepare(api.parse(body, warehouse().bounds))
        with _engine().connect() as conn:
            live = state.current(conn, CATALOGUE)
            return planner.explain(live, replace(q, filters=current_user.scope.restrict(q.filters)))
    except (api.BadRequest, planner.UnknownName) as exc:
        return html.Span(str(exc), className="text-danger")
