"""Sales callbacks: bars that filter on click, the weekday x hour heatmap, the products grid and its export."""
from __future__ import annotations

from dataclasses import replace

from dash import Input, Output, State, callback, ctx, dcc, no_update

from callbacks import _figures as figures
from callbacks import _format as fmt
from callbacks._context import filters_from, guarded, warehouse
from callbacks._export import can_export, send
from callbacks._urls import clicked, toggled
from data import names

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@callback(Output("sales-by-category", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def by_category(data, theme):
    """The top 15 categories and any chosen ones, over every category: the chart filters the rest
    of the page, so it is not filtered by its own choice (the chosen bars stay bright)."""
    f = filters_from(data)
    if f is None:
        return figures.empty(theme)
    ranked = warehouse().top_categories(replace(f, categories=()), 100)
    rows = [r for k, r in enumerate(ranked) if k < 15 or r["category"] in f.categories]
    return figures.hbars(rows, "category", theme, names.category, f.categories)


@callback(Output("sales-by-state", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def by_state(data, theme):
    """Every state, the chosen ones bright (as the category chart)."""
    f = filters_from(data)
    if f is None:
        return figures.empty(theme)
    return figures.hbars(warehouse().revenue_by_state(replace(f, states=())), "state", theme, names.state, f.states)


@callback(Output("sales-drill", "children"), Input("filters", "data"), State("url", "search"))
def drill(data, search):
    """The next level of what the bars picked: a category's products, a seller's page. (A state has no
    finer level in the data: the export's cities are free text.)"""
    f = filters_from(data)
    if f is None or not f.categories:
        return None
    picked = ", ".join(names.category(c) for c in f.categories)
    return ["Drill to: ", dcc.Link(f"the products of {picked} →", href="/products" + (search or ""),
                                   id="sales-drill-products")]


@callback(Output("url", "search", allow_duplicate=True), Input("sales-by-category", "clickData"),
          Input("sales-by-state", "clickData"), State("url", "search"), prevent_initial_call=True)
def filter_on_click(category_click, state_click, search):
    """A click on a bar adds its category or state to the filters (and so to the URL); a click on a
    chosen one takes it off."""
    on_category = ctx.triggered_id == "sales-by-category"
    value = clicked(category_click if on_category else state_click)
    return no_update if value is None else toggled(search, "category" if on_category else "state", value)


@callback(Output("sales-heatmap", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def heatmap(data, theme):
    f = filters_from(data)
    rows = warehouse().weekday_hour(f) if f else []
    if not rows:
        return figures.empty(theme)
    grid = [[0] * 24 for _ in DAYS]
    for r in rows:
        grid[r["dow"] - 1][r["hour"]] = r["orders"]
    fig = figures.base(theme)
    fig.add_heatmap(z=grid, x=[f"{h:02d}h" for h in range(24)], y=DAYS, colorscale=figures.sequential(theme),
                    hovertemplate="%{y} %{x}<br>%{z:,} orders<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    return fig


@callback(Output("sales-products", "rowData"), Input("filters", "data"))
@guarded
def products(data):
    f = filters_from(data)
    if f is None:
        return []
    return fmt.plain(warehouse().top_products(f))


@callback(Output("sales-export-csv", "disabled"), Output("sales-export-xlsx", "disabled"),
          Output("sales-export-note", "children"), Input("url", "pathname"))
def export_allowed(_):
    allowed = can_export()
    return not allowed, not allowed, "" if allowed else "Viewers cannot export; ask an admin for the analyst role."


@callback(Output("sales-download", "data"), Input("sales-export-csv", "n_clicks"),
          Input("sales-export-xlsx", "n_clicks"), State("filters", "data"), prevent_initial_call=True)
@guarded
def export(_csv, _xlsx, data):
    """The export is decided on the server: a viewer gets nothing, whatever the page shows."""
    if not can_export():
        return no_update
    f = filters_from(data)
    name = "top-products"
    return send(warehouse().top_products(f) if f else [], name, ctx.triggered_id == "sales-export-xlsx",
                "Top products")
