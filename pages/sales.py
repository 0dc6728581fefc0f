"""Sales: where revenue comes from, when people buy, and which products sell (layout only)."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from data.metrics import METRICS
from pages._cards import card_title, chart_card, column_chooser, grid

dash.register_page(__name__, path="/sales", name="Sales", order=1, title="Sales · Olist Analytics")

PRODUCT_COLUMNS = [
    {"field": "link", "headerName": "Product (open)", "cellRenderer": "markdown"},
    {"field": "revenue", "headerName": "Revenue (R$)", "type": "numericColumn",
     "valueFormatter": {"function": "money(params.value)"}},
    {"field": "items", "headerName": "Items", "type": "numericColumn", "valueFormatter": {"function": "count(params.value)"}},
    {"field": "orders", "headerName": "Orders", "type": "numericColumn", "valueFormatter": {"function": "count(params.value)"}},
    {"field": "average_price", "headerName": "Average price (R$)", "type": "numericColumn",
     "valueFormatter": {"function": "money(params.value)"}},
]


def layout(**_query):
    revenue = METRICS["revenue"].definition
    return html.Div([
        dbc.Row([
            chart_card("Revenue by category (click a bar to filter, again to clear)",
                       revenue + " Items of each category.", "sales-by-category", width=6, height=600),
            chart_card("Revenue by customer state (click a bar to filter, again to clear)", revenue,
                       "sales-by-state", width=6, height=600),
        ]),
        dbc.Row([chart_card("Orders by day of week and hour of purchase",
                            METRICS["orders"].definition + " Local time of order_purchase_timestamp.",
                            "sales-heatmap", width=12)]),
        dbc.Row([dbc.Col(dbc.Card(dbc.CardBody([
            dbc.Row([
                dbc.Col(card_title("Top products by revenue", revenue + " Up to 500 products.")),
                dbc.Col([column_chooser("sales-products", PRODUCT_COLUMNS),
                         dbc.Button("Export CSV", id="sales-export-csv", size="sm", color="secondary",
                                    outline=True, className="me-2"),
                         dbc.Button("Export Excel", id="sales-export-xlsx", size="sm", color="secondary",
                                    outline=True)], width="auto"),
            ]),
            html.Div(id="sales-export-note", className="small text-body-secondary"),
            dcc.Loading(grid("sales-products", PRODUCT_COLUMNS, page_size=20)),
            dcc.Download(id="sales-download"),
        ])), width=12, className="mb-3")]),
    ])
