"""Sales callbacks: bars that filter on click, the weekday x hour heatmap, the products grid and its export."""
from __future__ import annotations

from dash import Input, Output, State, callback, ctx, no_update

from callbacks import _figures as figures
from callbacks._context import filters_from, guarded, warehouse
from callbacks._export import can_export, send
from callbacks._urls import with_filter

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@callback(Output("sales-by-category", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def by_category(data, theme):
    f = filters_from(data)
    return figures.hbars(warehouse().top_categories(f, 15), "category", theme) if f else figures.empty(theme)


@callback(Output("sales-by-state", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def by_state(data, theme):
    f = filters_from(data)
    return (figures.hbars(warehouse().revenue_by_state(f), "state", theme, prettify=False)
            if f else figures.empty(theme))


@callback(Output("url", "search", allow_duplicate=True), Input("sales-by-category", "clickData"),
          Input("sales-by-state", "clickData"), State("url", "search"), prevent_initial_call=True)
def filter_on_click(category_click, state_click, search):
    """A click on a bar adds its category or state to the filters (and so to the URL)."""
    click = category_click if ctx.triggered_id == "sales-by-category" else state_click
    if not click or not click.get("points"):
        return no_update
    value = click["points"][0]["customdata"][0]
    return with_filter(search, "category" if ctx.triggered_id == "sales-by-category" else "state", value)


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
    return [{**r, "revenue": float(r["revenue"]), "average_price": float(r["average_price"])}
            for r in warehouse().top_products(f)]


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
    name = f"top-products-{f.start}-{f.end}" if f else "top-products"
    return send(warehouse().top_products(f) if f else [], name, ctx.triggered_id == "sales-export-xlsx",
                "Top products")
