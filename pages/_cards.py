"""Card pieces every page uses: a title with the metric's definition, a chart card."""
import dash_bootstrap_components as dbc
from dash import dcc, html


def card_title(text: str, definition: str):
    return html.Div([text, html.Span("i", className="info", title=definition, tabIndex=0,
                                     **{"aria-label": f"{text}: {definition}"})], className="card-title small")


def chart_card(title: str, definition: str, graph_id: str, width: int = 4):
    return dbc.Col(dbc.Card(dbc.CardBody([
        card_title(title, definition),
        dcc.Loading(dcc.Graph(id=graph_id, config={"displaylogo": False}, style={"height": "300px"})),
    ])), xs=12, lg=width, className="mb-3")


def export_buttons(prefix: str):
    """CSV and Excel buttons for a table card: ids `{prefix}-csv` and `{prefix}-xlsx`."""
    return html.Div([
        dbc.Button("CSV", id=f"{prefix}-csv", size="sm", color="secondary", outline=True, className="me-1",
                   title="Export as CSV"),
        dbc.Button("Excel", id=f"{prefix}-xlsx", size="sm", color="secondary", outline=True, title="Export as Excel"),
    ])


def kpi_card(page: str, key: str, label: str, definition: str, lg=3):
    """A KPI card: title with its definition, and the value (id `{page}-kpi-{key}`) with a loading dot."""
    return dbc.Col(dbc.Card(dbc.CardBody([
        card_title(label, definition),
        dcc.Loading(html.Div("…", id=f"{page}-kpi-{key}", className="kpi-value"), type="dot"),
    ])), xs=12, sm=6, lg=lg, className="mb-3")
