"""Live: today as it happens, against the same weekday a week before (layout only).

The page follows new data by itself, as every page does (the top bar's Live switch); its cards
read the data's own clock, the latest purchase, not the server's.
"""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from data.metrics import METRICS
from pages._cards import ORDER_ID, card_title, chart_card, grid, kpi_card

dash.register_page(__name__, path="/live", name="Live", order=9, title="Live · Olist Analytics")

MONEY = {"function": "money(params.value)"}
UP_TO = " Today is the day of the latest purchase in the data, up to its minute; compared with the same weekday a " \
        "week before, up to the same minute. Canceled and unavailable orders are left out."
KPIS = [("orders", "Orders today", METRICS["orders"].definition + UP_TO),
        ("revenue", "Revenue today", METRICS["revenue"].definition + UP_TO),
        ("aov", "AOV today", METRICS["aov"].definition + UP_TO),
        ("lag", "Batch lag", "Seconds from a batch folder appearing in the watcher's inbox to its data being "
                             "visible (the load's commit): the median of the last 20 batches, and the slowest.")]
TICKER = [
    {"field": "purchased", "headerName": "Time", "valueFormatter": {"function": "clock(params.value)"},
     "sort": "desc", "maxWidth": 120},
    ORDER_ID,
    {"field": "state", "headerName": "State"},
    {"field": "status", "headerName": "Status"},
    {"field": "value", "headerName": "Value (R$)", "type": "numericColumn", "valueFormatter": MONEY},
    {"field": "categories", "headerName": "Categories", "minWidth": 180},
]
BATCHES = [
    {"field": "batch", "headerName": "Batch", "minWidth": 200},
    {"field": "new_orders", "headerName": "New orders", "type": "numericColumn"},
    {"field": "updated_orders", "headerName": "Updated", "type": "numericColumn"},
    {"field": "visible", "headerName": "Visible at", "valueFormatter": {"function": "clock(params.value)"}},
    {"field": "lag", "headerName": "Lag (s)", "type": "numericColumn",
     "valueFormatter": {"function": "seconds(params.value)"}},
    {"field": "status", "headerName": "Status"},
]
# A feed, not a report: newest first, no pages, rows keep their place by id as new ones arrive.
FEED = {"pagination": False, "animateRows": True, "paginationPageSizeSelector": False}


def feed_card(title: str, definition: str, grid_id: str, columns: list, rows: int, row_id: str, width: int):
    """A card with a feed: its grid keeps each row by `row_id`, so a new row slides in at the top."""
    return dbc.Col(dbc.Card(dbc.CardBody([
        card_title(title, definition),
        dcc.Loading(grid(grid_id, columns, page_size=rows, dashGridOptions=FEED, getRowId=f"params.data.{row_id}")),
    ])), xs=12, xl=width, className="mb-3")


def layout(**_query):
    return html.Div([
        html.Div(id="live-heading", className="mb-2"),
        dbc.Row([kpi_card("live", *k) for k in KPIS]),
        dbc.Row([chart_card("Orders per minute, the last three hours",
                            "Orders purchased in each minute up to the latest purchase, and in the same minutes a "
                            "week before (grey). Canceled and unavailable orders are left out.",
                            "live-minutes", width=12, height=280)]),
        dbc.Row([
            feed_card("Latest orders", "The 25 newest orders of today and yesterday, every status: when they were "
                                       "purchased, the customer's state, items plus freight and the categories of "
                                       "their items.", "live-orders", TICKER, 25, "order_id", 7),
            feed_card("Batches loaded", "The watcher's latest 20 batches (python -m etl watch): orders new and "
                                        "updated, when their data became visible and the lag from the folder "
                                        "appearing. Empty until a watcher runs.", "live-batches", BATCHES, 20,
                      "batch_id", 5),
        ]),
    ])
