"""Sales callbacks: bars that filter on click, the weekday x hour heatmap, the products grid and its export."""
from __future__ import annotations

from dataclasses import replace

from dash import Input, Output, State, callback, ctx, no_update

from callbacks import _figures as figures
from callbacks import _format as fmt
from callbacks._context import filters_from, guarded, warehouse
from callbacks._export import can_export, send
from callbacks._labels import linked
from callbacks._urls import cross_filter, with_chosen
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
    rows = with_chosen(warehouse().top_categories(replace(f, categories=()), 100), "category", f.categories, 15)
    return figures.hbars(rows, "category", theme, names.category, f.categories)


@callback(Output("sales-by-state", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def by_state(data, theme):
    """Every state, the chosen ones bright (as the category chart)."""
    f = filters_from(data)
    if f is None:
        return figures.empty(theme)
    return figures.hbars(warehouse().revenue_by_state(replace(f, states=())), "state", theme, names.state, f.states)


filter_by_category = cross_filter("sales-by-category", "category")
filter_by_state = cross_filter("sales-by-state", "state")


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
    return fmt.plain(linked(warehouse().top_products(f), f))


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
