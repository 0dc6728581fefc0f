"""Customers: who buys, who comes back, how cohorts retain, RFM segments and lifetime value (layout only)."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from data.customers import GAP_BINS, SEGMENTS
from pages._cards import GRAPH_CONFIG, card_title, chart_card, kpi_card, table_card

dash.register_page(__name__, path="/customers", name="Customers", order=2, title="Customers · Olist Analytics")

PERSON = ("A customer is a person (customer_unique_id) with an order the filters select in the range; "
          "first orders and repeat customers look at all history.")
KPIS = [("customers", "Customers", "Distinct customer_unique_id among the selected orders."),
        ("new", "New customers", "Customers whose first order (in all history) falls in the range."),
        ("returning", "Returning customers", "Customers whose first order was before the range."),
        ("repeat_rate", "Repeat customers", "Customers with two or more orders in all history, over all customers."),
        ("second_order", "Median days to reorder", "Of the people whose first order falls in the range and "
                                                   "who ordered again: median days from first to second order."),
        ("ltv", "Average lifetime value", "Revenue of all the orders (all history, selected statuses) of the "
                                          "customers, over customers.")]
RFM = ("Per customer, over the selected orders in the range: recency (days from the last order to the range's "
       "end), frequency (orders) and monetary (their order_value). R and M are scored 1 to 5 by quintile "
       "(ties alike; R 5 = most recent); segments: " + " ".join(f"{name}: {rule}" for name, rule in SEGMENTS)
       + " Click a bar to list its customers.")
MONEY = {"function": "money(params.value)"}
MEMBER_COLUMNS = [
    {"field": "customer_unique_id", "headerName": "Customer (customer_unique_id)"},
    {"field": "revenue", "headerName": "Revenue (R$)", "type": "numericColumn", "valueFormatter": MONEY},
    {"field": "orders", "headerName": "Orders", "type": "numericColumn"},
    {"field": "recency", "headerName": "Days since last order", "type": "numericColumn"},
    {"field": "r", "headerName": "R", "type": "numericColumn"},
    {"field": "f", "headerName": "F", "type": "numericColumn"},
    {"field": "m", "headerName": "M", "type": "numericColumn"},
]
GAPS = ", ".join(f"{lo}+" if hi is None else f"{lo}-{hi}" for lo, hi in GAP_BINS)


def layout(**_query):
    return html.Div([
        dcc.Store(id="customers-segment"),
        dbc.Row([kpi_card("customers", *k, lg=4, xxl=2) for k in KPIS]),
        dbc.Row([
            chart_card("New and returning customers", "Per purchase period: customers whose first order falls in "
                       "it (new) and customers who ordered before (returning). " + PERSON, "customers-new-returning",
                       width=7),
            chart_card("Days from first to second order", "People whose first order falls in the range and who "
                       f"ordered again, by days to their second order (bins {GAPS}).", "customers-second-order",
                       width=5),
        ]),
        dbc.Row([dbc.Col(dbc.Card(dbc.CardBody([
            dbc.Row([
                dbc.Col(card_title("Monthly cohort retention",
                                   "Cohort: the month of a person's first order (all history), for people whose "
                                   "first order falls in the range and who bought, within the filters, that month. "
                                   "Column k: those who bought again k months later, within the range. Hover for "
                                   "counts and percentages.")),
                dbc.Col(dbc.RadioItems(id="customers-cohort-measure", inline=True, value="pct",
                                       options=[{"label": "Percent", "value": "pct"},
                                                {"label": "Customers", "value": "count"}]), width="auto"),
            ]),
            dcc.Loading(dcc.Graph(id="customers-cohorts", config=GRAPH_CONFIG)),  # tall as its cohorts need
        ])), width=12, className="mb-3")]),
        dbc.Row([
            chart_card("RFM segments", RFM, "customers-rfm", width=7),
            chart_card("Lifetime value tiers", "Customers by lifetime value (revenue of all their orders in all "
                       "history with the selected statuses): customers (bars) and share of revenue (dots).",
                       "customers-ltv", width=5),
        ]),
        table_card("Customers of the segment", RFM, "customers-members", MEMBER_COLUMNS,
                   extra=html.Div(id="customers-members-note", className="small text-body-secondary my-1")),
    ])
