"""The Live page's callbacks: each redraws when the page's data version moves (callbacks/shell.py
follow), so the page changes by itself as the watcher loads batches."""
from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from dash import Input, Output, callback, html

from callbacks import _figures as figures
from callbacks import _format as fmt
from callbacks._context import VIEW, current_scope, guarded, warehouse
from callbacks._format import plain
from data import names

KPIS = (("orders", "count"), ("revenue", "money"), ("aov", "money"))
LAG = "live-kpi-lag"


def _moment():
    """The data's now (the latest purchase), or None for an empty warehouse."""
    VIEW.set("live")  # new data keeps the chart's zoom
    return warehouse().live_now()


@callback([Output(f"live-kpi-{k}", "children") for k, _ in KPIS]
          + [Output(f"live-kpi-{k}-change", "children") for k, _ in KPIS]
          + [Output(f"live-kpi-{k}-change", "className") for k, _ in KPIS]
          + [Output("live-heading", "children")],
          Input("data-version", "data"))
@guarded
def today(_version):
    moment = _moment()
    if moment is None:
        return ["no data"] * 3 + [""] * 6 + ["No data loaded yet."]
    found = warehouse().live_today(moment)
    now, before = found["today"], found["week_before"]
    against = f"vs {found['week_before_day']:%a %d %b} to {moment:%H:%M}"
    changes = [fmt.change(now.get(k), before.get(k), f, "up", against) for k, f in KPIS]
    scope = current_scope()
    heading = html.Div([
        html.Span(f"Today, {moment:%A %d %B %Y}, up to {moment:%H:%M:%S}", className="fw-semibold"),
        html.Span(f" (the latest purchase in the data), against {found['week_before_day']:%A %d %b} up to the "
                  "same minute" + (f". Your access is limited to {scope.describe()}" if scope.limited else ""),
                  className="text-body-secondary"),
    ], className="small")
    return ([fmt.BY_FORMAT[f](now.get(k)) for k, f in KPIS] + [text for text, _ in changes]
            + [f"small {cls}" for _, cls in changes] + [heading])


@callback(Output("live-minutes", "figure"), Input("data-version", "data"), Input("theme", "data"))
@guarded
def minutes(_version, theme):
    moment = _moment()
    if moment is None:
        return figures.empty(theme, "No data loaded yet.")
    found = warehouse().live_per_minute(moment)
    fig = figures.base(theme)
    week = found["week_before"]
    fig.add_bar(x=[r[0] + timedelta(seconds=30) for r in found["today"]], y=[r[1] for r in found["today"]],
                name="Today", width=50_000,  # a minute's bar (ms), centred on its minute
                hovertemplate="%{x|%H:%M}<br>%{y:,} orders<extra></extra>")
    fig.add_scatter(x=[r[0] for r in week], y=[r[1] for r in week], name="A week before", mode="lines+markers",
                    line={"color": "#adb5bd", "width": 1.5, "shape": "hv"}, marker={"size": 3},
                    hovertemplate="%{x|%H:%M}<br>%{y:,} orders a week before<extra></extra>")
    fig.update_layout(legend=figures.LEGEND_ON_TOP, bargap=0.1,
                      xaxis={"range": [found["start"] - timedelta(seconds=30), found["end"] + timedelta(seconds=90)],
                             "tickformat": "%H:%M"},
                      yaxis={"title": "Orders per minute", "rangemode": "tozero"})
    return fig


@callback(Output("live-orders", "rowData"), Input("data-version", "data"))
@guarded
def latest(_version):
    moment = _moment()
    if moment is None:
        return []
    rows = warehouse().latest_orders(moment)
    return plain([{**r, "purchased": f"{r['purchased']:%Y-%m-%d %H:%M:%S}",
                   "categories": ", ".join(names.category(c) for c in sorted(r["categories"] or []))}
                  for r in rows])


@callback(Output("live-batches", "rowData"), Output(LAG, "children"), Output(f"{LAG}-change", "children"),
          Output(f"{LAG}-change", "className"), Input("data-version", "data"))
@guarded
def batches(_version):
    rows = warehouse().batches()
    if current_scope().limited:  # how many orders a batch held is about everyone's orders
        rows = [{**r, "new_orders": None, "updated_orders": None} for r in rows]
    lags = [r["lag"] for r in rows if r["lag"] is not None and r["status"] == "succeeded"]
    if not lags:
        return [], "no batches", "No watcher has loaded a batch yet", "small text-body-secondary"
    shown = [{**r, "batch_id": str(r["run_id"]), "arrived": _iso(r["arrived"]), "visible": _iso(r["visible"]),
              "status": "loaded" if r["status"] == "succeeded" and r["changed"] else
              ("unchanged" if r["status"] == "succeeded" else r["status"])} for r in rows]
    return (shown, f"{statistics.median(lags):.1f} s",
            f"slowest {max(lags):.1f} s of the last {len(lags)} batches", "small text-body-secondary")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
