"""Products callbacks: KPI cards, the category table, price bands, Pareto, category trends, top
products (each opens its page), and the one-product page."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html, no_update

from callbacks import _compare as compare
from callbacks import _figures as figures
from callbacks._context import filters_from, guarded, together, warehouse
from callbacks._export import table_export
from callbacks._format import plain
from callbacks._grids import totals_row
from callbacks._labels import linked
from data import names, queries
from data.filters import ALL_STATUSES
from data.metrics import ratio


CARDS = [compare.Kpi("products", "count"), compare.Kpi("categories", "count"), compare.Kpi("top20", "pct", "none"),
         compare.Kpi("average_price", "money")]


@callback(compare.outputs("products", CARDS), Input("filters", "data"))
@guarded
def kpis(data):
    return compare.answer(data, CARDS, _kpi_values)


def _kpi_values(f) -> dict:
    w = warehouse()
    table, shape = together(lambda: w.category_table(f), lambda: w.pareto(f))
    return {"products": shape["products"], "categories": len(table), "top20": shape["top20_share"],
            "average_price": w.kpis(f)["average_price"]}


@callback(Output("products-categories", "rowData"), Input("filters", "data"))
@guarded
def categories(data):
    f = filters_from(data)
    return plain(warehouse().category_table(f)) if f else []


@callback(Output("products-bands", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def bands(data, theme):
    f = filters_from(data)
    rows = warehouse().price_bands(f) if f else []
    if not rows:
        return figures.empty(theme)
    total = sum((r["revenue"] for r in rows), Decimal(0))
    fig = figures.base(theme)
    x = [r["band"] for r in rows]
    fig.add_bar(x=x, y=[r["items"] for r in rows], name="Items", hovertemplate="%{x}<br>%{y:,} items<extra></extra>")
    fig.add_scatter(x=x, y=[float(ratio(r["revenue"], total) or 0) for r in rows], name="Share of product revenue",
                    yaxis="y2", mode="markers+lines", hovertemplate="%{x}<br>%{y:.1%} of product revenue<extra></extra>")
    return figures.two_axes(fig, {"separatethousands": True, "title": "Items"}, "Share of product revenue",
                            right_percent=True)


@callback(Output("products-pareto", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def pareto(data, theme):
    f = filters_from(data)
    shape = warehouse().pareto(f) if f else {"curve": []}
    if not shape["curve"]:
        return figures.empty(theme)
    fig = figures.share_curve(shape["curve"], theme, "Products", "largest %{x:.1%} of products<br>%{y:.1%} of "
                              "revenue<extra></extra>", f"Products ({shape['products']:,}), largest first")
    fig.add_scatter(x=[0.2], y=[shape["top20_share"]], mode="markers+text", name="Top 20%",
                    text=[f"top 20%: {shape['top20_share']:.0%}"], textposition="middle right",
                    marker={"size": 9}, hoverinfo="skip")
    fig.update_layout(showlegend=False)
    return fig


@callback(Output("products-trends", "figure"), Input("filters", "data"), Input("theme", "data"),
          Input("viewport", "data"))
@guarded
def trends(data, theme, viewport=None):
    """Small multiples: four a row, or two on a phone (four collided there), each panel the same size."""
    f = filters_from(data)
    rows = warehouse().category_trends(f, queries.auto_grain(f)) if f else []
    if not rows:
        return figures.empty(theme)
    found = list(dict.fromkeys(r["category"] for r in rows))
    panels = [(names.category(c), [r["period"] for r in rows if r["category"] == c],
               [float(r["revenue"]) for r in rows if r["category"] == c]) for c in found]
    cols = 2 if viewport == "phone" else 4
    fig = figures.small_multiples(panels, theme, "%{x|%d %b %Y}<br>R$ %{y:,.2f}", cols=cols,
                                  vgap=0.06 if cols == 2 else 0.09)
    fig.update_layout(height=-(-len(panels) // cols) * (150 if cols == 2 else 170) + 60)
    return fig


@callback(Output("products-top", "rowData"), Input("filters", "data"))
@guarded
def top(data):
    f = filters_from(data)
    return plain(linked(warehouse().top_products(f), f)) if f else []


# Revenue, its shares and items add up; orders do not (an order of two categories is in both rows).
totals_row("products-categories", "category", ("revenue", "share", "items"), "All categories")
table_export("products-categories", lambda f: warehouse().category_table(f),
             lambda f: "categories", "Categories")
table_export("products-top", lambda f: warehouse().top_products(f),
             lambda f: "top-products", "Top products")


# One product.

@callback(Output("product-header", "children"), Output("product-body", "style"), Input("product-id", "data"))
@guarded
def header(product_id):
    found = warehouse().product(product_id or "")
    if found is None:
        return dbc.Alert([html.Strong("No such product. "), f"No product has the id {str(product_id)[:60]!r}. ",
                          html.A("Back to the products", href="/products")], color="warning"), {"display": "none"}
    size = [f"{found[k]:,} {unit}" for k, unit in (("product_weight_g", "g"),) if found.get(k) is not None]
    dims = [found.get(k) for k in ("product_length_cm", "product_height_cm", "product_width_cm")]
    if all(d is not None for d in dims):
        size.append(" x ".join(str(d) for d in dims) + " cm")
    details = [f"Product {found['product_id']}"] + size + (["not in the products file"] if found["is_unknown"] else [])
    return html.Div([html.H4(names.product(found["product_id"], found["product_category_name_english"]),
                             className="mb-0"),
                     html.Div(" · ".join(details), className="text-body-secondary"),
                     html.A("← all products", href="/products", className="small")]), {}


def _product_filters(data, product_id):
    """The filters and the product's id, or (None, None) when either is missing."""
    f = filters_from(data)
    found = warehouse().product(product_id or "") if f else None
    return (None, None) if found is None else (f, found["product_id"])


PRODUCT_CARDS = [compare.Kpi("revenue", "money"), compare.Kpi("items", "count"), compare.Kpi("orders", "count"),
                 compare.Kpi("average_price", "money", "none"), compare.Kpi("review_score", "score")]


@callback(compare.outputs("product", PRODUCT_CARDS), Input("filters", "data"), Input("product-id", "data"))
@guarded
def product_kpis(data, product_id):
    """The product's KPIs with their change against the compared period, as on every page."""
    f, pid = _product_filters(data, product_id)
    if f is None:
        return [no_update] * (3 * len(PRODUCT_CARDS))
    return compare.answer(data, PRODUCT_CARDS, lambda view: warehouse().product_kpis(view, pid))


@callback(Output("product-trend", "figure"), Input("filters", "data"), Input("product-id", "data"),
          Input("theme", "data"))
@guarded
def product_trend(data, product_id, theme):
    f, pid = _product_filters(data, product_id)
    rows = warehouse().product_trend(f, pid, queries.auto_grain(f)) if f else []
    fig = figures.revenue_and_orders(rows, theme, {})
    return figures.mark_incomplete(fig, f, queries.auto_grain(f), warehouse().bounds()["complete"]) if rows else fig


@callback(Output("product-sellers", "rowData"), Input("filters", "data"), Input("product-id", "data"))
@guarded
def product_sellers(data, product_id):
    f, pid = _product_filters(data, product_id)
    if f is None:
        return []
    return plain(linked(warehouse().product_sellers(f, pid), f))


@callback(Output("product-reviews", "rowData"), Input("filters", "data"), Input("product-id", "data"))
@guarded
def product_reviews(data, product_id):
    f, pid = _product_filters(data, product_id)
    return warehouse().product_reviews(replace(f, statuses=ALL_STATUSES), pid) if f else []


def _product_rows(question):
    """Export rows of one of the product page's tables (`question(warehouse, f, product_id)`; none
    for an unknown product)."""
    def rows(f, product_id):
        found = warehouse().product(product_id or "")
        return question(warehouse(), f, found["product_id"]) if found else []
    return rows


table_export("product-sellers", _product_rows(lambda w, f, pid: w.product_sellers(f, pid)),
             lambda f: "product-sellers", "Sellers", State("product-id", "data"))
table_export("product-reviews", _product_rows(lambda w, f, pid: w.product_reviews(f, pid)),
             lambda f: "product-reviews", "Reviews", State("product-id", "data"))
