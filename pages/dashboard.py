"""One dashboard (`/dashboards/<dashboard_id>`): its cards on a grid under the filter bar (layout only).

The filter bar is the dashboard's filters: every card answers under them, meeting its question's
own as the card says. Its owner and admins arrange, add and remove cards; everyone who may open
it changes the filters, clicks a bar or a state to filter every card, refreshes and goes full screen.
"""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask import current_app
from flask_login import current_user

from data import dashboards, questions
from data.db import OUTAGE
from pages._board import grid
from pages._headers import dashboard_header as header
from pages._sharing import details_dialog
from pages.explore import notice

dash.register_page(__name__, path_template="/dashboards/<dashboard_id>", name="Dashboard",
                   title="Dashboard · Olist Analytics")


def layout(dashboard_id=None, **_query):
    if not current_user.is_authenticated:
        return html.Div()
    engine = current_app.extensions["engine"]()
    try:
        d = dashboards.get(engine, current_user, dashboard_id)
        shown = {c["question_id"]: questions.read(engine, c["question_id"]) for c in d.cards
                 if c["kind"] == "question"}
        mine = questions.listed(engine, current_user)
    except dashboards.NotFound as exc:
        return html.Div([notice(f"{str(exc).capitalize()}."), dcc.Link("All dashboards →", href="/dashboards")])
    except OUTAGE:
        return notice("The database is unreachable: this dashboard cannot be read now. Try again in a moment.")
    editable = dashboards.can_edit(current_user, d)
    return html.Div([
        dcc.Store(id="dashboard-id", data=d.dashboard_id),
        dcc.Interval(id="dashboard-refresh", interval=max(d.refresh_seconds, 60) * 1000,
                     disabled=d.refresh_seconds == 0),
        html.Div(header(d, editable), id="dashboard-header"),
        tools(d, mine) if editable else None,
        html.Div(id="dashboard-message", className="small text-body-secondary mb-1", role="status"),
        html.Div(grid(d, shown, editable, {q.question_id for q in mine}) if d.cards else None, id="dashboard-body"),
        html.Div("No cards yet: add a saved question or a text card above." if not d.cards else "",
                 id="dashboard-empty", className="text-body-secondary small"),
        details_dialog("dashboard"),
        dcc.ConfirmDialog(id="dashboard-delete-confirm",
                          message=f"Delete the dashboard {d.name!r}? Its questions stay. This cannot be undone."),
    ])


def tools(d: dashboards.Dashboard, mine: list):
    """Add a saved question, or a text card (owners and admins)."""
    return dbc.Row([
        dbc.Col(dcc.Dropdown(id="dashboard-question-choice", placeholder="Add a saved question…",
                             options=[{"label": q.name, "value": q.question_id} for q in mine]), xs=12, md=5),
        dbc.Col(dbc.Button("Add question", id="dashboard-add-question", size="sm", color="primary"), width="auto"),
        dbc.Col(dbc.Input(id="dashboard-text", placeholder="Or a text card (Markdown)…", size="sm", maxLength=4000),
                xs=12, md=4),
        dbc.Col(dbc.Button("Add text", id="dashboard-add-text", size="sm", color="secondary", outline=True),
                width="auto"),
        dbc.Col(dbc.Button("Open with these filters", id="dashboard-keep-filters", size="sm", color="secondary",
                           outline=True, title="A link without filters opens the dashboard with the bar's filters "
                           "as they are now"), width="auto"),
    ], className="g-2 mb-2 align-items-center")
