"""Geography callbacks: the choropleth (a click filters by state), the states table, the flows."""
from __future__ import annotations

from dash import Input, Output, State, callback, ctx, no_update

from callbacks import _figures as figures
from callbacks._context import filters_from, guarded, warehouse
from callbacks._export import can_export, send
from callbacks._format import plain
from callbacks._urls import with_filter
from data.metrics import METRICS

GEOJSON = "/assets/brazil-states.geojson"  # fetched once by the browser, not sent with every answer
HOVER = {"money": "R$ %{z:,.2f}", "count": "%{z:,}", "pct": "%{z:.1%}", "score": "%{z:.2f}"}


@callback(Output("geography-map", "figure"), Input("filters", "data"), Input("geography-metric", "value"),
          Input("theme", "data"))
@guarded
def state_map(data, metric, theme):
    f = filters_from(data)
    rows = [r for r in warehouse().state_metrics(f) if r[metric] is not None and r["state"] != "??"] if f else []
    if not rows:
        return figures.empty(theme)
    m = METRICS[metric]
    fig = figures.base(theme)
    fig.add_choropleth(geojson=GEOJSON, featureidkey="properties.sigla", locations=[r["state"] for r in rows],
                       z=[float(r[metric]) for r in rows], colorscale=figures.sequential(theme),
                       marker_line_width=0.5,
                       customdata=[[r["state"]] for r in rows],
                       # Under the map, across: beside it the bar took half of a phone's width.
                       colorbar={"title": {"text": m.label, "side": "top"}, "thickness": 10, "orientation": "h",
                                 "y": -0.02, "yanchor": "top", "len": 0.9,
                                 **({"tickformat": ".0%"} if m.fmt == "pct" else {})},
                       hovertemplate=f"%{{location}}<br>{m.label}: {HOVER.get(m.fmt, '%{z}')}<extra></extra>")
    fig.update_geos(fitbounds="locations", visible=False, bgcolor="rgba(0,0,0,0)")
    fig.update_layout(clickmode="event", dragmode=False)
    return fig


@callback(Output("url", "search", allow_duplicate=True), Input("geography-map", "clickData"),
          State("url", "search"), prevent_initial_call=True)
def filter_on_click(click, search):
    """A click on a state adds it to the filters (and so to the URL)."""
    if not click or not click.get("points"):
        return no_update
    return with_filter(search, "state", click["points"][0]["location"])


@callback(Output("geography-states", "rowData"), Input("filters", "data"))
@guarded
def states_table(data):
    f = filters_from(data)
    return plain(warehouse().state_metrics(f)) if f else []


@callback(Output("geography-flows", "rowData"), Input("filters", "data"))
@guarded
def flows_table(data):
    f = filters_from(data)
    return plain(warehouse().flows(f)) if f else []


@callback([Output(f"geography-{t}-{x}", "disabled") for t in ("states", "flows") for x in ("csv", "xlsx")],
          Input("url", "pathname"))
def export_allowed(_):
    return [not can_export()] * 4


@callback(Output("geography-states-download", "data"), Input("geography-states-csv", "n_clicks"),
          Input("geography-states-xlsx", "n_clicks"), State("filters", "data"), prevent_initial_call=True)
@guarded
def export_states(_csv, _xlsx, data):
    f = filters_from(data)
    return send(warehouse().state_metrics(f) if f else [], f"states-{f.start}-{f.end}" if f else "states",
                ctx.triggered_id.endswith("xlsx"), "States")


@callback(Output("geography-flows-download", "data"), Input("geography-flows-csv", "n_clicks"),
          Input("geography-flows-xlsx", "n_clicks"), State("filters", "data"), prevent_initial_call=True)
@guarded
def export_flows(_csv, _xlsx, data):
    f = filters_from(data)
    return send(warehouse().flows(f) if f else [], f"flows-{f.start}-{f.end}" if f else "flows",
                ctx.triggered_id.endswith("xlsx"), "Flows")
