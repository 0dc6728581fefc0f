"""Admin: the ETL runs, the quarantine browsable by run, table and reason, the users (role, scope,
password, second factor), the two-factor rule and the audit log (layout only).

Only admins get it: the navbar leaves the link out for others, this layout answers "admins only",
and every callback of the page checks the role again on the server.
"""
import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from data import audit
from data.filters import STATES
from data.users import ROLES
from pages._cards import card_title

dash.register_page(__name__, path="/admin", name="Admin", order=90, title="Admin · Olist Analytics")

# One row at a time, chosen by clicking it (AG Grid's object form; the string form is deprecated).
ROW_SELECTION = {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}
# cellDataType False: AG Grid would otherwise guess types from the first row and blank out values
# that do not fit the guess (a "never" among sign-in dates).
GRID = {"defaultColDef": {"sortable": True, "resizable": True, "filter": True, "cellDataType": False},
        "dashGridOptions": {"pagination": True, "paginationPageSize": 10, "paginationPageSizeSelector": [10, 20, 50],
                            "rowSelection": ROW_SELECTION, "domLayout": "autoHeight"},
        "className": "ag-theme-alpine"}
SMALL_GRID = {"defaultColDef": {"sortable": True, "resizable": True, "cellDataType": False}, "dashGridOptions": {"domLayout": "autoHeight"},
              "className": "ag-theme-alpine"}
RUN_COLUMNS = [
    {"field": "run_id", "headerName": "Run"},
    {"field": "started_at", "headerName": "Started"},
    {"field": "status", "headerName": "Status"},
    {"field": "seconds", "headerName": "Duration (s)", "type": "numericColumn"},
    {"field": "files", "headerName": "Files", "type": "numericColumn"},
    {"field": "read", "headerName": "Rows read", "type": "numericColumn",
     "valueFormatter": {"function": "count(params.value)"}},
    {"field": "inserted", "headerName": "Inserted", "type": "numericColumn",
     "valueFormatter": {"function": "count(params.value)"}},
    {"field": "updated", "headerName": "Updated", "type": "numericColumn",
     "valueFormatter": {"function": "count(params.value)"}},
    {"field": "quarantined", "headerName": "Quarantined", "type": "numericColumn",
     "valueFormatter": {"function": "count(params.value)"}},
    {"field": "changed", "headerName": "Changed data"},
    {"field": "warnings", "headerName": "Warnings", "type": "numericColumn"},
    {"field": "error", "headerName": "Error", "tooltipField": "error"},
]
TABLE_COLUMNS = [{"field": "table", "headerName": "Table"}] + [
    {"field": k, "headerName": k.replace("_", " ").capitalize(), "type": "numericColumn",
     **({"valueFormatter": {"function": "count(params.value)"}} if k != "seconds" else {})}
    for k in ("read", "inserted", "updated", "unchanged", "quarantined", "skipped", "unknown_members", "seconds")]
QUARANTINE_COLUMNS = [
    {"field": "run_id", "headerName": "Run"},
    {"field": "table_name", "headerName": "Table"},
    {"field": "file_name", "headerName": "File"},
    {"field": "line_number", "headerName": "Line", "type": "numericColumn"},
    {"field": "reason", "headerName": "Reason", "tooltipField": "reason"},
    {"field": "raw", "headerName": "Raw record", "tooltipField": "raw"},
]
SUMMARY_COLUMNS = [
    {"field": "reason", "headerName": "Reason", "tooltipField": "reason"},
    {"field": "table_name", "headerName": "Table"},
    {"field": "file_name", "headerName": "File", "tooltipField": "file_name"},
    {"field": "rows", "headerName": "Rows", "type": "numericColumn",
     "valueFormatter": {"function": "count(params.value)"}},
    {"field": "example_line", "headerName": "First line", "type": "numericColumn"},
    {"field": "example", "headerName": "Example record", "tooltipField": "example"},
]
USER_COLUMNS = [{"field": "username", "headerName": "User"}, {"field": "role", "headerName": "Role"},
                {"field": "active", "headerName": "Active"}, {"field": "two_factor", "headerName": "Two-factor"},
                {"field": "scope", "headerName": "Sees", "tooltipField": "scope"},
                {"field": "sessions", "headerName": "Sessions", "type": "numericColumn"},
                {"field": "created_at", "headerName": "Created"}, {"field": "last_login_at", "headerName": "Last sign-in"}]
AUDIT_COLUMNS = [
    {"field": "at", "headerName": "When"},
    {"field": "actor", "headerName": "Who"},
    {"field": "action", "headerName": "What"},
    {"field": "target", "headerName": "On", "tooltipField": "target"},
    {"field": "address", "headerName": "Address"},
    {"field": "detail", "headerName": "Detail", "tooltipField": "detail"},
]


ROLLUP_COLUMNS = [
    {"field": "name", "headerName": "Rollup", "minWidth": 190}, {"field": "grain", "headerName": "Grain", "minWidth": 100},
    {"field": "dimensions", "headerName": "Dimensions", "minWidth": 320, "tooltipField": "dimensions"},
    {"field": "source", "headerName": "Built from"},
    {"field": "state", "headerName": "State"},
    {"field": "rows", "headerName": "Rows", "type": "numericColumn", "valueFormatter": {"function": "count(params.value)"}},
    {"field": "seconds", "headerName": "Build (s)", "type": "numericColumn"},
    {"field": "built_at", "headerName": "Built"},
]
EXAMPLE_QUERY = '{"metrics": ["revenue", "customers"], "by": ["category"], "filters": {"state": ["SP"]}}'


def section(title: str, note: str, *body):
    return dbc.Row(dbc.Col(dbc.Card(dbc.CardBody([card_title(title, note), *body])), width=12, className="mb-3"))


def layout(**_query):
    if not (current_user.is_authenticated and current_user.role == "admin"):
        return dbc.Alert("Admins only: ask an admin if you need this page.", color="warning", id="admin-refused")
    return html.Div([
        section("ETL runs", "Every run of `python -m etl load`, newest first. Select a run to see its counts per "
                "table and browse what it quarantined.",
                # Keyed by run, so a new batch (the table follows the data version) keeps the page,
                # the sort and the selected run; no spinner, which would flash at every batch.
                dag.AgGrid(id="admin-runs", columnDefs=RUN_COLUMNS, rowData=[], style={"height": None},
                           getRowId="params.data.row_id", **GRID),
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
                html.Div("By reason, table and file (click one to list its rows):", className="small fw-semibold"),
                dag.AgGrid(id="admin-q-summary", columnDefs=SUMMARY_COLUMNS, rowData=[], style={"height": None},
                           **{**GRID, "dashGridOptions": {**GRID["dashGridOptions"], "tooltipShowDelay": 300}}),
                html.Div(id="admin-q-count", className="small text-body-secondary mt-3 mb-1"),
                dcc.Loading(dag.AgGrid(id="admin-quarantine", columnDefs=QUARANTINE_COLUMNS, rowData=[],
                                       style={"height": None},
                                       **{**GRID, "dashGridOptions": {"pagination": True, "paginationPageSize": 20,
                                                                      "tooltipShowDelay": 300,
                                                                      "domLayout": "autoHeight"}})),
                dcc.Download(id="admin-q-download")),
        section("Semantic layer", "The rollups the planner answers questions from, and whether each is current "
                "(a stale or missing one is skipped until `python -m etl rollups build`, the next load or the next "
                "start builds it). Type a question as the API takes it to see which table would answer it and why.",
                dag.AgGrid(id="admin-rollups", columnDefs=ROLLUP_COLUMNS, rowData=[], columnSize="sizeToFit",
                           style={"height": None}, **SMALL_GRID),
                dbc.Row([
                    dbc.Col(dbc.Textarea(id="admin-explain-query", value=EXAMPLE_QUERY, rows=2, maxLength=4000,
                                         className="font-monospace small"), md=10),
                    dbc.Col(dbc.Button("Explain", id="admin-explain-run", size="sm", color="primary"), md=2,
                            className="d-flex align-items-start"),
                ], className="g-2 mt-3"),
                html.Div(id="admin-explain-result", className="small mt-2 font-monospace")),
        section("Users", "Select a user to change their role, data scope, password or second factor. A change "
                "that takes access away ends the user's sessions at once. Also from the command line: "
                "`flask --app app users --help`.",
                dag.AgGrid(id="admin-users", columnDefs=USER_COLUMNS, rowData=[], columnSize="sizeToFit",
                           style={"height": None},
                           **{**SMALL_GRID, "dashGridOptions": {"domLayout": "autoHeight", "rowSelection": ROW_SELECTION}}),
                user_editor(), new_user()),
        section("Two-factor sign-in", "Who must sign in with a code from an authenticator app besides their "
                "password. Users set it up at their next sign-in; an admin can reset a user's second factor.",
                dbc.RadioItems(id="admin-2fa-rule", inline=True, options=[
                    {"label": "Nobody is required to", "value": "off"}, {"label": "Admins", "value": "admins"},
                    {"label": "Everyone", "value": "all"}]),
                html.Div(id="admin-2fa-note", className="small text-body-secondary mt-1")),
        section("Audit log", "Sign-ins and failures, sign-outs, exports, user, role and scope changes, second "
                "factors and loads, newest first. Nobody can change or delete an entry from the app.",
                dbc.Row([
                    dbc.Col([dbc.Label("What", className="small mb-0"),
                             dcc.Dropdown(id="admin-audit-action", multi=True, placeholder="Every action",
                                          options=[{"label": a.replace("_", " "), "value": a} for a in audit.ACTIONS])],
                            md=4),
                    dbc.Col([dbc.Label("Who", className="small mb-0"),
                             dbc.Input(id="admin-audit-actor", placeholder="User name", size="sm", debounce=True,
                                       maxLength=64)], md=2),
                    dbc.Col([dbc.Label("Text", className="small mb-0"),
                             dbc.Input(id="admin-audit-text", placeholder="In target or detail", size="sm",
                                       debounce=True, maxLength=100)], md=2),
                    dbc.Col([dbc.Label("Dates", className="small mb-0"),
                             dcc.DatePickerRange(id="admin-audit-dates", display_format="YYYY-MM-DD",
                                                 minimum_nights=0, clearable=True)], md=3),
                    dbc.Col(dbc.Button("Export CSV", id="admin-audit-export", size="sm", color="secondary",
                                       outline=True, className="mt-4"), md=1, className="text-end"),
                ], className="g-2 mb-2"),
                html.Div(id="admin-audit-count", className="small text-body-secondary mb-1"),
                dcc.Loading(dag.AgGrid(id="admin-audit", columnDefs=AUDIT_COLUMNS, rowData=[], style={"height": None},
                                       **{**GRID, "dashGridOptions": {"pagination": True, "paginationPageSize": 20,
                                                                      "tooltipShowDelay": 300,
                                                                      "domLayout": "autoHeight"}})),
                dcc.Download(id="admin-audit-download")),
    ])


def _field(label, control, md):
    return dbc.Col([dbc.Label(label, className="small mb-0"), control], md=md)


def _scope_fields(prefix: str):
    return [
        _field("Sellers (ids; empty: all)", dcc.Dropdown(id=f"{prefix}-sellers", multi=True,
                                                         placeholder="Type a seller id, city or state"), 4),
        _field("Customer states (empty: all)", dcc.Dropdown(id=f"{prefix}-states", multi=True,
                                                            options=list(STATES), placeholder="All states"), 3),
    ]


def user_editor():
    return html.Div([
        html.Div(id="admin-user-title", className="small fw-semibold mt-3 mb-1",
                 children="Select a user above to change them."),
        dbc.Row([
            _field("Role", dcc.Dropdown(id="admin-user-role", options=list(ROLES), clearable=False), 2),
            *_scope_fields("admin-user"),
            _field("Active", dbc.Switch(id="admin-user-active", value=True), 1),
            dbc.Col(dbc.Button("Save", id="admin-user-save", size="sm", color="primary", className="mt-4",
                               disabled=True), md=2),
        ], className="g-2 align-items-start"),
        dbc.Row([
            _field("New password", dbc.Input(id="admin-user-password", type="password", size="sm",
                                             autocomplete="new-password", maxLength=1024), 3),
            dbc.Col(dbc.Button("Set password", id="admin-user-set-password", size="sm", color="secondary",
                               outline=True, className="mt-4", disabled=True), md=2),
            dbc.Col(dbc.Button("Reset two-factor", id="admin-user-reset-2fa", size="sm", color="danger",
                               outline=True, className="mt-4", disabled=True), md=2),
        ], className="g-2"),
        html.Div(id="admin-user-result", className="small mt-2"),
    ])


def new_user():
    return dbc.Accordion(dbc.AccordionItem(html.Div([
        dbc.Row([
            _field("User name", dbc.Input(id="admin-new-name", size="sm", maxLength=64, autocomplete="off"), 2),
            _field("Password", dbc.Input(id="admin-new-password", type="password", size="sm",
                                         autocomplete="new-password", maxLength=1024), 2),
            _field("Role", dcc.Dropdown(id="admin-new-role", options=list(ROLES), value="viewer", clearable=False), 1),
            *_scope_fields("admin-new"),
        ], className="g-2"),
        dbc.Button("Add user", id="admin-new-add", size="sm", color="primary", className="mt-2"),
        html.Div(id="admin-new-result", className="small mt-2"),
    ]), title="Add a user"), start_collapsed=True, className="mt-3")
