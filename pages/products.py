"""Products: categories, price bands, how concentrated revenue is, category trends, top products (layout only)."""
import dash
import dash_bootstrap_components as dbc
from dash import html

from data.metrics import METRICS
from pages._cards import RATE, chart_card, kpi_card, table_card

dash.register_page(__name__, path="/products", name="Products", order=2.5, title="Products · Olist Analytics")

REVENUE = METRICS["revenue"].definition
MONEY = {"function": "money(params.value)"}
COUNT = {"function": "count(params.value)"}
KPIS = [("products", "Products sold", "Distinct products with an item in the selected orders."),
        ("categories", "Categories sold", "Categories with an item in the selected orders."),
        ("top20", "Top 20% of products' share", "Revenue of the largest fifth of the products over all revenue."),
        ("average_price", "Average item price", "Sum of price over the items of the selected orders.")]
CATEGORY_COLUMNS = [
    {"field": "category", "headerName": "Category"},
    {"field": "revenue", "headerName": "Revenue (R$)", "type": "numericColumn", "valueFormatter": MONEY},
    {"field": "share", "headerName": "Share", **RATE},
    {"field": "items", "headerName": "Items", "type": "numericColumn", "valueFormatter": COUNT},
    {"field": "orders", "headerName": "Orders", "type": "numericColumn", "valueFormatter": COUNT},
    {"field": "average_price", "headerName": "Average price (R$)", "type": "numericColumn",
     "valueFormatter": MONEY},
    {"field": "review_score", "headerName": "Average review", "type": "numericColumn",
     "valueFormatter": {"function": "score(params.value)"}},
]
PRODUCT_COLUMNS = [
    {"field": "link", "headerName": "Product (open)", "cellRenderer": "markdown"},
    {"field": "revenue", "headerName": "Revenue (R$)", "type": "numericColumn", "valueFormatter": MONEY},
    {"field": "items", "headerName": "Items", "type": "numericColumn", "valueFormatter": COUNT},
    {"field": "orders", "headerName": "Orders", "type": "numericColumn", "valueFormatter": COUNT},
    {"field": "average_price", "headerName": "Average price (R$)", "type": "numericColumn",
     "valueFormatter": MONEY},
]


def layout(**_query):
    return html.Div([
        dbc.Row([kpi_card("products", *k) for k in KPIS]),
        table_card("Categories", REVENUE + " Items of each category; orders holding it; average price: price over "
                   "items; average review: " + METRICS["review_score"].definition + " Share: of all categories' "
                   "revenue.", "products-categories", CATEGORY_COLUMNS),
        dbc.Row([
            chart_card("Items by price band", "Items of the selected orders by the band their price falls in "
                       "(bars), and the bands' share of product revenue (dots).", "products-bands", width=6),
            chart_card("Revenue concentration (Pareto)", "Cumulative share of revenue from the products, largest "
                       "first, against the share of products. " + REVENUE, "products-pareto", width=6),
        ]),
        dbc.Row([chart_card("Category trends", "Revenue per purchase period of the 12 categories with most "
                            "revenue in the view, each on its own scale. " + REVENUE, "products-trends", width=12,
                            height=None)]),
        table_card("Top products", REVENUE + " Up to 500 products by revenue; open one for its trend, sellers and "
                   "reviews.", "products-top", PRODUCT_COLUMNS),
    ])
