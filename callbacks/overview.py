"""Overview callbacks: KPI cards with their change, and the revenue/orders time series."""
from __future__ import annotations

from dash import Input, Output, callback

from callbacks import _figures as figures
from callbacks import _format as fmt
from callbacks._context import filters_from, guarded, warehouse
from data import queries
from data.metrics import METRICS, OVERVIEW_KPIS as KPIS


@callback([Output(f"overview-kpi-{k}", "children") for k in KPIS]
          + [Output(f"overview-kpi-{k}-change", "children") for k in KPIS]
          + [Output(f"overview-kpi-{k}-change", "className") for k in KPIS],
          Input("filters", "data"))
@guarded
def kpi_cards(data):
    f = filters_from(data)
    if f is None:
        return ["no data"] * len(KPIS) + [""] * len(KPIS) * 2
    now, before = warehouse().kpis(f), warehouse().kpis(f.previous())
    values = [fmt.BY_FORMAT[METRICS[k].fmt](now[k]) for k in KPIS]
    changes = [fmt.change(now[k], before[k]) for k in KPIS]
    return values + [c[0] for c in changes] + [f"small {c[1]}" for c in changes]


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
        _mark_unusual_days(fig, rows, f, grain)
    return fig


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
    f = filters_from(data)
    return figures.donut(warehouse().status_mix(f), "status", "orders", theme) if f else figures.empty(theme)


@callback(Output("overview-categories", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def top_categories(data, theme):
    f = filters_from(data)
    return figures.hbars(warehouse().top_categories(f), "category", theme) if f else figures.empty(theme)


@callback(Output("overview-payments", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def payment_mix(data, theme):
    f = filters_from(data)
    return (figures.donut(warehouse().payment_mix(f), "payment_type", "value", theme, money=True)
            if f else figures.empty(theme))
