"""The headers of what users make: a saved question's and a dashboard's name, description, owner,
sharing, last change and tools (layout only; callbacks draw them again after a change)."""
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from data import dashboards, questions

REFRESH_NAMES = {0: "Off", 60: "Every minute", 300: "Every 5 minutes", 900: "Every 15 minutes",
                 3600: "Every hour"}


def question_header(q: questions.Question):
    """The question's name, description, owner, sharing and last change, and its tools."""
    editable = questions.can_edit(current_user, q)
    return dbc.Card(dbc.CardBody([
        dbc.Row([
            dbc.Col([html.H4(q.name, id="question-title", className="mb-1"),
                     html.Div(q.description, id="question-text", className="text-body-secondary small",
                              style={"whiteSpace": "pre-wrap"})]),
            dbc.Col([
                dbc.Button("Details…", id="question-details", size="sm", color="secondary", outline=True,
                           className="me-1", disabled=not editable, title="Rename, describe, share"),
                dbc.Button("Duplicate", id="question-duplicate", size="sm", color="secondary", outline=True,
                           className="me-1", disabled=not questions.can_create(current_user),
                           title="A private copy of your own"),
                dbc.Button("Delete", id="question-delete", size="sm", color="danger", outline=True,
                           disabled=not editable),
                dcc.ConfirmDialog(id="question-delete-confirm",
                                  message=f"Delete the question {q.name!r}? This cannot be undone."),
            ], width="auto"),
        ]),
        html.Div([f"By {q.owner} · shared with {q.shared_text()} · changed {q.updated_at:%d %b %Y %H:%M}"
                  + (f" by {q.updated_by}" if q.updated_by else ""), " · ",
                  dcc.Link("All questions", href="/questions")], className="small text-body-secondary mt-1"),
    ]), className="mb-3")


def dashboard_header(d: dashboards.Dashboard, editable: bool):
    return dbc.Card(dbc.CardBody([
        dbc.Row([
            dbc.Col([html.H4(d.name, id="dashboard-title", className="mb-1"),
                     html.Div(d.description, className="text-body-secondary small", style={"whiteSpace": "pre-wrap"})]),
            dbc.Col([
                html.Span(dbc.Select(id="dashboard-refresh-choice", value=str(d.refresh_seconds), size="sm",
                                     options=[{"label": f"Refresh: {v}", "value": str(k)}
                                              for k, v in REFRESH_NAMES.items()],
                                     className="d-inline-block w-auto me-1"),
                          title="Answer every card again at this interval"),
                dbc.Button("Full screen", id="dashboard-full-screen", size="sm", color="secondary", outline=True,
                           className="me-1"),
                dbc.Button("Details…", id="dashboard-details", size="sm", color="secondary", outline=True,
                           className="me-1", disabled=not editable, title="Rename, describe, share"),
                dbc.Button("Duplicate", id="dashboard-duplicate", size="sm", color="secondary", outline=True,
                           className="me-1", disabled=not dashboards.can_create(current_user),
                           title="A private copy of your own, with the same cards"),
                dbc.Button("Delete", id="dashboard-delete", size="sm", color="danger", outline=True,
                           disabled=not editable),
            ], width="auto"),
        ]),
        html.Div([f"By {d.owner} · shared with {d.shared_text()} · changed {d.updated_at:%d %b %Y %H:%M}"
                  + (f" by {d.updated_by}" if d.updated_by else "") + " · ", dcc.Link("All dashboards", href="/dashboards"),
                  html.Span(" · Drag a card by its title, resize it from its corner." if editable else "")],
                 className="small text-body-secondary mt-1"),
    ]), className="mb-2")
