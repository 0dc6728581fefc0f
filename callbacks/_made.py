"""What every kind of thing users make (saved questions, dashboards) does the same way: reach the
engine and the signed-in user, close the details dialog (pages/_sharing.py), duplicate, and delete
after asking.

`tools("question", questions)` registers, for ids `question-duplicate`, `question-delete`,
`question-delete-confirm`, `question-message` and the store `question-id`, the callbacks that
call `questions.duplicate` and `questions.delete` (which decide on the server who may) and go to
the copy, or back to the list.
"""
from __future__ import annotations

from dash import Input, Output, State, callback, no_update
from dash.exceptions import PreventUpdate
from flask import current_app
from flask_login import current_user

from data.sharing import SharingError


def engine():
    return current_app.extensions["engine"]()


def user():
    if not current_user.is_authenticated:
        raise PreventUpdate
    return current_user


def tools(kind: str, module) -> None:
    """Register Cancel, Duplicate and Delete for `kind` ("question" or "dashboard"), kept by `module`."""
    listing = f"/{kind}s"

    @callback(Output(f"{kind}-dialog", "is_open", allow_duplicate=True), Input(f"{kind}-cancel", "n_clicks"),
              prevent_initial_call=True)
    def cancel(clicks):
        if not clicks:
            raise PreventUpdate
        return False

    @callback(Output("url", "href", allow_duplicate=True), Output(f"{kind}-message", "children", allow_duplicate=True),
              Input(f"{kind}-duplicate", "n_clicks"), State(f"{kind}-id", "data"), prevent_initial_call=True)
    def duplicate(clicks, ident):
        """A private copy of one's own, opened at once."""
        if not clicks:
            raise PreventUpdate
        try:
            made = module.duplicate(engine(), user(), ident)
        except SharingError as exc:
            return no_update, f"Not duplicated: {exc}."
        return f"{listing}/{getattr(made, f'{kind}_id')}", ""

    @callback(Output(f"{kind}-delete-confirm", "displayed"), Input(f"{kind}-delete", "n_clicks"),
              prevent_initial_call=True)
    def ask_to_delete(clicks):
        if not clicks:
            raise PreventUpdate
        return True

    @callback(Output("url", "href", allow_duplicate=True), Output(f"{kind}-message", "children", allow_duplicate=True),
              Input(f"{kind}-delete-confirm", "submit_n_clicks"), State(f"{kind}-id", "data"),
              prevent_initial_call=True)
    def delete(clicks, ident):
        if not clicks:
            raise PreventUpdate
        try:
            module.delete(engine(), user(), ident)
        except SharingError as exc:
            return no_update, f"Not deleted: {exc}."
        return listing, ""
