"""Forecast callbacks. Fitting runs as Dash background callbacks (a job process per request, a
progress bar, a cancel button); unusual days are quick and plain.

A job runs in its own process (callbacks/_jobs.py) with its own connection, outside the app: it
does not use the query cache, and its result is cached instead by the background-callback manager,
keyed by the inputs and the data version (app.py)."""
from __future__ import annotations

from dataclasses import replace

from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from callbacks import _figures as figures
from callbacks import _format as fmt
from callbacks._context import filters_from, guarded, warehouse
from callbacks._export import table_export
from callbacks._jobs import failure_text, job_engine
from data.filters import to_query
from data.forecast import DEMAND_WEEKS, HORIZONS, LEVELS, MEASURES, NotEnoughHistory, demand_after, forecast_after, \
    needed_days, thinning_tail

UNIT = {"revenue": ("Revenue (R$)", "R$ %{y:,.2f}"), "orders": ("Orders", "%{y:,.0f} orders")}
BANDS = {80: 0.35, 95: 0.18}  # fill opacity of each interval


@callback(Output("forecast-chart", "figure"), Output("forecast-verdict", "children"),
          Output("forecast-accuracy", "children"),
          Input("filters", "data"), Input("forecast-measure", "value"), Input("forecast-horizon", "value"),
          Input("theme", "data"),
          background=True,
          progress=[Output("forecast-progress", "value"), Output("forecast-progress", "max")],
          running=[(Output("forecast-cancel", "disabled"), False, True),
                   (Output("forecast-running", "style"), {"visibility": "visible"}, {"visibility": "hidden"})],
          cancel=[Input("forecast-cancel", "n_clicks")],
          on_error=lambda err: (no_update, dbc.Alert(failure_text(err), color="warning", className="small py-2 mb-0",
                                                     id="forecast-refused"), ""))
@guarded
def fit(set_progress, data, measure, horizon, theme):
    f = filters_from(data)
    if f is None or measure not in MEASURES or horizon not in HORIZONS:
        return figures.empty(theme), "", ""  # a value the page never sends: nothing to fit
    engine = job_engine()
    try:
        with engine.connect() as conn:
            history, result = forecast_after(conn, f, measure, horizon,
                                             progress=lambda done, total: set_progress((done, total)))
    except NotEnoughHistory as exc:
        return figures.empty(theme, "Not enough history for this forecast."), str(exc), ""
    finally:
        engine.dispose()
    return (_figure(history, result, measure, horizon, theme),
            _verdict(f, result, horizon, thinning_tail(history)), _accuracy(result))


def _figure(history, result: dict, measure: str, horizon: int, theme):
    name, hover = UNIT[measure]
    shown = history.iloc[-max(4 * horizon, 120):]  # enough history to judge the forecast by eye
    fig = figures.base(theme)
    fig.add_scatter(x=list(shown.index.date), y=shown.tolist(), mode="lines", name="Actual",
                    hovertemplate=f"%{{x|%a %d %b %Y}}<br>{hover}<extra></extra>")
    x = result["dates"]
    for level in sorted(LEVELS, reverse=True):
        fig.add_scatter(x=x + x[::-1], y=result[f"upper{level}"] + result[f"lower{level}"][::-1], fill="toself",
                        mode="lines", line={"width": 0}, fillcolor=f"rgba(239, 85, 59, {BANDS[level]})",
                        name=f"{level}% interval", hoverinfo="skip")
    fig.add_scatter(x=x, y=result["mean"], mode="lines", name="Forecast", line={"dash": "dash", "color": "#ef553b"},
                    customdata=list(zip(result["lower95"], result["upper95"])),
                    hovertemplate=f"%{{x|%a %d %b %Y}}<br>forecast {hover}<br>95%: %{{customdata[0]:,.0f}} to "
                                  f"%{{customdata[1]:,.0f}}<extra></extra>")
    fig.update_layout(legend={"orientation": "h", "y": 1.1}, hovermode="x",
                      yaxis={"title": name, "separatethousands": True, "rangemode": "tozero"})
    return fig


def _verdict(f, result: dict, horizon: int, tail: float | None):
    scores = {s["model"]: s for s in result["accuracy"]}
    base = scores["seasonal_naive"]
    window = (f"Learned from {f.start:%d %b %Y} to {f.end:%d %b %Y} ({(f.end - f.start).days + 1:,} days); "
              f"forecast for the {horizon} days after.")
    if tail is not None:
        window += (f" The last two weeks average {fmt.pct(tail)} of the four weeks before: if the latest data is "
                   "incomplete, end the range earlier.")
    if not result["useful"]:
        chosen = scores[result["model"]]
        text = (f"Too uncertain to be useful: the best model ({chosen['label']}) missed by {fmt.pct(chosen['pct'])} "
                f"({chosen['metric']}) in the backtest. Widen the slice (fewer filters, a longer range) for a "
                "forecast worth reading.")
        return html.Span([html.Strong(text, className="text-danger"), " ", window, _capped(result)])
    if result["beats_baseline"]:
        chosen = scores[result["model"]]
        better = 1 - chosen["mae"] / base["mae"] if base["mae"] else 0.0
        text = (f"{result['label']} beats seasonal naive in the backtest (MAE {chosen['mae']:,.0f} against "
                f"{base['mae']:,.0f}, {fmt.pct(better)} lower): its forecast is drawn.")
        return html.Span([html.Strong(text, className="text-success"), " ", window, _capped(result)])
    return html.Span([html.Strong("No model beat seasonal naive in the backtest for this slice: the baseline's "
                                  "forecast is drawn.", className="text-warning"), " ", window, _capped(result)])


def _capped(result: dict) -> str:
    return (f" The intervals are cut at {result['cap']:,.0f} (twice a high day of the history: its 98th "
            "percentile, or the top day of the last 8 weeks): the model's own reach further than the data supports." if result["capped"] else "")


def _accuracy(result: dict):
    rows = [html.Tr([html.Td(s["label"]), html.Td(f"{s['mae']:,.1f}", className="text-end"),
                     html.Td(f"{s['metric']} {fmt.pct(s['pct'])}", className="text-end"),
                     html.Td("drawn" if s["model"] == result["model"] else "")],
                    className="fw-semibold" if s["model"] == result["model"] else "")
            for s in result["accuracy"]]
    head = html.Thead(html.Tr([html.Th("Model"), html.Th("MAE", className="text-end"),
                               html.Th("Percentage error", className="text-end"), html.Th("")]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", className="mb-0 small", id="forecast-accuracy-table")


@callback(Output("forecast-history-hint", "children"), Input("filters", "data"), Input("forecast-horizon", "value"))
@guarded
def history_hint(data, horizon):
    """When the range is too short for the horizon, say so at once and offer the whole history."""
    f = filters_from(data)
    if f is None or horizon not in HORIZONS or (f.end - f.start).days + 1 >= needed_days(horizon):
        return None
    first = warehouse().bounds()["first"]
    if first >= f.start:
        return None  # the range already starts with the data: nothing longer to offer
    whole = replace(f, start=first)
    return dbc.Alert([f"A {horizon}-day forecast learns from at least {needed_days(horizon)} days; the "
                      f"range has {(f.end - f.start).days + 1}. ",
                      dcc.Link(f"Learn from all history ({first:%d %b %Y} to {f.end:%d %b %Y})",
                               href="/forecast?" + urlencode(to_query(whole)), id="forecast-whole-history")],
                     color="info", className="small py-2 mb-2")


@callback(Output("forecast-demand", "rowData"), Output("forecast-demand-note", "children"),
          Input("filters", "data"), Input("forecast-weeks", "value"),
          background=True,
          progress=[Output("forecast-demand-progress", "value"), Output("forecast-demand-progress", "max")],
          running=[(Output("forecast-demand-progress", "style"), {"height": "6px"},
                    {"height": "6px", "visibility": "hidden"})],
          on_error=lambda err: ([], failure_text(err)))
@guarded
def demand(set_progress, data, weeks):
    f = filters_from(data)
    if f is None or weeks not in DEMAND_WEEKS:
        return [], ""
    engine = job_engine()
    try:
        with engine.connect() as conn:
            rows = demand_after(conn, f, weeks, progress=lambda done, total: set_progress((done, total)))
    finally:
        engine.dispose()
    if not rows:
        return [], "No category has enough weekly history in the range (at least 8 whole weeks)."
    return fmt.plain(rows), (f"{len(rows)} categories, items in the {weeks} weeks after {f.end:%d %b %Y} against the {weeks} "
                  "weeks up to it.")


@callback(Output("forecast-anomalies", "rowData"), Output("forecast-anomalies-note", "children"),
          Input("filters", "data"))
@guarded
def unusual_days(data):
    f = filters_from(data)
    if f is None:
        return [], ""
    rows = _anomaly_rows(f)
    return rows, (f"{len(rows)} unusual {'day' if len(rows) == 1 else 'days'} in revenue or orders, largest "
                  "first." if rows else
                  "No unusual day in this range (or under four weeks of history).")


def _anomaly_rows(f) -> list[dict]:
    rows = [{"measure": m, **a, "date": a["date"].isoformat()} for m in MEASURES
            for a in warehouse().anomalies(f, m)]
    return sorted(rows, key=lambda r: -abs(r["mads"]))


table_export("forecast-demand", lambda f, weeks: warehouse().demand(f, weeks) if weeks in DEMAND_WEEKS else [],
             lambda f: "demand", "Demand", State("forecast-weeks", "value"))
table_export("forecast-anomalies", _anomaly_rows, lambda f: "unusual-days",
             "Unusual days")
