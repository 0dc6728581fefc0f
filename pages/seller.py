"""One seller: its figures against the marketplace, its trend, categories and worst reviews (layout only).

The seller id is part of the path (`/sellers/<seller_id>`); an id that is no seller gets a page that
says so, not an error.
"""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from pages._cards import ORDER_ID, card_title, chart_card, grid, kpi_card

dash.register_page(__name__, path_template="/sellers/<seller_id>", name="Seller",
                   title="Seller · Olist Analytics")

KPIS = [("revenue", "Revenue", "Revenue (price + freight_value) of the seller's items."),
        ("orders", "Orders", "Orders holding the seller's items."),
        ("review_score", "Average review", "Mean review_score of those orders."),
        ("on_time_rate", "On-time rate", "Delivered orders on or before the estimate, over delivered orders."),
        ("delivery_days", "Delivery days", "Mean delivery days of those delivered orders."),
        ("cancellation_rate", "Canceled", "Canceled orders over all of the seller's orders.")]
REVIEW_COLUMNS = [{"field": "date", "headerName": "Reviewed"},
                  {"field": "score", "headerName": "Score"},
                  {"field": "title", "headerName": "Title", "tooltipField": "title", "maxWidth": 260},
                  {"field": "message", "headerName": "Comment", "tooltipField": "message", "maxWidth": 520},
                  ORDER_ID]


def layout(seller_id=None, **_query):
    return html.Div([
        dcc.Store(id="seller-id", data=seller_id),
        html.Div(id="seller-header", className="mb-3"),
        html.Div(id="seller-body", children=[
            dbc.Row([kpi_card("seller", *k, lg=4, xxl=2) for k in KPIS]),
            dbc.Row([
                chart_card("Revenue and orders over time", "The seller's revenue and orders by purchase period.",
                           "seller-trend", width=8),
                chart_card("Categories", "Revenue of the seller's items by category.", "seller-categories", width=4),
            ]),
            dbc.Row([dbc.Col(dbc.Card(dbc.CardBody([
                card_title("Worst reviews", "The 20 lowest-scored reviews of the seller's orders, worst and newest "
                           "first, as written."),
                grid("seller-reviews", REVIEW_COLUMNS, page_size=20),
            ])), width=12, className="mb-3")]),
        ]),
    ])
