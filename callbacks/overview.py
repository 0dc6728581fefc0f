"""Overview callbacks: KPI cards with their change, and the revenue/orders time series."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from dash import Input, Output, State, callback, no_update

from callbacks import _figures as figures
from callbacks import _compare as compare
from callbacks._urls import cross_filter, with_chosen, with_range
from callbacks._context import filters_from, guarded, warehouse
from data import names, queries
from data.metrics import METRICS, OVERVIEW_KPIS as KPIS


CARDS = [compare.Kpi(k, METRICS[k].fmt, METRICS[k].better) for k in KPIS]


@callback(compare.outputs("overview", CARDS), Input("filters", "data"))
@guarded
def kpi_cards(data):
    """Each KPI over the range, and its change against the compared period (callbacks._compare)."""
    return compare.answer(data, CARDS, warehouse().kpis)


@callback(Output("overview-timeseries", "figure"), Input("filters", "data"), Input("overview-grain", "value"),
          Input("theme", "data"))
@guarded
def timeseries(data, grain, theme):
    f = filters_from(data)
    if f is None:
        return figures.empty(theme)
    grain = queries.auto_grain(f) if grain in (None, "auto") else grain
    rows = warehouse().timeseries(f, grain)
    fig = figures.revenue_and_orders(rows, theme, {"title": "Revenue (R$)"})
    fig.update_layout(bargap=0.15)
    if rows:
        figures.mark_incomplete(fig, f, grain, warehouse().bounds()["complete"])
        _mark_unusual_days(fig, rows, f, grain)
    return fig


@callback(Output("url", "search", allow_duplicate=True), Input("overview-timeseries", "clickData"),
          State("url", "search"), State("overview-grain", "value"), State("filters", "data"),
          prevent_initial_call=True)
def drill_into_period(click, search, grain, data):
    """A click on a week's or a month's bar drills into its days: the range becomes that period (cut to
    the current range), and the chart's automatic grain turns to days. Back steps out again."""
    f = filters_from(data)
    points = (click or {}).get("points") or []
    if f is None or not points or not isinstance(points[0].get("x"), str):
        return no_update
    try:
        day = date.fromisoformat(points[0]["x"][:10])
    except ValueError:
        return no_update
    grain = queries.auto_grain(f) if grain in (None, "auto") else grain
    if grain == "day":
        return no_update
    start, end = max(day, f.start), min(queries.period_end(grain, day), f.end)
    if (start, end) == (f.start, f.end) or start > end:
        return no_update
    return with_range(search, start, end)


def _mark_unusual_days(fig, rows: list[dict], f, grain: str) -> None:
    """Flag the unusual days (data/forecast.py) on the period holding each, revenue's on the bars and
    orders' on the line; the hover names the day, its value and the expected one."""
    found = {r["period"]: r for r in rows}
    for measure, axis, unit in (("revenue", "y", "R$ {:,.2f}"), ("orders", "y2", "{:,.0f} orders")):
        marks: dict = {}
        for a in warehouse().anomalies(f, measure):
            period = queries.period_start(grain, a["date"])
            if period in found:
                marks.setdefault(period, []).append(
                    f"{a['date']:%a %d %b %Y}: {unit.format(a['value'])}, expected {unit.format(a['expected'])}")
        if marks:
            x = sorted(marks)
            fig.add_scatter(x=x, y=[float(found[p][measure]) for p in x], yaxis=axis, mode="markers",
                            name=f"Unusual day ({measure})", text=["<br>".join(marks[p]) for p in x],
                            marker={"symbol": "diamond", "size": 10, "color": "#d62728",
                                    "line": {"width": 1, "color": "white"}},
                            hovertemplate=f"Unusual {measure}<br>%{{text}}<extra></extra>")


@callback(Output("overview-status", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def status_mix(data, theme):
    """Every status within the other filters; the chosen ones stand out (a click toggles one)."""
    f = filters_from(data)
    return (figures.donut(warehouse().status_mix(f), "status", "orders", theme, name=names.status,
                          selected=f.statuses)
            if f else figures.empty(theme))


@callback(Output("overview-categories", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def top_categories(data, theme):
    """The top 10 categories and any chosen ones, over every category (a click toggles one)."""
    f = filters_from(data)
    if f is None:
        return figures.empty(theme)
    rows = with_chosen(warehouse().top_categories(replace(f, categories=()), 100), "category", f.categories, 10)
    return figures.hbars(rows, "category", theme, names.category, f.categories)


filter_by_status = cross_filter("overview-status", "status")
filter_by_category = cross_filter("overview-categories", "category")


@callback(Output("overview-payments", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def payment_mix(data, theme):
    """Every payment type within the other filters; the chosen ones stand out (a click toggles one)."""
    f = filters_from(data)
    return (figures.donut(warehouse().payment_mix(replace(f, payment_types=())), "payment_type", "value", theme,
                          money=True, name=names.payment_type, selected=f.payment_types)
            if f else figures.empty(theme))


filter_by_payment_type = cross_filter("overview-payments", "payment_type")
