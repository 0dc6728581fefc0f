"""Geography callbacks: the choropleth (a click filters by state), the states table, the flows."""
from __future__ import annotations

import math
from dataclasses import replace

from dash import Input, Output, State, callback, ctx

from callbacks import _figures as figures
from callbacks._context import filters_from, guarded, warehouse
from callbacks._export import can_export, send
from callbacks._format import plain
from callbacks._grids import totals_row
from callbacks._urls import cross_filter
from data import names
from data.metrics import METRICS

HOVER = {"money": "R$ %{z:,.2f}", "count": "%{z:,}", "pct": "%{z:.1%}", "score": "%{z:.2f}"}


@callback(Output("geography-map", "figure"), Input("filters", "data"), Input("geography-metric", "value"),
          Input("theme", "data"))
@guarded
def state_map(data, metric, theme):
    """Every state, coloured by the metric (log scale for money and counts, whose long tail left all
    but the largest states white); chosen states stay bright and the others dim, so a click on the
    map filters the page without redrawing the map around one state."""
    f = filters_from(data)
    rows = ([r for r in warehouse().state_metrics(replace(f, states=())) if r[metric] is not None
             and r["state"] != "??"] if f else [])
    if not rows:
        return figures.empty(theme)
    m = METRICS[metric]
    values = [float(r[metric]) for r in rows]
    log = m.fmt in ("money", "count") and min(values) > 0
    z = [math.log10(v) for v in values] if log else values
    colorbar = {"title": {"text": m.label + (" (log scale)" if log else ""), "side": "top"}, "thickness": 10,
                "orientation": "h", "y": 0, "yanchor": "top", "len": 0.8}
    if log:
        ticks = [10 ** k for k in range(math.floor(min(z)), math.ceil(max(z)) + 1)]
        colorbar.update(tickvals=[math.log10(t) for t in ticks], ticktext=[_short(t, m.fmt) for t in ticks])
    elif m.fmt == "pct":
        colorbar["tickformat"] = ".0%"
    fig = figures.base(theme)
    fig.add_choropleth(geojson=figures.GEOJSON, featureidkey="properties.sigla", locations=[r["state"] for r in rows],
                       z=z, colorscale=figures.sequential(theme), zmin=min(z), zmax=max(z),
                       marker={"line": {"width": 0.6, "color": "#8a94a6" if theme == "dark" else "#ffffff"}},
                       selectedpoints=[k for k, r in enumerate(rows) if r["state"] in f.states] or None,
                       unselected={"marker": {"opacity": figures.DIM}},
                       text=[names.state(r["state"]) for r in rows], customdata=[[v] for v in values],
                       colorbar=colorbar,
                       hovertemplate=f"%{{text}}<br>{m.label}: {HOVER.get(m.fmt, '%{z}').replace('z', 'customdata[0]')}"
                                     "<extra></extra>")
    # Brazil's own box, in Mercator: "fitbounds" left two thirds of the card empty.
    fig.update_geos(visible=False, bgcolor="rgba(0,0,0,0)", projection_type="mercator",
                    lonaxis_range=[-74.5, -34.5], lataxis_range=[-34, 5.5])
    fig.update_layout(clickmode="event", dragmode=False, margin={"l": 0, "r": 0, "t": 0, "b": 40})
    return fig


def _short(v: float, fmt: str) -> str:
    prefix = "R$ " if fmt == "money" else ""
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if v >= size:
            return f"{prefix}{v / size:g}{unit}"
    return f"{prefix}{v:g}"


filter_on_click = cross_filter("geography-map", "state", "location")


@callback(Output("geography-states", "rowData"), Input("filters", "data"))
@guarded
def states_table(data):
    f = filters_from(data)
    return plain(warehouse().state_metrics(f)) if f else []


totals_row("geography-states", "state", ("revenue", "orders"), "All states")  # each order has one customer state


@callback(Output("geography-flows", "rowData"), Input("filters", "data"))
@guarded
def flows_table(data):
    f = filters_from(data)
    return plain(warehouse().flows(f)) if f else []


@callback(Output("geography-cities", "rowData"), Input("filters", "data"))
@guarded
def cities_table(data):
    """The chosen states' cities (every state's without a choice): the map's drill to the next level."""
    f = filters_from(data)
    return plain(warehouse().cities(f)) if f else []


TABLES = ("states", "cities", "flows")


@callback([Output(f"geography-{t}-{x}", "disabled") for t in TABLES for x in ("csv", "xlsx")],
          Input("url", "pathname"))
def export_allowed(_):
    return [not can_export()] * (2 * len(TABLES))


@callback(Output("geography-cities-download", "data"), Input("geography-cities-csv", "n_clicks"),
          Input("geography-cities-xlsx", "n_clicks"), State("filters", "data"), prevent_initial_call=True)
@guarded
def export_cities(_csv, _xlsx, data):
    f = filters_from(data)
    return send(warehouse().cities(f) if f else [], "cities", ctx.triggered_id.endswith("xlsx"), "Cities")


@callback(Output("geography-states-download", "data"), Input("geography-states-csv", "n_clicks"),
          Input("geography-states-xlsx", "n_clicks"), State("filters", "data"), prevent_initial_call=True)
@guarded
def export_states(_csv, _xlsx, data):
    f = filters_from(data)
    return send(warehouse().state_metrics(f) if f else [], "states",
                ctx.triggered_id.endswith("xlsx"), "States")


@callback(Output("geography-flows-download", "data"), Input("geography-flows-csv", "n_clicks"),
          Input("geography-flows-xlsx", "n_clicks"), State("filters", "data"), prevent_initial_call=True)
@guarded
def export_flows(_csv, _xlsx, data):
    f = filters_from(data)
    return send(warehouse().flows(f) if f else [], "flows",
                ctx.triggered_id.endswith("xlsx"), "Flows")
