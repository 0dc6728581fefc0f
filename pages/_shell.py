"""The frame every page sits in: top bar, sticky filter bar, notices, the page itself.

A module starting with "_" is not a page: Dash's page registry skips it.
"""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from data.filters import DEFAULT_PRESET, DIMENSIONS

PRESETS = [("Last 90 complete days", DEFAULT_PRESET), ("Last 365 complete days", "365c"),
           ("Last 7 days", "7d"), ("Last 30 days", "30d"), ("Last 90 days", "90d"), ("Last 365 days", "365d"),
           ("Month to date", "mtd"), ("Quarter to date", "qtd"), ("Year to date", "ytd"), ("All time", "all"),
           ("Custom", "custom")]


def navbar():
    """Links from the page registry (Admin for admins only); on a phone they fold behind a toggler.
    The shell keeps each link's query equal to the current filters, so moving between pages keeps them."""
    is_admin = current_user.is_authenticated and current_user.role == "admin"
    pages = [p for p in dash.page_registry.values()
             if not p["module"].endswith("not_found_404") and not p.get("path_template")
             and (is_admin or p["path"] != "/admin")]
    links, groups = [], {}
    for p in pages:
        group = p.get("group")  # pages that belong together share one menu (Analyze: Explore, Questions)
        if group is None:
            links.append(dbc.NavItem(dbc.NavLink(p["name"], href=p["relative_path"],
                                                 id={"type": "nav", "path": p["path"]})))
            continue
        if group not in groups:
            groups[group] = dbc.DropdownMenu([], label=group, nav=True, in_navbar=True, id=f"nav-{group.lower()}")
            links.append(groups[group])
        groups[group].children.append(dbc.DropdownMenuItem(p["name"], href=p["relative_path"],
                                                           id={"type": "nav", "path": p["path"]}))
    return dbc.Navbar(dbc.Container([
        dbc.NavbarBrand("Olist Analytics", href="/"),
        dbc.NavbarToggler(id="navbar-toggler", n_clicks=0),
        dbc.Collapse([
            dbc.Nav(links, navbar=True, className="me-auto"),
            html.Div([
                # When the data shown landed, and the switch that stops the page following new data
                # (for someone reading it); callbacks/shell.py follow.
                html.Span(id="live-updated", className="small text-light text-opacity-75 text-nowrap me-2 live-updated"),
                dbc.Switch(id="live-switch", label="Live", value=True, persistence=True, persistence_type="session",
                           className="me-3 mb-0 text-light"),
                html.Div(dbc.Switch(id="theme-switch", label="☾", value=False, className="mb-0 text-light"),
                         title="Dark theme", className="me-3"),
                dbc.DropdownMenu([
                    dbc.DropdownMenuItem(html.Span(id="user-role"), header=True),
                    dbc.DropdownMenuItem("Two-factor sign-in", href="/account/two-factor", external_link=True,
                                         id="user-two-factor"),
                    dbc.DropdownMenuItem(divider=True),
                    sign_out(),
                ], label=html.Span(id="user-name"), id="user-menu", align_end=True, size="sm", color="dark",
                    toggle_class_name="text-light text-nowrap", in_navbar=True),
            ], className="d-flex align-items-center py-2 py-xl-0"),
        ], id="navbar-collapse", navbar=True, is_open=False),
    ], fluid=True), color="dark", dark=True, expand="xl", className="mb-0", sticky="top")


def sign_out():
    """Sign out is a POST carrying the CSRF token (a link or an image elsewhere cannot sign anyone out)."""
    try:
        token = generate_csrf()
    except RuntimeError:  # outside a request (layout validation): no form to sign
        token = ""
    return html.Form([dcc.Input(type="hidden", name="csrf_token", value=token, id="sign-out-token"),
                      html.Button("Sign out", type="submit", id="sign-out", className="dropdown-item")],
                     method="POST", action="/logout", className="mb-0")


def filter_bar():
    """The dates, then one dropdown per declared filter dimension (data.filters.DIMENSIONS), wrapping
    onto a second line on a desktop; on a phone they fold behind a button, and the line saying what
    is shown, with a chip per active filter, stays."""
    dims = [dbc.Col([dbc.Label(d.label, html_for=f"filter-{d.key}", className="small mb-0"),
                     dcc.Dropdown(id={"type": "filter", "key": d.key}, placeholder=d.placeholder, multi=True,
                                  clearable=True, maxHeight=320, optionHeight=32)], md=4, lg=2,
                    id=f"filter-{d.key}")
            for d in DIMENSIONS]
    controls = dbc.Row([
        dbc.Col([dbc.Label("Dates", html_for="filter-preset", className="small mb-0"),
                 dcc.Dropdown(id="filter-preset", options=[{"label": a, "value": b} for a, b in PRESETS],
                              value=DEFAULT_PRESET, clearable=False, maxHeight=360)], md=4, lg=2),
        dbc.Col([dbc.Label("Custom range", className="small mb-0"),
                 dcc.DatePickerRange(id="filter-dates", display_format="YYYY-MM-DD", minimum_nights=0)],
                md=8, lg=4),
        dbc.Col([dbc.Label("Compare with", html_for="filter-compare", className="small mb-0"),
                 dcc.Dropdown(id="filter-compare", clearable=False, searchable=False, value="previous",
                              options=[{"label": "Previous period", "value": "previous"},
                                       {"label": "Same period last year", "value": "year"}])], md=4, lg=2,
                id="filter-compare-col"),
        *dims,
    ], className="g-2")
    return html.Div(dbc.Container([
        dbc.Button("Filters", id="filter-toggle", size="sm", color="secondary", outline=True, n_clicks=0,
                   className="d-md-none mt-2"),
        # Folded on a phone until asked for; always open from the md breakpoint up (d-md-block).
        dbc.Collapse(controls, id="filter-collapse", is_open=False, className="d-md-block pt-2"),
        html.Div([html.Span(id="filter-range"), html.Span(id="filter-chips", className="ms-1")],
                 className="small text-body-secondary mt-1 pb-2"),
    ], fluid=True), className="filter-bar border-bottom bg-body", id="filter-bar")


def _newest():
    """The latest data version, when the page is served in a request (None otherwise, or in an outage)."""
    from flask import current_app, has_request_context

    return current_app.extensions["newest"]() if has_request_context() else None


def shell():
    return html.Div([
        dcc.Location(id="url", refresh="callback-nav"),
        dcc.Store(id="filters"),
        dcc.Store(id="theme", storage_type="local"),
        dcc.Store(id="db-ok", data=True),
        # The data version the page shows ({"version", "at"}): its cards were drawn from it; a newer
        # one redraws them in place (callbacks/shell.py follow). Known when the page is served, so
        # the first poll does not draw the page twice.
        dcc.Store(id="data-version", data=_newest()),
        dcc.Store(id="live-status"),
        dcc.Store(id="explore-shown"),  # the question Explore shows (callbacks/explore.py)
        dcc.Store(id="viewport"),  # the window's width class ("phone" or "wide"), for charts laid out by it
        dcc.Interval(id="health-poll", interval=1_000),
        navbar(),
        filter_bar(),
        dbc.Container([html.Div(id="db-banner"), html.Div(id="notices"), dash.page_container],
                      fluid=True, className="py-3"),
    ])
