"""Payments: how customers pay, in how many installments, and which orders do not add up (layout only)."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from data.metrics import METRICS
from pages._cards import ORDER_ID, card_title, chart_card, grid, kpi_card, table_tools

dash.register_page(__name__, path="/payments", name="Payments", order=4, title="Payments · Olist Analytics")

PAYMENTS = METRICS["payments"].definition
KPIS = [("value", "Payments", PAYMENTS),
        ("count", "Payment records", "Rows of the payments file for the selected orders (an order paid with a "
                                     "card and a voucher has two)."),
        ("card_installments", "Card installments", "Mean payment_installments of credit_card payments."),
        ("voucher_share", "Paid by voucher", "Voucher payment_value over all payment_value.")]
MONEY = {"function": "money(params.value)"}
RECONCILE_COLUMNS = [
    ORDER_ID,
    {"field": "purchase_date", "headerName": "Purchased"},
    {"field": "order_status", "headerName": "Status"},
    {"field": "state", "headerName": "State"},
    {"field": "order_value", "headerName": "Items + freight (R$)", "type": "numericColumn",
     "valueFormatter": MONEY},
    {"field": "payment_value", "headerName": "Payments (R$)", "type": "numericColumn",
     "valueFormatter": MONEY},
    {"field": "difference", "headerName": "Difference (R$)", "type": "numericColumn",
     "valueFormatter": MONEY},
]


def layout(**_query):
    return html.Div([
        dbc.Row([kpi_card("payments", *k) for k in KPIS]),
        dbc.Row([
            chart_card("Payment value by type over time", PAYMENTS + " By payment_type and purchase period.",
                       "payments-value", width=6),
            chart_card("Payments by type over time", "Payment records by payment_type and purchase period.",
                       "payments-count", width=6),
        ]),
        dbc.Row([
            chart_card("Installments", "Payment records by number of payment_installments, per payment type.",
                       "payments-installments", width=8),
            chart_card("Average installments by type", "Mean payment_installments per payment_type.",
                       "payments-average", width=4),
        ]),
        dbc.Row([dbc.Col(dbc.Card(dbc.CardBody([
            dbc.Row([
                dbc.Col(card_title("Reconciliation: payments against items plus freight",
                                   "Orders whose sum of payment_value differs from their revenue (price + "
                                   "freight_value of their items) by more than the tolerance. Largest "
                                   "differences first, up to 500; the totals cover all of them.")),
                dbc.Col(dbc.InputGroup([dbc.InputGroupText("Tolerance R$"),
                                        dbc.Input(id="payments-tolerance", type="number", min=0, step=0.01,
                                                  value=1, debounce=True, style={"maxWidth": "110px"})],
                                       size="sm"), width="auto"),
                dbc.Col(table_tools("payments-reconcile", RECONCILE_COLUMNS), width="auto"),
            ], className="g-2"),
            html.Div(id="payments-reconcile-totals", className="small my-2"),
            dcc.Loading(grid("payments-reconcile", RECONCILE_COLUMNS)),
            dcc.Download(id="payments-reconcile-download"),
        ])), width=12, className="mb-3")]),
    ])
