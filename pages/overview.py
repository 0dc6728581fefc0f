"""Overview: where the business stands for the filtered view (layout only)."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from data.metrics import METRICS, OVERVIEW_KPIS as KPIS
from pages._cards import GRAPH_CONFIG, card_title, chart_card

dash.register_page(__name__, path="/", name="Overview", order=0, title="Overview · Olist Analytics")



def kpi_card(key: str):
    m = METRICS[key]
    return dbc.Col(dbc.Card(dbc.CardBody([
        card_title(m.label, m.definition),
        dcc.Loading(html.Div([html.Div("…", id=f"overview-kpi-{key}", className="kpi-value"),
                              html.Div(id=f"overview-kpi-{key}-change", className="small")]), type="dot"),
    ])), xs=12, sm=6, lg=4, xxl=2, className="mb-3")  # six a row only where nine-digit revenue fits


def layout(**_query):
    return html.Div([
        dbc.Row([kpi_card(k) for k in KPIS]),
        dbc.Row([dbc.Col(dbc.Card(dbc.CardBody([
            dbc.Row([dbc.Col(card_title("Revenue and orders over time",
                                        METRICS["revenue"].definition + " " + METRICS["orders"].definition)),
                     dbc.Col(dbc.RadioItems(id="overview-grain", inline=True, value="auto",
                                            options=[{"label": g.title(), "value": g}
                                                     for g in ("auto", "day", "week", "month")]),
                             width="auto")]),
            dcc.Loading(dcc.Graph(id="overview-timeseries", config=GRAPH_CONFIG,
                                  style={"height": "360px"})),
        ])), width=12, className="mb-3")]),
        dbc.Row([
            chart_card("Order status mix", "Orders by order_status within the other filters; every status is "
                       "shown, including those the Status filter leaves out.", "overview-status"),
            chart_card("Top categories by revenue", METRICS["revenue"].definition + " Items of each category.",
                       "overview-categories"),
            chart_card("Payment types", METRICS["payments"].definition + " By payment_type.", "overview-payments"),
        ]),
    ])
