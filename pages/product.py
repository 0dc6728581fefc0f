"""One product: its figures, trend, sellers and reviews (layout only).

The product id is part of the path (`/products/<product_id>`); an id that is no product gets a
page that says so, not an error.
"""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from data.metrics import METRICS
from pages._cards import ORDER_ID, chart_card, kpi_card, table_card

dash.register_page(__name__, path_template="/products/<product_id>", name="Product",
                   title="Product · Olist Analytics")

KPIS = [("revenue", "Revenue", "Revenue (price + freight_value) of the product's items in the selected orders."),
        ("items", "Items", "The product's items in the selected orders."),
        ("orders", "Orders", "Selected orders holding the product."),
        ("average_price", "Average price", "Mean price of those items."),
        ("review_score", "Average review", METRICS["review_score"].definition + " Orders holding the product.")]
MONEY = {"function": "money(params.value)"}
SELLER_COLUMNS = [
    {"field": "link", "headerName": "Seller (open)", "cellRenderer": "markdown"},
    {"field": "state", "headerName": "State"},
    {"field": "items", "headerName": "Items", "type": "numericColumn", "valueFormatter": {"function": "count(params.value)"}},
    {"field": "orders", "headerName": "Orders", "type": "numericColumn", "valueFormatter": {"function": "count(params.value)"}},
    {"field": "revenue", "headerName": "Revenue (R$)", "type": "numericColumn", "valueFormatter": MONEY},
    {"field": "average_price", "headerName": "Average price (R$)", "type": "numericColumn",
     "valueFormatter": MONEY},
]
# Text cells: AG Grid writes them as text, so markup in a review shows as typed, never as HTML.
REVIEW_COLUMNS = [{"field": "date", "headerName": "Reviewed"},
                  {"field": "score", "headerName": "Score"},
                  {"field": "title", "headerName": "Title", "tooltipField": "title", "maxWidth": 260},
                  {"field": "message", "headerName": "Comment", "tooltipField": "message", "maxWidth": 520},
                  ORDER_ID]


def layout(product_id=None, **_query):
    return html.Div([
        dcc.Store(id="product-id", data=product_id),
        html.Div(id="product-header", className="mb-3"),
        html.Div(id="product-body", children=[
            dbc.Row([kpi_card("product", *k, lg=True) for k in KPIS]),
            dbc.Row([chart_card("Revenue and orders over time", "The product's revenue and orders by purchase "
                                "period.", "product-trend", width=12)]),
            table_card("Sellers", "Who sold the product in the selected orders: items, orders, revenue, average "
                       "price.", "product-sellers", SELLER_COLUMNS),
            table_card("Reviews", "The 50 lowest-scored reviews of the selected orders holding the product, worst "
                       "and newest first, as written.", "product-reviews", REVIEW_COLUMNS),
        ]),
    ])
