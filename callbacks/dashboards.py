"""Dashboards' callbacks: each card answered on its own (in parallel), click-to-filter, arranging,
adding and removing cards, refresh, full screen, details, duplicate, delete, and the list.

A card's callback is a MATCH callback: the browser sends one request per card, all at once, and
each reads only ids from the page (the dashboard and the card); what the card shows and under
which filters is read from the database, inside the dashboard's rules and the user's data scope,
so a crafted request cannot show another user's private question. Every change goes through
data.dashboards, which refuses what the user may not do and writes nothing then.
"""
from __future__ import annotations

from urllib.parse import parse_qs

from dash import ALL, MATCH, Input, Output, State, callback, clientside_callback, ctx, no_update
from dash.exceptions import PreventUpdate

from callbacks import _figures as figures
from callbacks._context import filters_from, guarded, warehouse
from callbacks._labels import link_text
from callbacks import _made as made
from callbacks._urls import clicked, toggled
from callbacks.explore import drawn
from data import dashboards, exploration as ex, questions
from data.dashboards import DashboardError
from data.filters import BY_KEY
from pages._board import grid
from pages._headers import dashboard_header as header

CARD = {"type": "card-ref", "card": MATCH}


@callback(Output({"type": "card-graph", "card": MATCH}, "figure"), Output({"type": "card-graph", "card": MATCH}, "style"),
          Output({"type": "card-number", "card": MATCH}, "children"), Output({"type": "card-note", "card": MATCH}, "children"),
          Input(CARD, "data"), Input("filters", "data"), Input("theme", "data"), Input("dashboard-refresh", "n_intervals"))
@guarded
def card(ref, data, theme, _tick):
    """One card: its question answered under the dashboard's filters met with its own."""
    bar = filters_from(data)
    if bar is None or not isinstance(ref, dict):
        raise PreventUpdate
    try:
        _d, c, q = dashboards.card_question(made.engine(), made.user(), ref.get("dashboard"), ref.get("card"))
    except DashboardError as exc:
        return figures.empty(theme, f"{str(exc).capitalize()}."), {"height": "100%"}, [], ""
    if q is None:
        return figures.empty(theme, "This question was deleted: remove the card."), {"height": "100%"}, [], ""
    e, dropped = ex.parse(q.query)
    f = dashboards.card_filters(q.query, bar, c.get("filters", "intersect"), warehouse().bounds())
    if f is None:
        return (figures.empty(theme, "Nothing matches both the dashboard's filters and the question's."),
                {"height": "100%"}, [], "")
    d = drawn(e, f, theme)
    note = [d.line, *([f" · {len(dropped)} part(s) the catalogue no longer has were left out"] if dropped else [])]
    return d.figure, ({"display": "none"} if d.flat else {"height": "100%"}), d.number, note


@callback(Output("url", "search", allow_duplicate=True), Input({"type": "card-graph", "card": ALL}, "clickData"),
          State({"type": "card-ref", "card": ALL}, "data"), State({"type": "card-ref", "card": ALL}, "id"),
          State("url", "search"), prevent_initial_call=True)
def filter_on_click(clicks, refs, ids, search):
    """A click on a bar, slice or state of a card filters the whole dashboard by that value (a
    second click takes it off), when the card's first dimension is one of the filter bar's."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict):
        raise PreventUpdate
    at = next((k for k, i in enumerate(ids) if i["card"] == trigger.get("card")), None)
    if at is None or not clicks[at]:
        raise PreventUpdate
    by = (refs[at] or {}).get("by") or []
    value = clicked(clicks[at]) or clicked(clicks[at], "location")
    if not by or by[0] not in BY_KEY or value is None:
        raise PreventUpdate
    return toggled(search, by[0], value)


def _redrawn(d: dashboards.Dashboard, message: str = ""):
    """The grid drawn again after a card came or went."""
    engine = made.engine()
    shown = {c["question_id"]: questions.read(engine, c["question_id"]) for c in d.cards if c["kind"] == "question"}
    openable = {q.question_id for q in questions.listed(engine, made.user())}
    body = grid(d, shown, dashboards.can_edit(made.user(), d), openable) if d.cards else None
    return body, "" if d.cards else "No cards yet: add a saved question or a text card above.", message


@callback(Output("dashboard-body", "children", allow_duplicate=True), Output("dashboard-empty", "children"),
          Output("dashboard-message", "children", allow_duplicate=True), Output("dashboard-text", "value"),
          Input("dashboard-add-question", "n_clicks"), Input("dashboard-add-text", "n_clicks"),
          Input({"type": "card-remove", "card": ALL}, "n_clicks"), Input({"type": "card-mode", "card": ALL}, "value"),
          State("dashboard-question-choice", "value"), State("dashboard-text", "value"), State("dashboard-id", "data"),
          State({"type": "card-mode", "card": ALL}, "id"), prevent_initial_call=True)
def change_cards(_add_q, _add_t, removes, modes, question_id, text, dashboard_id, mode_ids):
    """Add a question or a text card, remove a card, or change how a card's filters meet the bar's."""
    trigger = ctx.triggered_id
    user, engine = made.user(), made.engine()
    try:
        if trigger == "dashboard-add-question":
            if not _add_q or question_id is None:
                raise PreventUpdate
            d = dashboards.add_question(engine, user, dashboard_id, question_id)
        elif trigger == "dashboard-add-text":
            if not _add_t:
                raise PreventUpdate
            d = dashboards.add_text(engine, user, dashboard_id, text)
        elif isinstance(trigger, dict) and trigger.get("type") == "card-remove":
            if not any(removes):
                raise PreventUpdate
            d = dashboards.remove_card(engine, user, dashboard_id, trigger["card"])
        elif isinstance(trigger, dict) and trigger.get("type") == "card-mode":
            mode = next(m for m, i in zip(modes, mode_ids) if i == trigger)
            current = dashboards.get(engine, user, dashboard_id).card(trigger["card"]).get("filters")
            if mode == current:
                raise PreventUpdate  # drawn, not changed
            d = dashboards.set_mode(engine, user, dashboard_id, trigger["card"], mode)
        else:
            raise PreventUpdate
    except DashboardError as exc:
        return no_update, no_update, f"Not changed: {exc}.", no_update
    return (*_redrawn(d, "Saved."), "" if trigger == "dashboard-add-text" else no_update)


@callback(Output("dashboard-message", "children", allow_duplicate=True), Input("dashboard-grid", "layout"),
          State("dashboard-id", "data"), prevent_initial_call=True)
def arrange(layout, dashboard_id):
    """A card dragged or resized: keep its place (owners and admins; anyone else is refused)."""
    user, engine = made.user(), made.engine()
    try:
        d = dashboards.get(engine, user, dashboard_id)
        if not isinstance(layout, list):
            raise DashboardError("a layout is a list of places")
        places = [{**p, "i": str(p.get("i", ""))[len("card-"):]} if isinstance(p, dict) else p for p in layout]
        now = {c["id"]: (c["x"], c["y"], c["w"], c["h"]) for c in d.cards}
        if all(isinstance(p, dict) and now.get(p["i"]) == tuple(p.get(k) for k in "xywh") for p in places):
            raise PreventUpdate  # drawn, not moved
        dashboards.arrange(engine, user, dashboard_id, places)
    except DashboardError as exc:
        return f"Not arranged: {exc}."
    return "Arranged."


@callback(Output("dashboard-refresh", "interval"), Output("dashboard-refresh", "disabled"),
          Output("dashboard-message", "children", allow_duplicate=True), Input("dashboard-refresh-choice", "value"),
          State("dashboard-id", "data"), prevent_initial_call=True)
def refresh(choice, dashboard_id):
    """Auto-refresh: every card answered again at this interval (for this page; kept with the
    dashboard when its owner or an admin sets it)."""
    seconds = int(choice) if str(choice).isdigit() and int(choice) in dashboards.REFRESH else 0
    user, engine = made.user(), made.engine()
    message = ""
    try:
        d = dashboards.get(engine, user, dashboard_id)
        if dashboards.can_edit(user, d) and d.refresh_seconds != seconds:
            dashboards.update(engine, user, dashboard_id, refresh=seconds)
            message = "Saved."
    except DashboardError as exc:
        message = f"{exc}."
    return max(seconds, 60) * 1000, seconds == 0, message


clientside_callback(
    """function(clicks) {
        const body = document.getElementById("dashboard-body");
        if (clicks && body && body.requestFullscreen) { body.requestFullscreen(); }
        return window.dash_clientside.no_update;
    }""",
    Output("dashboard-full-screen", "title"), Input("dashboard-full-screen", "n_clicks"), prevent_initial_call=True,
)


DIALOG = [Output("dashboard-dialog", "is_open", allow_duplicate=True), Output("dashboard-dialog-title", "children"),
          Output("dashboard-name", "value"), Output("dashboard-description", "value"),
          Output("dashboard-sharing", "value"), Output("dashboard-roles", "value"),
          Output("dashboard-error", "children", allow_duplicate=True)]


@callback(*DIALOG, Input("dashboard-details", "n_clicks"), State("dashboard-id", "data"), prevent_initial_call=True)
def details(clicks, dashboard_id):
    if not clicks:
        raise PreventUpdate
    try:
        d = dashboards.get(made.engine(), made.user(), dashboard_id)
    except DashboardError as exc:
        return (no_update,) * 6 + (f"{exc}.",)
    return True, "The dashboard's details", d.name, d.description, d.sharing, list(d.shared_roles), ""


@callback(Output("dashboard-dialog", "is_open", allow_duplicate=True),
          Output("dashboard-error", "children", allow_duplicate=True), Output("dashboard-header", "children"),
          Input("dashboard-submit", "n_clicks"), State("dashboard-id", "data"), State("dashboard-name", "value"),
          State("dashboard-description", "value"), State("dashboard-sharing", "value"),
          State("dashboard-roles", "value"), prevent_initial_call=True)
def submit(clicks, dashboard_id, name, description, sharing, roles):
    """Keep the details, and show them."""
    if not clicks:
        raise PreventUpdate
    user = made.user()
    try:
        d = dashboards.update(made.engine(), user, dashboard_id, name=name, description=description, sharing=sharing,
                              roles=roles or [])
    except DashboardError as exc:
        return no_update, f"Not saved: {exc}.", no_update
    return False, "", header(d, dashboards.can_edit(user, d))


@callback(Output("dashboard-message", "children", allow_duplicate=True), Input("dashboard-keep-filters", "n_clicks"),
          State("dashboard-id", "data"), State("url", "search"), prevent_initial_call=True)
def keep_filters(clicks, dashboard_id, search):
    """The filter bar's values become the ones the dashboard opens with (a link without filters)."""
    if not clicks:
        raise PreventUpdate
    bar = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items()}
    try:
        dashboards.update(made.engine(), made.user(), dashboard_id, filters=bar)
    except DashboardError as exc:
        return f"Not saved: {exc}."
    return "The dashboard now opens with these filters."


made.tools("dashboard", dashboards)


@callback(Output("dashboards-list", "rowData"), Output("dashboards-empty", "children"),
          Input("dashboards-search", "value"))
def listed(search):
    found = dashboards.listed(made.engine(), made.user(), search or "")
    rows = [{"link": f"[{link_text(d.name)}](/dashboards/{d.dashboard_id})", "cards": len(d.cards),
             "description": d.description, "owner": d.owner, "shared": d.shared_text(),
             "updated": f"{d.updated_at:%Y-%m-%d %H:%M}", "updated_by": d.updated_by or ""} for d in found]
    empty = "" if rows else ("No dashboard matches the search." if search else
                             "No dashboards yet: name one above and add saved questions to it.")
    return rows, empty


@callback(Output("url", "href", allow_duplicate=True), Output("dashboards-message", "children"),
          Input("dashboards-new", "n_clicks"), Input("dashboards-from-overview", "n_clicks"),
          State("dashboards-new-name", "value"), prevent_initial_call=True)
def new(clicks, from_overview, name):
    """A new dashboard, opened at once: empty, or the built-in Overview's questions as one's own."""
    if not (clicks or from_overview):
        raise PreventUpdate
    try:
        if ctx.triggered_id == "dashboards-from-overview":
            d = dashboards.from_template(made.engine(), made.user(), "overview")
        else:
            d = dashboards.create(made.engine(), made.user(), name)
    except DashboardError as exc:
        return no_update, f"Not made: {exc}."
    return f"/dashboards/{d.dashboard_id}", ""
