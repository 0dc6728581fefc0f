"""Reviews: how customers score their orders, where scores are low, and what they wrote (layout only)."""
import dash
import dash_bootstrap_components as dbc
from dash import html

from data.metrics import METRICS
from pages._cards import ORDER_ID, chart_card, kpi_card, table_card

dash.register_page(__name__, path="/reviews", name="Reviews", order=6, title="Reviews · Olist Analytics")

SCORE = METRICS["review_score"].definition
KPIS = [(k, METRICS[k].label, METRICS[k].definition) for k in ("review_score", "reviews", "low_score_share",
                                                                 "comment_share")]
SELLER_COLUMNS = [
    {"field": "link", "headerName": "Seller (open)", "cellRenderer": "markdown"},
    {"field": "reviews", "headerName": "Reviews", "type": "numericColumn",
     "valueFormatter": {"function": "count(params.value)"}},
    {"field": "review_score", "headerName": "Average score", "type": "numericColumn",
     "valueFormatter": {"function": "score(params.value)"}},
    {"field": "orders", "headerName": "Orders", "type": "numericColumn",
     "valueFormatter": {"function": "count(params.value)"}},
    {"field": "revenue", "headerName": "Revenue (R$)", "type": "numericColumn",
     "valueFormatter": {"function": "money(params.value)"}},
]
# Text cells: AG Grid writes them as text, so markup in a review shows as typed, never as HTML.
LOW_COLUMNS = [
    {"field": "date", "headerName": "Reviewed"},
    {"field": "score", "headerName": "Score"},
    {"field": "state", "headerName": "State"},
    {"field": "title", "headerName": "Title", "tooltipField": "title", "maxWidth": 260},
    {"field": "message", "headerName": "Comment (hover for all of it)",
     "tooltipField": "message", "maxWidth": 520},
    ORDER_ID,
]


def layout(**_query):
    return html.Div([
        dbc.Row([kpi_card("reviews", *k) for k in KPIS]),
        dbc.Row([
            chart_card("Scores", "Reviews of the selected orders by review_score, 1 to 5.", "reviews-mix", width=4),
            chart_card("Average score over time", SCORE + " By the orders' purchase period.", "reviews-trend",
                       width=8),
        ]),
        dbc.Row([
            chart_card("Average score by category", SCORE + " Orders holding each category; the 12 categories "
                       "with most reviews.", "reviews-categories", width=6),
            chart_card("Review score by days late", "Mean review_score of delivered orders by days between the "
                       "estimated and the actual delivery date (negative: early).", "reviews-lateness", width=6),
        ]),
        table_card("Latest scores of 1 or 2", "The 100 newest reviews scoring 1 or 2 among the selected orders, "
                   "with their title and comment as written.", "reviews-low", LOW_COLUMNS),
        table_card("Sellers by reviews", SCORE + " Orders holding the seller's items (an order of two sellers "
                   "counts for both); up to 500 sellers, most reviewed first.", "reviews-sellers", SELLER_COLUMNS),
    ])
