"""Forecast: revenue and orders ahead with intervals and an honest backtest, demand per category,
unusual days (layout only)."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from data.forecast import ANOMALY_MADS, DEMAND_WEEKS, FOLD_STEP, FOLDS, HORIZONS
from pages._cards import GRAPH_CONFIG, card_title, table_card

dash.register_page(__name__, path="/forecast", name="Forecast", group="Analyze", order=14, title="Forecast · Olist Analytics")

FORECAST = ("Daily revenue (or orders) of the slice the filters select; the date range is the history the models "
            "learn from. Models: seasonal naive (the same weekday a week earlier: the baseline), the seasonal "
            "average (each weekday's mean over the last 4 weeks), and, on log(1 + value), exponential smoothing "
            "with a damped trend and a weekly season and the Theta method. Each is "
            f"backtested from {FOLDS} origins {FOLD_STEP} days apart over the forecast's own horizon, and the one "
            "with the lowest mean absolute error is drawn, with 80% and 95% prediction intervals, only when it "
            "beats the baseline.")
ACCURACY = ("Backtest errors over the held-out days: MAE (mean absolute error, in the measure's unit) and MAPE "
            "(mean absolute percentage error), or sMAPE (symmetric, bounded) when some actual days are near zero.")
DEMAND = ("Items each category is expected to sell in the next weeks after the range, with an 80% interval "
          "(exponential smoothing with a damped trend on weekly items; the interval from 300 simulated paths), "
          "against the same number of weeks just before. Sorted by expected growth. Categories with less than "
          "8 weeks of history or no recent sales are left out.")
ANOMALIES = (f"Days whose value departs from the expected one by more than {ANOMALY_MADS:g} robust deviations: "
             "an STL decomposition (weekly period, robust) of the square root of the value gives the expected "
             "value (trend and weekly pattern) and a residual; deviations are measured in scaled median absolute "
             "deviations (MADs) of all residuals.")
NUMBER = {"function": "count(params.value)"}
ACCURACY_COLUMNS = [
    {"field": "label", "headerName": "Model"},
    {"field": "mae", "headerName": "MAE", "type": "numericColumn", "valueFormatter": NUMBER},
    {"field": "pct", "headerName": "MAPE / sMAPE", "type": "numericColumn",
     "valueFormatter": {"function": "pct(params.value)"}},
    {"field": "metric", "headerName": "Percentage error"},
    {"field": "chosen", "headerName": "Drawn"},
]
DEMAND_COLUMNS = [
    {"field": "category", "headerName": "Category"},
    {"field": "last", "headerName": "Items, last weeks", "type": "numericColumn", "valueFormatter": NUMBER},
    {"field": "forecast", "headerName": "Forecast", "type": "numericColumn", "valueFormatter": NUMBER},
    {"field": "lower80", "headerName": "80% low", "type": "numericColumn", "valueFormatter": NUMBER},
    {"field": "upper80", "headerName": "80% high", "type": "numericColumn", "valueFormatter": NUMBER},
    {"field": "change", "headerName": "Change (items)", "type": "numericColumn",
     "sort": "desc", "valueFormatter": {"function": "signedCount(params.value)"}},
    {"field": "growth", "headerName": "Change (%)", "type": "numericColumn",
     "valueFormatter": {"function": "params.value == null ? 'small base' : signedPct(params.value)"}},
]
ANOMALY_COLUMNS = [
    {"field": "date", "headerName": "Day"},
    {"field": "measure", "headerName": "Measure"},
    {"field": "value", "headerName": "Value", "type": "numericColumn", "valueFormatter": NUMBER},
    {"field": "expected", "headerName": "Expected", "type": "numericColumn", "valueFormatter": NUMBER},
    {"field": "deviation", "headerName": "Deviation", "type": "numericColumn",
     "valueFormatter": {"function": "signedCount(params.value)"}},
    {"field": "mads", "headerName": "Robust deviations (MADs)", "type": "numericColumn",
     "valueFormatter": {"function": "signed1(params.value)"}},
]


def _choice(component_id, options, value):
    return dbc.RadioItems(id=component_id, options=options, value=value, inline=True, className="small")


def layout(**_query):
    return html.Div([
        dbc.Row([dbc.Col(dbc.Card(dbc.CardBody([
            dbc.Row([
                dbc.Col(card_title("Forecast", FORECAST)),
                dbc.Col(_choice("forecast-measure", [{"label": "Revenue", "value": "revenue"},
                                                     {"label": "Orders", "value": "orders"}], "revenue"),
                        width="auto"),
                dbc.Col(_choice("forecast-horizon", [{"label": f"{h} days", "value": h} for h in HORIZONS], 30),
                        width="auto"),
            ], className="g-2"),
            # While the models fit: a progress bar and a cancel button, in the card, so nothing jumps.
            dbc.Row([
                dbc.Col(dbc.Progress(id="forecast-progress", value=0, max=1, striped=True, animated=True,
                                     style={"height": "6px"}), className="align-self-center"),
                dbc.Col(dbc.Button("Cancel", id="forecast-cancel", size="sm", color="secondary", outline=True,
                                   disabled=True), width="auto"),
            ], id="forecast-running", className="g-2 my-1"),
            html.Div(id="forecast-history-hint"),
            html.Div(id="forecast-verdict", className="small my-1"),
            dcc.Graph(id="forecast-chart", config=GRAPH_CONFIG, style={"height": "380px"}),
            card_title("Backtest accuracy", ACCURACY),
            html.Div(id="forecast-accuracy"),
        ])), width=12, className="mb-3")]),
        table_card("Demand per category", DEMAND, "forecast-demand", DEMAND_COLUMNS, extra=dbc.Row([
            dbc.Col(_choice("forecast-weeks", [{"label": f"next {w} weeks", "value": w} for w in DEMAND_WEEKS], 4),
                    width="auto"),
            dbc.Col(dbc.Progress(id="forecast-demand-progress", value=0, max=1, striped=True, animated=True,
                                 style={"height": "6px"}), className="align-self-center"),
            dbc.Col(html.Div(id="forecast-demand-note", className="small"), width=12),
        ], className="g-2 mb-2")),
        table_card("Unusual days", ANOMALIES, "forecast-anomalies", ANOMALY_COLUMNS,
                   extra=html.Div(id="forecast-anomalies-note", className="small mb-2")),
    ])


