"""Admin callbacks: runs, one run's tables, the quarantine browser and its export, the users.

Every callback checks the role itself: the Dash endpoint is shared by all pages, so hiding the
page is not enough.
"""
from __future__ import annotations

from functools import wraps

import pandas as pd
from dash import Input, Output, State, callback, dcc
from dash.exceptions import PreventUpdate
from flask_login import current_user

from callbacks._context import guarded, warehouse
from data import admin


def admins_only(fn):
    @wraps(fn)
    def run(*args, **kwargs):
        if not (current_user.is_authenticated and current_user.role == "admin"):
            raise PreventUpdate
        return fn(*args, **kwargs)
    return run


def _read(query, *args):
    with warehouse().engine().connect() as conn:
        return query(conn, *args)


@callback(Output("admin-runs", "rowData"), Output("admin-users", "rowData"), Output("admin-q-run", "options"),
          Input("url", "pathname"))
@admins_only
@guarded
def runs_and_users(_path):
    runs = _read(admin.runs)
    options = [{"label": f"Run {r['run_id']} ({r['quarantined']:,} rows)", "value": r["run_id"]}
               for r in runs if r["quarantined"]]
    return [{k: v for k, v in r.items() if k != "tables"} for r in runs], _read(admin.user_list), options


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
    return dcc.send_data_frame(pd.DataFrame(rows).to_csv, f"{name}.csv", index=False)
