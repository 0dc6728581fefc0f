"""Delivery: how fast and how reliably orders arrive, and what lateness does to reviews (layout only)."""
import dash
import dash_bootstrap_components as dbc
from dash import html

from data.metrics import METRICS
from pages._cards import chart_card, kpi_card

dash.register_page(__name__, path="/delivery", name="Delivery", order=5, title="Delivery · Olist Analytics")

DELIVERED = "Delivered orders: status delivered with a delivery date."
KPIS = [
    ("on_time_rate", "On-time rate", METRICS["on_time_rate"].definition),
    ("late_share", "Late share", "Delivered orders that arrived after the estimated date (by date), over "
                                 "delivered orders."),
    ("delivery_days", "Delivery days", METRICS["delivery_days"].definition),
    ("estimated_days", "Promised days", "Mean of order_estimated_delivery_date - purchase date, in days, over "
                                        "delivered orders: what the customer was told."),
    ("handoff_days", "Approval to carrier", "Mean of order_delivered_carrier_date - order_approved_at, in days, "
                                            "over orders with both dates: how long sellers take to ship."),
]


def layout(**_query):
    return html.Div([
        dbc.Row([kpi_card("delivery", *k, lg=True) for k in KPIS]),
        dbc.Row([
            chart_card("On-time rate and late share over time", METRICS["on_time_rate"].definition + " " + DELIVERED,
                       "delivery-trend", width=6),
            chart_card("Promised against actual delivery days", "Mean promised days (estimate - purchase) and "
                       "mean actual delivery days of delivered orders, by purchase period.", "delivery-promise",
                       width=6),
        ]),
        dbc.Row([
            chart_card("Delivery days: distribution", "Delivered orders by whole days from purchase to delivery; "
                       "the last bar is 60 days or more.", "delivery-histogram", width=6),
            chart_card("Delivery days and late share by customer state", "Mean delivery days (bars) and late share "
                       "(dots) of each state's delivered orders, slowest first.", "delivery-states", width=6),
        ]),
        dbc.Row([chart_card("Review score by days late", "Mean review_score of delivered orders by days between "
                            "the estimated and the actual delivery date (negative: early; clipped at 30). "
                            "Hover for the orders and reviews behind each bar.", "delivery-reviews", width=12)]),
    ])
