"""Keep the filter bar, the URL query string and the `filters` store in step; the theme; sellers' type-ahead.

The URL is the source of truth: a copied link reopens the same view and back/forward work. One
callback owns both directions (Dash allows a circular callback only within itself).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from urllib.parse import parse_qs, urlencode

import dash
from dash import Input, Output, State, callback, clientside_callback, ctx, html
from flask_login import current_user

from callbacks._context import current_scope, database_ok, guarded, seller_choices, warehouse
from data import filters as flt


def _bounds():
    b = warehouse().bounds()
    return b["first"], b["last"], b


def _preset_for(start: date, end: date, first: date, last: date) -> str:
    for key in ("7d", "30d", "90d", "365d", "mtd", "qtd", "ytd", "all"):
        if flt.preset_range(key, first, last) == (start, end):
            return key
    return "custom"


@callback(
    Output("url", "search"), Output("filter-preset", "value"), Output("filter-dates", "start_date"),
    Output("filter-dates", "end_date"), Output("filter-state", "value"), Output("filter-category", "value"),
    Output("filter-seller", "value"), Output("filter-status", "value"), Output("filters", "data"),
    Output("filter-range", "children"), Output("notices", "children"),
    Output("filter-state", "options"), Output("filter-category", "options"), Output("filter-status", "options"),
    Output("filter-dates", "min_date_allowed"), Output("filter-dates", "max_date_allowed"),
    Input("url", "search"), Input("filter-preset", "value"), Input("filter-dates", "start_date"),
    Input("filter-dates", "end_date"), Input("filter-state", "value"), Input("filter-category", "value"),
    Input("filter-seller", "value"), Input("filter-status", "value"), Input("db-ok", "data"),
)
@guarded
def sync(search, preset, start, end, states, categories, sellers, statuses, _db_ok):
    first, last, b = _bounds()
    if first is None:  # an empty warehouse: nothing to filter
        return (dash.no_update,) * 9 + ("No data loaded yet.", None, [], [], [], None, None)
    trigger = ctx.triggered_id
    notices = []
    if trigger in (None, "url", "db-ok"):
        args = {k: v for k, v in parse_qs((search or "").lstrip("?")).items()}
        f, notices = flt.parse(args, first, last, b["categories"], flt.ALL_STATUSES)
    else:
        args = {"state": states or [], "category": categories or [], "seller": sellers or [],
                "status": statuses or []}
        if trigger == "filter-preset" and preset != "custom":
            s, e = flt.preset_range(preset, first, last)
        else:
            s, e = (start or first.isoformat()), (end or last.isoformat())
        args.update(start=str(s), end=str(e))
        f, notices = flt.parse(args, first, last, b["categories"], flt.ALL_STATUSES)
    f, notices = _within_scope(f, notices)
    query = "?" + urlencode(flt.to_query(f))
    excluded = [s for s in flt.EXCLUDED_BY_DEFAULT if s not in f.statuses]
    text = (f"Showing {f.start:%d %b %Y} to {f.end:%d %b %Y} ({f.days:,} days; the data ends on {last:%d %b %Y})"
            + (f". Left out: {', '.join(excluded)} orders (change Status to include them)" if excluded else ""))
    scope = current_scope()
    if scope.limited:
        text += f". Your access is limited to {scope.describe()}"
    alerts = [html.Div(n, className="alert alert-warning py-1 px-2 small mb-2") for n in flt.capped(notices)]
    return (query if query != search else dash.no_update, _preset_for(f.start, f.end, first, last),
            f.start.isoformat(), f.end.isoformat(), list(f.states), list(f.categories), list(f.sellers),
            list(f.statuses), {**flt.to_query(f), "statuses": list(f.statuses)}, text, alerts,
            [{"label": s, "value": s} for s in flt.STATES if scope.allows_state(s)]
            + ([] if scope.states else [{"label": "unknown", "value": "??"}]),
            [{"label": c.replace("_", " "), "value": c} for c in b["categories"]],
            [{"label": s, "value": s} for s in flt.ALL_STATUSES],
            first.isoformat(), last.isoformat())


def _within_scope(f: flt.Filters, notices: list[str]) -> tuple[flt.Filters, list[str]]:
    """The chosen states and sellers that lie inside the user's scope; a notice for each one left out.
    (The scope itself is applied on the server to every question; the bar shows only what was chosen.)"""
    scope = current_scope()
    states = tuple(s for s in f.states if scope.allows_state(s))
    sellers = tuple(s for s in f.sellers if scope.allows_seller(s))
    notices = notices + [f"ignored state={s!r}: outside your access" for s in f.states if s not in states]
    notices += [f"ignored seller={s[:8]!r}…: outside your access" for s in f.sellers if s not in sellers]
    return replace(f, states=states, sellers=sellers), notices


@callback(Output("filter-seller", "options"), Input("filter-seller", "search_value"),
          State("filter-seller", "value"))
@guarded
def seller_options(typed, chosen):
    return seller_choices(typed, chosen)


@callback(Output("user-name", "children"), Input("url", "pathname"))
def user_name(_):
    return f"{current_user.username} ({current_user.role})" if current_user.is_authenticated else ""


# The light/dark switch: remembered in the browser, applied to Bootstrap's data-bs-theme.
clientside_callback(
    """function(dark, stored) {
        const trigger = (window.dash_clientside.callback_context.triggered[0] || {}).prop_id || "";
        const value = trigger.startsWith("theme-switch") ? (dark ? "dark" : "light") : (stored || "light");
        document.documentElement.setAttribute("data-bs-theme", value);
        return [value, value === "dark"];
    }""",
    Output("theme", "data"), Output("theme-switch", "value"),
    Input("theme-switch", "value"), State("theme", "data"),
)


@callback(Output("db-banner", "children"), Output("db-ok", "data"), Input("health-poll", "n_intervals"),
          State("db-ok", "data"))
def database_banner(_n, was_ok):
    """Say so while the database is unreachable; when it answers again, the data reloads by itself."""
    ok = database_ok()
    banner = None if ok else html.Div(
        "The database is unreachable: the figures shown may be out of date. Retrying every few seconds…",
        className="alert alert-danger py-2 mb-2", role="alert")
    return banner, (ok if ok != was_ok else dash.no_update)


# On a narrow screen the links fold behind the toggler; following a link folds them again.
clientside_callback(
    """function(clicks, path, open) {
        const trigger = (window.dash_clientside.callback_context.triggered[0] || {}).prop_id || "";
        return trigger.startsWith("navbar-toggler") ? !open : false;
    }""",
    Output("navbar-collapse", "is_open"),
    Input("navbar-toggler", "n_clicks"), Input("url", "pathname"), State("navbar-collapse", "is_open"),
)


# The filter bar means nothing on Admin: hide it there.
clientside_callback(
    """function(path) { return (path || "").startsWith("/admin") ? {display: "none"} : {}; }""",
    Output("filter-bar", "style"), Input("url", "pathname"),
)


clientside_callback(
    """function(clicks, open) { return clicks ? !open : open; }""",
    Output("filter-collapse", "is_open"), Input("filter-toggle", "n_clicks"), State("filter-collapse", "is_open"),
)
