"""Overview callbacks: KPI cards with their change, and the revenue/orders time series."""
from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
from dash import Input, Output, callback

from callbacks import _format as fmt
from callbacks._context import warehouse
from data import queries
from data.filters import Filters
from data.metrics import METRICS, OVERVIEW_KPIS as KPIS


def filters_from(data: dict | None) -> Filters | None:
    if not data:
        return None
    return Filters(date.fromisoformat(data["start"]), date.fromisoformat(data["end"]),
                   tuple(filter(None, data.get("state", "").split(","))),
                   tuple(filter(None, data.get("category", "").split(","))),
                   tuple(filter(None, data.get("seller", "").split(","))), tuple(data["statuses"]))


@callback([Output(f"overview-kpi-{k}", "children") for k in KPIS]
          + [Output(f"overview-kpi-{k}-change", "children") for k in KPIS]
          + [Output(f"overview-kpi-{k}-change", "className") for k in KPIS],
          Input("filters", "data"))
def kpi_cards(data):
    f = filters_from(data)
    if f is None:
        return ["no data"] * len(KPIS) + [""] * len(KPIS) * 2
    now, before = warehouse().kpis(f), warehouse().kpis(f.previous())
    values = [fmt.BY_FORMAT[METRICS[k].fmt](now[k]) for k in KPIS]
    changes = [fmt.change(now[k], before[k]) for k in KPIS]
    return values + [c[0] for c in changes] + [f"small {c[1]}" for c in changes]


def empty_figure(message: str, template: str) -> go.Figure:
    fig = go.Figure(layout={"template": template})
    fig.add_annotation(text=message, showarrow=False, font={"size": 14})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


@callback(Output("overview-timeseries", "figure"), Input("filters", "data"), Input("overview-grain", "value"),
          Input("theme", "data"))
def timeseries(data, grain, theme):
    template = "plotly_dark" if theme == "dark" else "plotly_white"
    f = filters_from(data)
    if f is None:
        return empty_figure("No data matches the filters.", template)
    grain = queries.auto_grain(f) if grain in (None, "auto") else grain
    rows = warehouse().timeseries(f, grain)
    if not rows:
        return empty_figure("No data matches the filters.", template)
    x = [r["period"] for r in rows]
    fig = go.Figure(layout={"template": template})
    fig.add_bar(x=x, y=[float(r["revenue"]) for r in rows], name="Revenue (R$)",
                hovertemplate="%{x|%d %b %Y}<br>R$ %{y:,.2f}<extra></extra>")
    fig.add_scatter(x=x, y=[r["orders"] for r in rows], name="Orders", yaxis="y2", mode="lines+markers",
                    hovertemplate="%{x|%d %b %Y}<br>%{y:,} orders<extra></extra>")
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10}, legend={"orientation": "h", "y": 1.1},
                      yaxis={"title": "Revenue (R$)", "tickprefix": "R$ ", "separatethousands": True},
                      yaxis2={"title": "Orders", "overlaying": "y", "side": "right", "showgrid": False},
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)", bargap=0.15)
    return fig
