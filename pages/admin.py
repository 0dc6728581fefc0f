"""Admin: the ETL runs, the quarantine browsable by run, table and reason, and the users (layout only).

Only admins get it: the navbar leaves the link out for others, this layout answers "admins only",
and every callback of the page checks the role again on the server.
"""
import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from pages._cards import card_title

dash.register_page(__name__, path="/admin", name="Admin", order=90, title="Admin · Olist Analytics")

# cellDataType False: AG Grid would otherwise guess types from the first row and blank out values
# that do not fit the guess (a "never" among sign-in dates).
GRID = {"defaultColDef": {"sortable": True, "resizable": True, "filter": True, "cellDataType": False},
        "dashGridOptions": {"pagination": True, "paginationPageSize": 10, "paginationPageSizeSelector": [10, 20, 50],
                            "rowSelection": "single",
                            "domLayout": "autoHeight"},
        "className": "ag-theme-alpine"}
SMALL_GRID = {"defaultColDef": {"sortable": True, "resizable": True, "cellDataType": False}, "dashGridOptions": {"domLayout": "autoHeight"},
              "className": "ag-theme-alpine"}
RUN_COLUMNS = [
    {"field": "run_id", "headerName": "Run", "width": 90},
    {"field": "started_at", "headerName": "Started", "width": 170},
    {"field": "status", "headerName": "Status", "width": 140},
    {"field": "seconds", "headerName": "Duration (s)", "type": "numericColumn", "width": 125},
    {"field": "files", "headerName": "Files", "type": "numericColumn", "width": 90},
    {"field": "read", "headerName": "Rows read", "type": "numericColumn", "width": 125,
     "valueFormatter": {"function": "count(params.value)"}},
    {"field": "inserted", "headerName": "Inserted", "type": "numericColumn", "width": 120,
     "valueFormatter": {"function": "count(params.value)"}},
    {"field": "updated", "headerName": "Updated", "type": "numericColumn", "width": 110,
     "valueFormatter": {"function": "count(params.value)"}},
    {"field": "quarantined", "headerName": "Quarantined", "type": "numericColumn", "width": 130,
     "valueFormatter": {"function": "count(params.value)"}},
    {"field": "changed", "headerName": "Changed data", "width": 130},
    {"field": "warnings", "headerName": "Warnings", "type": "numericColumn", "width": 110},
    {"field": "error", "headerName": "Error", "flex": 1, "minWidth": 200, "tooltipField": "error"},
]
TABLE_COLUMNS = [{"field": "table", "headerName": "Table"}] + [
    {"field": k, "headerName": k.replace("_", " ").capitalize(), "type": "numericColumn",
     **({"valueFormatter": {"function": "count(params.value)"}} if k != "seconds" else {})}
    for k in ("read", "inserted", "updated", "unchanged", "quarantined", "skipped", "unknown_members", "seconds")]
QUARANTINE_COLUMNS = [
    {"field": "run_id", "headerName": "Run", "width": 80},
    {"field": "table_name", "headerName": "Table", "width": 150},
    {"field": "file_name", "headerName": "File", "width": 240},
    {"field": "line_number", "headerName": "Line", "type": "numericColumn", "width": 90},
    {"field": "reason", "headerName": "Reason", "width": 260, "tooltipField": "reason"},
    {"field": "raw", "headerName": "Raw record", "flex": 1, "minWidth": 300, "tooltipField": "raw"},
]
USER_COLUMNS = [{"field": "username", "headerName": "User"}, {"field": "role", "headerName": "Role"},
                {"field": "active", "headerName": "Active"}, {"field": "created_at", "headerName": "Created"},
                {"field": "last_login_at", "headerName": "Last sign-in"}]


def section(title: str, note: str, *body):
    return dbc.Row(dbc.Col(dbc.Card(dbc.CardBody([card_title(title, note), *body])), width=12, className="mb-3"))


def layout(**_query):
    if not (current_user.is_authenticated and current_user.role == "admin"):
        return dbc.Alert("Admins only: ask an admin if you need this page.", color="warning", id="admin-refused")
    return html.Div([
        section("ETL runs", "Every run of `python -m etl load`, newest first. Select a run to see its counts per "
                "table and browse what it quarantined.",
                dcc.Loading(dag.AgGrid(id="admin-runs", columnDefs=RUN_COLUMNS, rowData=[], style={"height": None},
                                       **GRID)),
                html.Div(id="admin-run-title", className="small fw-semibold mt-3 mb-1"),
                dag.AgGrid(id="admin-run-tables", columnDefs=TABLE_COLUMNS, rowData=[], columnSize="sizeToFit",
                           style={"height": None}, **SMALL_GRID)),
        section("Quarantine", "Rows the loader could not place, with the file, line number, reason and the raw "
                "record as it was read. Nothing here reached the warehouse.",
                dbc.Row([
                    dbc.Col([dbc.Label("Run", className="small mb-0"),
                             dcc.Dropdown(id="admin-q-run", placeholder="All runs")], md=2),
                    dbc.Col([dbc.Label("Table", className="small mb-0"),
                             dcc.Dropdown(id="admin-q-table", placeholder="All tables")], md=3),
                    dbc.Col([dbc.Label("Reason", className="small mb-0"),
                             dcc.Dropdown(id="admin-q-reason", placeholder="All reasons")], md=5),
                    dbc.Col(dbc.Button("Export CSV", id="admin-q-export", size="sm", color="secondary",
                                       outline=True, className="mt-4"), md=2, className="text-end"),
                ], className="g-2 mb-2"),
                html.Div(id="admin-q-count", className="small text-body-secondary mb-1"),
                dcc.Loading(dag.AgGrid(id="admin-quarantine", columnDefs=QUARANTINE_COLUMNS, rowData=[],
                                       style={"height": None},
                                       **{**GRID, "dashGridOptions": {"pagination": True, "paginationPageSize": 20,
                                                                      "tooltipShowDelay": 300,
                                                                      "domLayout": "autoHeight"}})),
                dcc.Download(id="admin-q-download")),
        section("Users", "Manage users with `flask --app app users create|list|set-password|disable`.",
                dag.AgGrid(id="admin-users", columnDefs=USER_COLUMNS, rowData=[], columnSize="sizeToFit",
                           style={"height": None}, **SMALL_GRID)),
    ])
