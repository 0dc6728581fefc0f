"""A saved question (`/questions/<question_id>`): Explore opened on it, under its name (layout only).

The page opens the question as it was saved; a link that carries Explore's own query values opens
those instead (a changed question not yet saved). What it used that the catalogue no longer has is
dropped with a notice, and the rest opens. A question the user may not open is "not found".
"""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask import current_app
from flask_login import current_user

from data import dashboards, exploration as ex, questions
from data.db import OUTAGE
from pages._headers import question_header as header
from pages.explore import notice, page

dash.register_page(__name__, path_template="/questions/<question_id>", name="Question",
                   title="Question · Olist Analytics")


def layout(question_id=None, explore_shown=None, **query):
    if not current_user.is_authenticated:
        return html.Div()
    engine = current_app.extensions["engine"]()
    try:
        q = questions.get(engine, current_user, question_id)
    except questions.NotFound as exc:
        return html.Div([notice(f"{str(exc).capitalize()}."), dcc.Link("All questions →", href="/questions")])
    except OUTAGE:
        return notice("The database is unreachable: this question cannot be read now. Try again in a moment.")
    own = {k: v for k, v in query.items() if k in ex.OWN}
    e, notices = ex.parse(own or q.query)
    if not own:  # opened as saved: what it used and the catalogue lost is the question's, not the link's
        notices = [f"This question was saved with something the catalogue no longer has: {n}" for n in notices]
    boards = [d for d in dashboards.listed(engine, current_user) if dashboards.can_edit(current_user, d)] \
        if dashboards.can_create(current_user) else []
    return page(f"/questions/{q.question_id}", e, notices, explore_shown, header(q), q.question_id,
                board_picker(boards) if dashboards.can_create(current_user) else None)


def board_picker(boards: list):
    """Add the question to one of the user's dashboards, or to a new one from /dashboards."""
    return dbc.Row([
        dbc.Col(dcc.Dropdown(id="question-board-choice", placeholder="Add to one of your dashboards…",
                             options=[{"label": d.name, "value": d.dashboard_id} for d in boards]), xs=12, md=5),
        dbc.Col(dbc.Button("Add to dashboard", id="question-add-to-board", size="sm", color="secondary",
                           outline=True), width="auto"),
        dbc.Col(html.Span(id="question-board-message", className="small text-body-secondary", role="status")),
    ], className="g-2 mb-3 align-items-center")
