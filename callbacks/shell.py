"""Keep the filter bar, the URL query string and the `filters` store in step; the theme; sellers' type-ahead.

The URL is the source of truth: a copied link reopens the same view and back/forward work. One
callback owns both directions (Dash allows a circular callback only within itself).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from urllib.parse import parse_qs, urlencode

import dash
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html
from dash.exceptions import PreventUpdate
from flask import current_app
from flask_login import current_user

from callbacks._context import current_scope, guarded, seller_choices, warehouse
from data import dashboards, exploration, filters as flt, names, questions
from data.sharing import SharingError


def _bounds():
    b = warehouse().bounds()
    return b["first"], b["last"], b


def _preset_for(start: date, end: date, b: dict) -> str:
    for key in (*flt.COMPLETE_PRESETS, "7d", "30d", "90d", "365d", "mtd", "qtd", "ytd", "all"):
        if flt.preset_range(key, b["first"], b["last"], b["complete"]) == (start, end):
            return key
    return "custom"


FILTER = {"type": "filter", "key": ALL}
# A page that needs a longer default range than the last 90 complete days: a forecast learns from a year.
PAGE_DEFAULTS = {"/forecast": "365c"}
NAV = {"type": "nav", "path": ALL}


def explores(path: str | None) -> bool:
    """Whether the page is Explore's: Explore itself or a saved question."""
    return path == "/explore" or (path or "").startswith("/questions/")


def page_parameters(path: str | None, search: str | None) -> dict[str, str]:
    """The page's own query values in `search` (Explore's question), which a change in the filter
    bar keeps; none on other pages."""
    own = exploration.OWN if explores(path) else ()
    return {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items() if k in own}


def saved_filters(path: str | None) -> dict[str, list[str]]:
    """On a saved question or a dashboard opened by a link without filters, the filters it keeps."""
    parts = (path or "").split("/")
    if len(parts) != 3 or parts[1] not in ("questions", "dashboards"):
        return {}
    engine = current_app.extensions["engine"]()
    try:
        kept = (questions.get(engine, current_user, parts[2]).query if parts[1] == "questions"
                else dashboards.get(engine, current_user, parts[2]).filters)
    except SharingError:
        return {}
    return {k: [v] for k, v in kept.items() if k in flt.BAR_KEYS}


@callback(
    Output("url", "search"), Output("filter-preset", "value"), Output("filter-dates", "start_date"),
    Output("filter-dates", "end_date"), Output(FILTER, "value"), Output(FILTER, "options"),
    Output("filters", "data"), Output("filter-range", "children"), Output("filter-chips", "children"),
    Output("notices", "children"), Output("filter-dates", "min_date_allowed"),
    Output("filter-dates", "max_date_allowed"), Output(NAV, "href"), Output(NAV, "active"),
    Output("filter-compare", "value"),
    Input("url", "search"), Input("filter-preset", "value"), Input("filter-dates", "start_date"),
    Input("filter-dates", "end_date"), Input(FILTER, "value"), Input("db-ok", "data"),
    Input("filter-compare", "value"), Input("data-version", "data"),
    State("url", "pathname"),
)
@guarded
def sync(search, preset, start, end, values, _db_ok, compare, version, path):
    """The URL is the filter state. Opened or stepped to (reload, link, Back, Forward), the URL is
    read and the bar shows it, and the URL is left as it is, so history gets no entry of its own;
    a change in the bar writes the URL (one history entry). Every filter's dropdown gets the chosen
    values among its options, so no value the URL holds is dropped by the dropdown."""
    first, last, b = _bounds()
    keys = [o["id"]["key"] for o in ctx.outputs_list[4]]
    paths = [o["id"]["path"] for o in ctx.outputs_list[12]]
    nav = ([_href(p, "") for p in paths], [_active(p, path) for p in paths])
    if first is None:  # an empty warehouse: nothing to filter
        return (dash.no_update,) * 4 + ([None] * len(keys), [[]] * len(keys), None, "No data loaded yet.", None,
                                        None, None, None) + nav + (dash.no_update,)
    trigger = ctx.triggered_id
    from_url = trigger in (None, "url", "db-ok", "data-version")  # new data: the URL's view of it
    default = PAGE_DEFAULTS.get(path or "/", flt.DEFAULT_PRESET)
    if from_url:
        args = {k: v for k, v in parse_qs((search or "").lstrip("?")).items()}
        if not any(k in args for k in flt.BAR_KEYS):
            args.update(saved_filters(path))
        compare = "year" if args.get("compare") == ["year"] else "previous"
        named = flt.relative(args) or (default if not args.keys() & {"start", "end"} else None)
    else:
        args = {k: v or [] for k, v in zip(keys, values)}
        if "status" in args and not args["status"]:
            args["status"] = ["all"]  # the Status dropdown cleared: every status, as every other cleared filter
        # A preset keeps moving with the data (range= in the URL); dates picked by hand stay put.
        named = preset if preset in flt.RELATIVE and trigger != "filter-dates" else None
        if named:
            args["range"] = named
        else:
            args.update(start=str(start or first.isoformat()), end=str(end or last.isoformat()))
    f, notices = flt.parse(args, first, last, b["values"], b["complete"], default)
    f, notices = _within_scope(f, notices)
    labels = warehouse().seller_labels(f.sellers)
    notices += [f"ignored seller={s[:8]!r}…: there is no such seller" for s in f.sellers if s not in labels]
    f = replace(f, sellers=tuple(s for s in f.sellers if s in labels))
    query = flt.to_query(f, named)
    if named == default:  # the page's default range is the bare URL's: no dates written
        query.pop("range")
    if compare == "year":  # not a filter: what the KPI cards compare with; the default is left out
        query["compare"] = "year"
    own = page_parameters(path, search)
    written = "?" + urlencode({**query, **own}, safe=",")
    # Opened from a URL with no filters in it: keep it bare (the default range follows the data).
    canonical = written if (not from_url or search not in (None, "", "?")) else ""
    excluded = [names.status(s) for s in b["values"]["status"] if s not in f.statuses]
    shown = [names.status(s) for s in b["values"]["status"] if s in f.statuses]
    left_out = (f". Left out: {', '.join(excluded)} orders (change Status to include them)" if len(excluded) <= 3
                else f". Only {', '.join(shown)} orders (change Status to include others)")
    text = (f"Showing {f.start:%d %b %Y} to {f.end:%d %b %Y} ({f.days:,} days; the data ends on {last:%d %b %Y}"
            + (f", complete through {b['complete']:%d %b %Y}" if b["complete"] and b["complete"] < last else "")
            + ")" + (left_out if excluded else ""))
    scope = current_scope()
    if scope.limited:
        text += f". Your access is limited to {scope.describe()}"
    alerts = [html.Div(n, className="alert alert-warning py-1 px-2 small mb-2") for n in flt.capped(notices)]
    options = _options(f, b, labels, scope)
    return (written if not from_url and written != search else dash.no_update,
            named or _preset_for(f.start, f.end, b), f.start.isoformat(), f.end.isoformat(),
            # New data leaves the dropdowns alone: one a reader has open stays open, as it was.
            *(([dash.no_update] * len(keys), [dash.no_update] * len(keys)) if trigger == "data-version" else
              ([_shown(f, k) for k in keys], [options[k] for k in keys])),
            {**flt.to_store(f), "compare": compare, "version": _version_of(version)}, text,
            _chips(f, {**query, **own}, path, labels) + _drill(f, query, path, labels),
            alerts,
            first.isoformat(), last.isoformat(), [_href(p, canonical) for p in paths], nav[1], compare)


def _version_of(shown) -> int | None:
    """The data version the page shows (the `data-version` store; anything else a crafted request
    sends is none)."""
    return shown.get("version") if isinstance(shown, dict) else None


def _within_scope(f: flt.Filters, notices: list[str]) -> tuple[flt.Filters, list[str]]:
    """The chosen states and sellers that lie inside the user's scope; a notice for each one left out.
    (The scope itself is applied on the server to every question; the bar shows only what was chosen.)"""
    scope = current_scope()
    states = tuple(s for s in f.states if scope.allows_state(s))
    sellers = tuple(s for s in f.sellers if scope.allows_seller(s))
    notices = notices + [f"ignored state={s!r}: outside your access" for s in f.states if s not in states]
    notices += [f"ignored seller={s[:8]!r}…: outside your access" for s in f.sellers if s not in sellers]
    return replace(f, states=states, sellers=sellers), notices


def _shown(f: flt.Filters, key: str) -> list[str]:
    """A dropdown's value: the chosen values (Status shows nothing, its placeholder, when all are chosen)."""
    values = list(getattr(f, flt.BY_KEY[key].attr))
    return [] if key == "status" and set(values) == set(flt.ALL_STATUSES) else values


def _options(f: flt.Filters, b: dict, sellers: dict, scope) -> dict[str, list[dict]]:
    """Each dropdown's choices: the values the data holds (in the order people read them), the states
    inside the user's scope, and the chosen sellers (the type-ahead finds the others)."""
    out = {dim.key: [{"label": dim.name(v), "value": v} for v in sorted(b["values"].get(dim.key, ()), key=dim.name)]
           for dim in flt.DIMENSIONS}
    out["state"] = ([{"label": names.state(s), "value": s} for s in sorted(flt.STATES, key=names.state)
                     if scope.allows_state(s)] + ([] if scope.states else [{"label": names.state("??"), "value": "??"}]))
    out["seller"] = [{"label": sellers[s], "value": s} for s in f.sellers]
    out["status"] = [{"label": names.status(s), "value": s} for s in flt.ALL_STATUSES]
    return out


def _chips(f: flt.Filters, query: dict, path: str | None, sellers: dict) -> list:
    """A chip per active filter value; its × is a link to the same view without that value."""
    label = {dim.key: dim.name for dim in flt.DIMENSIONS}
    label["seller"] = lambda s: sellers.get(s, s[:8])
    chips = []
    for dim in flt.DIMENSIONS:
        values = getattr(f, dim.attr)
        if dim.key == "status":
            if set(values) == set(dim.default):
                continue
            shown = "all" if set(values) == set(flt.ALL_STATUSES) else ", ".join(map(names.status, values))
            rest = {k: v for k, v in query.items() if k != "status"}
            chips.append(_chip(f"{dim.label}: {shown}", _href(path or "/", "?" + urlencode(rest, safe=",")),
                               dim.key, "default"))
            continue
        for v in values:
            rest = {**query, dim.key: ",".join(x for x in values if x != v)}
            rest = {k: x for k, x in rest.items() if x}
            chips.append(_chip(f"{dim.label}: {label[dim.key](v)}", _href(path or "/", "?" + urlencode(rest, safe=",")),
                               dim.key, v))
    return chips


def _drill(f: flt.Filters, query: dict, path: str | None, sellers: dict) -> list:
    """"Drill to" the next level of what is picked, on every page: a category's products, a state's
    cities, a seller's page (each a link that keeps the filters; none to the page one is on)."""
    path = path or "/"
    search = "?" + urlencode(query, safe=",") if query else ""
    links = []
    if f.categories and not path.startswith("/products"):
        links.append(("drill-products", f"the products of {', '.join(map(names.category, f.categories))}",
                      "/products"))
    if f.states and path != "/geography":
        links.append(("drill-cities", f"the cities of {', '.join(map(names.state, f.states))}", "/geography"))
    if len(f.sellers) == 1 and not path.startswith("/sellers/"):
        links.append(("drill-seller", f"the page of {sellers.get(f.sellers[0], f.sellers[0][:8])}",
                      f"/sellers/{f.sellers[0]}"))
    if not links:
        return []
    parts = [dcc.Link(f"{text} →", href=href + search, id=i) for i, text, href in links]
    return [html.Span(["Drill to: ", *sum(([p, " · "] for p in parts), [])[:-1]], className="small ms-2")]


def _chip(text: str, href: str, key: str, value: str):
    return html.Span([text, dcc.Link("×", href=href, className="ms-1 text-decoration-none fw-bold text-white",
                                     title=f"Remove {text}", id={"type": "chip-remove", "key": key, "value": value})],
                     className="badge rounded-pill text-bg-secondary fw-normal me-1 filter-chip")


def _href(path: str, query: str) -> str:
    return path + (query if query not in ("", "?") else "")


def _active(link: str, path: str | None) -> bool:
    path = path or "/"
    return path == link or (link != "/" and path.startswith(link.rstrip("/") + "/"))


SELLER = {"type": "filter", "key": "seller"}


@callback(Output(SELLER, "options", allow_duplicate=True), Input(SELLER, "search_value"), State(SELLER, "value"),
          prevent_initial_call=True)
@guarded
def seller_options(typed, chosen):
    """The seller type-ahead: the chosen sellers, then those matching what was typed."""
    if typed is None:
        raise PreventUpdate  # the dropdown closed: keep the options the shell gave it
    return seller_choices(typed, chosen)


@callback(Output("user-name", "children"), Output("user-role", "children"), Input("url", "pathname"))
def user_name(_):
    """The menu shows the name (room in the top bar is short); its first line, who and in what role."""
    if not current_user.is_authenticated:
        return "", ""
    return current_user.username, f"Signed in as {current_user.username} ({current_user.role})"


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


@callback(Output("db-banner", "children"), Output("db-ok", "data"), Output("data-version", "data"),
          Output("live-status", "data"),
          Input("health-poll", "n_intervals"), Input("live-switch", "value"),
          State("db-ok", "data"), State("data-version", "data"), State("live-status", "data"))
def follow(_n, live, was_ok, shown, said):
    """Each second: whether the database answers, and whether the data moved. A new data version
    (live) redraws the page's cards in place: `sync` reads the URL again (a relative range moves
    with the data) and the filters store, carrying the version, sets every card's callback off.
    Paused, the page keeps what it shows and says that newer data is there. One small read per
    process each half second answers every open page (data.version.Newest): no warehouse table."""
    if not current_user.is_authenticated:
        raise PreventUpdate
    newest = current_app.extensions["newest"]()
    ok = newest is not None
    banner = None if ok else html.Div(
        "The database is unreachable: the figures shown may be out of date. Retrying every few seconds…",
        className="alert alert-danger py-2 mb-2", role="alert")
    moved = ok and newest["version"] != _version_of(shown)
    follows = bool(live) and moved
    status = {"live": bool(live), "shown": (newest if follows else shown if isinstance(shown, dict) else None),
              "newer": newest if (moved and not live) else None}
    return (banner, (ok if ok != was_ok else dash.no_update), (newest if follows else dash.no_update),
            status if status != said else dash.no_update)


# "Updated 14:02:11" in the browser's own time zone (the word only where there is room); paused with
# newer data waiting, it says so.
clientside_callback(
    """function(status) {
        if (!status) { return [[], ""]; }
        const time = (at) => at ? new Date(at).toLocaleTimeString([], {hour12: false}) : "";
        const shown = status.shown || {};
        const word = (text) => ({type: "Span", namespace: "dash_html_components",
                                 props: {children: text, className: "live-word"}});
        if (!status.live) {
            const what = status.newer ? "newer data from " + time(status.newer.at)
                                      : (shown.at ? "updated " + time(shown.at) : "");
            return [[word("Paused · "), what],
                    "The page keeps what it shows" + (shown.at ? " (updated " + time(shown.at) + ")" : "") +
                    ": switch Live on to follow new data"];
        }
        if (!shown.at) { return [[], ""]; }
        return [[word("Updated "), time(shown.at)],
                "Updated " + new Date(shown.at).toLocaleString() + " (data version " + shown.version +
                "): the page redraws itself when new data lands"];
    }""",
    Output("live-updated", "children"), Output("live-updated", "title"), Input("live-status", "data"),
)


# On a narrow screen the links fold behind the toggler; following a link folds them again.
clientside_callback(
    """function(clicks, path, open) {
        const trigger = (window.dash_clientside.callback_context.triggered[0] || {}).prop_id || "";
        return trigger.startsWith("navbar-toggler") ? !open : false;
    }""",
    Output("navbar-collapse", "is_open"),
    Input("navbar-toggler", "n_clicks"), Input("url", "pathname"), State("navbar-collapse", "is_open"),
)


# Charts that lay themselves out by the window (small multiples) read its width class.
clientside_callback(
    """function(path) { return window.innerWidth < 768 ? "phone" : "wide"; }""",
    Output("viewport", "data"), Input("url", "pathname"),
)


# Explore's layout is not drawn again for the question it shows (pages/explore.py); once another page
# is shown, it is drawn again on return.
clientside_callback(
    """function(path, shown) {
        return (shown && shown.page === path) ? window.dash_clientside.no_update : null;
    }""",
    Output("explore-shown", "data"), Input("url", "pathname"), State("explore-shown", "data"),
)


# The filter bar means nothing on Admin, the lists of questions and dashboards, and Live (today, by
# the data's clock): hide it there.
clientside_callback(
    """function(path) {
        const lists = path === "/questions" || path === "/dashboards" || path === "/live";
        return ((path || "").startsWith("/admin") || lists) ? {display: "none"} : {};
    }""",
    Output("filter-bar", "style"), Input("url", "pathname"),
)


# The KPI cards' comparison means nothing on Explore and dashboards, whose questions choose their own.
clientside_callback(
    """function(path) {
        const parts = (path || "").split("/");
        const own = path === "/explore" || (parts.length === 3 && ["questions", "dashboards"].includes(parts[1]));
        return own ? {display: "none"} : {};
    }""",
    Output("filter-compare-col", "style"), Input("url", "pathname"),
)


clientside_callback(
    """function(clicks, open) { return clicks ? !open : open; }""",
    Output("filter-collapse", "is_open"), Input("filter-toggle", "n_clicks"), State("filter-collapse", "is_open"),
)
