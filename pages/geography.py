"""Geography: the filtered view on a map of Brazil's states, and where orders travel (layout only)."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from data.metrics import METRICS
from pages._cards import MAP_CONFIG, RATE, card_title, grid, table_card, table_tools

dash.register_page(__name__, path="/geography", name="Geography", order=7, title="Geography · Olist Analytics")

MAP_METRICS = ("revenue", "orders", "customers", "aov", "on_time_rate", "review_score", "freight_per_order")
MONEY = {"function": "money(params.value)"}
COUNT = {"function": "count(params.value)"}
NUMBER = {"type": "numericColumn"}
STATE_COLUMNS = [
    {"field": "state", "headerName": "State"},
    {"field": "revenue", "headerName": "Revenue (R$)", "valueFormatter": MONEY, **NUMBER},
    {"field": "orders", "headerName": "Orders", "valueFormatter": COUNT, **NUMBER},
    {"field": "customers", "headerName": "Customers", "valueFormatter": COUNT, **NUMBER},
    {"field": "aov", "headerName": "AOV (R$)", "valueFormatter": MONEY, **NUMBER},
    {"field": "on_time_rate", "headerName": "On-time", **RATE},
    {"field": "review_score", "headerName": "Review", "valueFormatter": {"function": "score(params.value)"},
     **NUMBER},
    {"field": "freight_per_order", "headerName": "Freight / order (R$)", "valueFormatter": MONEY, **NUMBER},
]
CITY_COLUMNS = [
    {"field": "city", "headerName": "City"},
    {"field": "state", "headerName": "State"},
    {"field": "revenue", "headerName": "Revenue (R$)", "valueFormatter": MONEY, **NUMBER},
    {"field": "orders", "headerName": "Orders", "valueFormatter": COUNT, **NUMBER},
]
FLOW_COLUMNS = [
    {"field": "seller_state", "headerName": "From (seller state)"},
    {"field": "customer_state", "headerName": "To (customer state)"},
    {"field": "orders", "headerName": "Orders", "valueFormatter": COUNT, **NUMBER},
    {"field": "items", "headerName": "Items", "valueFormatter": COUNT, **NUMBER},
    {"field": "revenue", "headerName": "Revenue (R$)", "valueFormatter": MONEY, **NUMBER},
    {"field": "freight", "headerName": "Freight (R$)", "valueFormatter": MONEY, **NUMBER},
    {"field": "delivery_days", "headerName": "Delivery days", "valueFormatter": {"function": "days(params.value)"},
     **NUMBER},
]


def layout(**_query):
    return html.Div([
        dbc.Row([
            dbc.Col(dbc.Card(dbc.CardBody([
                dbc.Row([
                    dbc.Col(card_title("Customer states on the map (click a state to filter)",
                                       "Each state colours by the chosen metric, computed over the orders of "
                                       "customers in that state. " + " ".join(
                                           f"{METRICS[m].label}: {METRICS[m].definition}" for m in MAP_METRICS))),
                    dbc.Col(dcc.Dropdown(id="geography-metric", clearable=False, value="revenue",
                                         options=[{"label": METRICS[m].label, "value": m} for m in MAP_METRICS],
                                         style={"minWidth": "190px"}), width="auto"),
                ]),
                dcc.Loading(dcc.Graph(id="geography-map", config=MAP_CONFIG, style={"height": "520px"})),
                html.Div(["State outlines: ", html.A("click_that_hood", href="/assets/LICENSE-brazil-states.txt"),
                          " (Code for America, MIT), from CodeGeo's shapefiles; simplified."],
                         className="small text-body-secondary"),
            ])), xs=12, lg=6, className="mb-3"),
            dbc.Col(dbc.Card(dbc.CardBody([
                dbc.Row([dbc.Col(card_title("States", "The map's metrics per customer state.")),
                         dbc.Col(table_tools("geography-states", STATE_COLUMNS), width="auto")]),
                dcc.Loading(grid("geography-states", STATE_COLUMNS)),
                dcc.Download(id="geography-states-download"),
            ])), xs=12, lg=6, className="mb-3"),
        ]),
        table_card("Cities (a state's next level: click a state on the map)",
                   "The customer cities with most revenue among the selected orders (of the chosen states, or of "
                   "every state), as the export spells them: revenue (price + freight_value of their items) and "
                   "orders. Top 100 by revenue. Orders of customers "
                   "missing from the customers file have no city and are left out.",
                   "geography-cities", CITY_COLUMNS),
        dbc.Row([dbc.Col(dbc.Card(dbc.CardBody([
            dbc.Row([dbc.Col(card_title("Busiest flows, seller state to customer state",
                                        "Orders with at least one item sent from the seller state to a customer "
                                        "in the customer state (an order from two seller states counts in both); "
                                        "items, revenue and freight of those items; mean delivery days of the "
                                        "delivered orders. Top 50 by orders.")),
                     dbc.Col(table_tools("geography-flows", FLOW_COLUMNS), width="auto")]),
            dcc.Loading(grid("geography-flows", FLOW_COLUMNS)),
            dcc.Download(id="geography-flows-download"),
        ])), width=12, className="mb-3")]),
    ])
