"""Saved questions' callbacks: save from Explore, change, duplicate, delete, and the list.

Every action goes through data.questions, which decides on the server who may do what; a refusal
is shown where the user acted, as one line, and changes nothing.
"""
from __future__ import annotations

from urllib.parse import parse_qs

from dash import Input, Output, State, callback, ctx, dcc, no_update
from dash.exceptions import PreventUpdate

from callbacks._labels import link_text
from callbacks import _made as made
from data import dashboards, exploration as ex, questions
from data.sharing import SharingError
from data.filters import BAR_KEYS
from pages._headers import question_header as header

DIALOG = [Output("question-dialog", "is_open", allow_duplicate=True), Output("question-mode", "data"),
          Output("question-dialog-title", "children"), Output("question-name", "value"),
          Output("question-description", "value"), Output("question-sharing", "value"),
          Output("question-roles", "value"), Output("question-error", "children", allow_duplicate=True)]


def current_query(search: str | None, shown: dict | None) -> dict[str, str]:
    """What a question keeps: the filter bar's part of the URL and the question Explore shows."""
    bar = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items() if k in BAR_KEYS}
    return {**bar, **((shown or {}).get("question") or {})}


@callback(*DIALOG, Output("question-message", "children", allow_duplicate=True),
          Input("question-save", "n_clicks"), Input("question-save-as", "n_clicks"),
          State("question-id", "data"), State("url", "search"), State("explore-shown", "data"),
          prevent_initial_call=True)
def save(_save, _save_as, question_id, search, shown):
    """Save: on Explore, the dialog names a new question; on a saved question, its owner's Save
    keeps the changes at once. Save as new always asks for a name."""
    user = made.user()
    if not (_save or _save_as):
        raise PreventUpdate  # the page was drawn
    if ctx.triggered_id == "question-save" and question_id is not None:
        try:
            questions.update(made.engine(), user, question_id, query=current_query(search, shown))
        except questions.QuestionError as exc:
            return (no_update,) * 8 + (f"Not saved: {exc}.",)
        return (no_update,) * 8 + ("Saved.",)
    if not questions.can_create(user):
        return (no_update,) * 8 + ("Viewers cannot save questions; ask an admin for the analyst role.",)
    e, _ = ex.parse((shown or {}).get("question") or {})
    return True, "new", "Save the question", ex.describe(e), "", "private", [], "", no_update


@callback(*DIALOG, Input("question-details", "n_clicks"), State("question-id", "data"), prevent_initial_call=True)
def details(clicks, question_id):
    """Details…: the dialog with the question's name, description and sharing, to change them."""
    if not clicks:
        raise PreventUpdate
    try:
        q = questions.get(made.engine(), made.user(), question_id)
    except questions.QuestionError as exc:
        return (no_update,) * 7 + (f"{exc}.",)
    return True, "details", "The question's details", q.name, q.description, q.sharing, list(q.shared_roles), ""


@callback(Output("question-dialog", "is_open", allow_duplicate=True),
          Output("question-error", "children", allow_duplicate=True), Output("url", "href", allow_duplicate=True),
          Output("question-header", "children"), Input("question-submit", "n_clicks"), State("question-mode", "data"),
          State("question-id", "data"),
          State("question-name", "value"), State("question-description", "value"), State("question-sharing", "value"),
          State("question-roles", "value"), State("url", "search"), State("explore-shown", "data"),
          prevent_initial_call=True)
def submit(clicks, mode, question_id, name, description, sharing, roles, search, shown):
    """The dialog's Save: a new question opens at its own address; changed details show at once.
    (The header is drawn with the signed-in user: pages/question.py.)"""
    if not clicks:
        raise PreventUpdate
    user = made.user()
    try:
        if mode == "details":
            q = questions.update(made.engine(), user, question_id, name=name, description=description, sharing=sharing,
                                 roles=roles or [])
        else:
            q = questions.create(made.engine(), user, name, description, current_query(search, shown), sharing,
                                 roles or [])
    except questions.QuestionError as exc:
        return no_update, f"Not saved: {exc}.", no_update, no_update
    if mode == "details":
        return False, "", no_update, header(q)
    return False, "", f"/questions/{q.question_id}", no_update


made.tools("question", questions)


@callback(Output("question-board-message", "children"), Input("question-add-to-board", "n_clicks"),
          State("question-board-choice", "value"), State("question-id", "data"), prevent_initial_call=True)
def add_to_board(clicks, dashboard_id, question_id):
    """Put the question on one of the user's dashboards (data.dashboards decides who may)."""
    if not clicks:
        raise PreventUpdate
    if dashboard_id is None:
        return "Choose a dashboard first (or make one under Dashboards)."
    try:
        d = dashboards.add_question(made.engine(), made.user(), dashboard_id, question_id)
    except SharingError as exc:
        return f"Not added: {exc}."
    return ["Added to ", dcc.Link(d.name, href=f"/dashboards/{d.dashboard_id}"), "."]


@callback(Output("question-save", "disabled"), Output("question-save-as", "disabled"), Output("question-save", "title"),
          Input("explore-rendered", "data"), State("question-id", "data"))
def save_allowed(_rendered, question_id):
    """Viewers save nothing; on a saved question, only its owner or an admin saves the changes."""
    user = made.user()
    if not questions.can_create(user):
        return True, True, "Viewers cannot save questions"
    if question_id is None:
        return False, False, "Keep this question, with its filters"
    try:
        editable = questions.can_edit(user, questions.get(made.engine(), user, question_id))
    except questions.QuestionError:
        return True, False, "This question is gone"
    return not editable, False, ("Keep the changes in this question" if editable
                                 else "Only its owner or an admin can change it: Save as new keeps your own")


@callback(Output("questions-list", "rowData"), Output("questions-empty", "children"),
          Input("questions-search", "value"))
def listed(search):
    """The questions the user may open (or those matching the search), last changed first."""
    found = questions.listed(made.engine(), made.user(), search or "")
    rows = [{"link": f"[{link_text(q.name)}](/questions/{q.question_id})", "description": q.description,
             "owner": q.owner, "shared": q.shared_text(), "updated": f"{q.updated_at:%Y-%m-%d %H:%M}",
             "updated_by": q.updated_by or ""} for q in found]
    empty = "" if rows else ("No question matches the search." if search else
                             "No saved questions yet: compose one in Explore and press Save.")
    return rows, empty
