"""Sellers: who sells, how concentrated revenue is, and where sellers are (layout only)."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from data.metrics import METRICS
from pages._cards import RATE, card_title, chart_card, grid, kpi_card, table_tools

dash.register_page(__name__, path="/sellers", name="Sellers", order=3, title="Sellers · Olist Analytics")

SELLER = ("Per seller: the orders holding its items (an order of two sellers counts for both) and the "
          "revenue (price + freight_value) of its items.")
COLUMNS = [
    {"field": "link", "headerName": "Seller (open)", "cellRenderer": "markdown"},
    {"field": "state", "headerName": "State"},
    {"field": "revenue", "headerName": "Revenue (R$)", "type": "numericColumn",
     "valueFormatter": {"function": "money(params.value)"}},
    {"field": "share", "headerName": "Share", **RATE},
    {"field": "orders", "headerName": "Orders", "type": "numericColumn",
     "valueFormatter": {"function": "count(params.value)"}},
    {"field": "items", "headerName": "Items", "type": "numericColumn",
     "valueFormatter": {"function": "count(params.value)"}},
    {"field": "review_score", "headerName": "Review", "type": "numericColumn",
     "valueFormatter": {"function": "score(params.value)"}},
    {"field": "on_time_rate", "headerName": "On time", **RATE},
    {"field": "delivery_days", "headerName": "Delivery days", "type": "numericColumn",
     "valueFormatter": {"function": "days(params.value)"}},
    {"field": "cancellation_rate", "headerName": "Canceled", **RATE},
]
KPIS = [("sellers", "Sellers with orders", "Sellers with at least one order within the filters."),
        ("top10", "Top 10 sellers' share", "Revenue of the 10 largest sellers over all sellers' revenue."),
        ("median", "Median seller revenue", "Half the sellers sold more than this within the filters.")]


def layout(**_query):
    return html.Div([
        dbc.Row([kpi_card("sellers", *k, lg=4) for k in KPIS]),
        dbc.Row([
            chart_card("Concentration (Lorenz curve)", "Cumulative share of revenue against the cumulative share "
                       "of sellers, smallest first; the diagonal is perfect equality. " + SELLER, "sellers-lorenz",
                       width=6),
            chart_card("Sellers by state", "Revenue of the sellers of each seller state (bars) and how many "
                       "sellers (dots). " + SELLER, "sellers-states", width=6),
        ]),
        dbc.Row([dbc.Col(dbc.Card(dbc.CardBody([
            dbc.Row([
                dbc.Col(card_title("Leaderboard", SELLER + " Up to 500 sellers by revenue; the cancellation rate "
                                   "counts canceled orders over all statuses. " + METRICS["on_time_rate"].definition)),
                dbc.Col(dbc.Input(id="sellers-search", placeholder="Search sellers (id, city, state)", size="sm",
                                  debounce=False), width="auto"),
                dbc.Col(table_tools("sellers-board", COLUMNS), width="auto"),
            ], className="g-2"),
            dcc.Loading(grid("sellers-board", COLUMNS, page_size=20)),
            dcc.Download(id="sellers-board-download"),
        ])), width=12, className="mb-3")]),
    ])
