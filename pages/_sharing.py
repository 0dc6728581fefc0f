"""The dialog that names, describes and shares what users make (a question, a dashboard): layout only.

Its ids start with the `prefix` given: `{prefix}-dialog`, `-name`, `-description`, `-sharing`,
`-roles`, `-error`, `-cancel`, `-submit`, and `-mode` (what its Save does).
"""
import dash_bootstrap_components as dbc
from dash import dcc, html

from data.sharing import MAX_DESCRIPTION, MAX_NAME, ROLES


def details_dialog(prefix: str, title: str = "Save"):
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle(title, id=f"{prefix}-dialog-title")),
        dbc.ModalBody([
            dbc.Label("Name", html_for=f"{prefix}-name"),
            dbc.Input(id=f"{prefix}-name", maxLength=MAX_NAME, placeholder="What it shows"),
            dbc.Label("Description", html_for=f"{prefix}-description", className="mt-2"),
            dbc.Textarea(id=f"{prefix}-description", maxLength=MAX_DESCRIPTION, rows=3,
                         placeholder="Optional: what it is for, how to read it"),
            dbc.Label("Who may open it", className="mt-2"),
            dbc.RadioItems(id=f"{prefix}-sharing", value="private", options=[
                {"label": "Only me (and admins)", "value": "private"},
                {"label": "Everyone", "value": "everyone"},
                {"label": "These roles:", "value": "roles"}]),
            dbc.Checklist(id=f"{prefix}-roles", inline=True, className="ms-4", value=[], options=[
                {"label": r.capitalize() + "s", "value": r} for r in ROLES]),
            html.Div(id=f"{prefix}-error", className="text-danger small mt-2", role="alert"),
        ]),
        dbc.ModalFooter([
            dbc.Button("Cancel", id=f"{prefix}-cancel", color="secondary", outline=True),
            dbc.Button("Save", id=f"{prefix}-submit", color="primary"),
        ]),
        dcc.Store(id=f"{prefix}-mode"),
    ], id=f"{prefix}-dialog", is_open=False)
