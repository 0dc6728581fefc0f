"""Explore's drawings of an answer: a panel per metric, series by the second dimension, the compared
period lined up, a pivot heatmap, a map, big numbers, and the table under them.

An answer arrives as the semantic layer gives it (columns: the `by` keys, then the metric keys).
Figures are built from plain dicts, unvalidated, as callbacks._figures does (make_subplots took
tens of milliseconds for a few panels).
"""
from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
from dash import html

from callbacks import _figures as figures
from callbacks import _format as fmt
from callbacks._figures import GEOJSON, LEGEND_ON_TOP
from callbacks._palette import PALETTE
from data import exploration as ex
from data.semantic.catalogue import CATALOGUE
from data.semantic.planner import next_period, period_start

MAX_SERIES = 10
AXIS = {"money": {"tickprefix": "R$ ", "separatethousands": True}, "count": {"separatethousands": True},
        "pct": {"tickformat": ".1%"}, "score": {"tickformat": ".2f"}, "days": {"ticksuffix": " d"}}
HOVER = {"money": "R$ %{y:,.2f}", "count": "%{y:,}", "pct": "%{y:.1%}", "score": "%{y:.2f}", "days": "%{y:.1f} days"}
DATE_TICKS = {"month": {"tickformat": "%b %Y", "hoverformat": "%B %Y"},
              "quarter": {"tickformat": "%b %Y", "hoverformat": "Q%q %Y"},
              "year": {"tickformat": "%Y", "dtick": "M12", "hoverformat": "%Y"},
              "week": {"hoverformat": "week of %d %b %Y"}, "day": {"hoverformat": "%a %d %b %Y"}}
GRID_FORMAT = {"money": "money", "count": "count", "pct": "pct", "score": "score", "days": "days"}


def periods(grain: str, start: date, end: date) -> list[date]:
    """The first days of the `grain` periods from the one holding `start` to the one holding `end`."""
    out, day = [], period_start(grain, start)
    while day <= end:
        out.append(day)
        day = next_period(grain, day)
    return out


def aligned(e: ex.Exploration, rows: list[tuple], before: list[tuple], now_range, then_range) -> dict:
    """The compared answer's rows keyed as the current ones: by period position when the date is the
    first dimension (the 3rd month of last year's range beside the 3rd of this one), else by value."""
    width = len(e.by)
    if not e.by:
        return {(): before[0][width:] if before else None}
    if e.by[0] != "date":
        return {tuple(r[:width]): r[width:] for r in before}
    now, then = periods(e.grain, *now_range), periods(e.grain, *then_range)
    moved = dict(zip(then, now))
    return {(moved[r[0]], *r[1:width]): r[width:] for r in before if r[0] in moved}


def name_of(key: str, value, labels: dict) -> str:
    if key == "seller" and value in labels:
        return labels[value]
    return ex.value_name(key, value)


def chart(e: ex.Exploration, rows: list[tuple], compared: dict | None, theme: str | None, labels: dict) -> go.Figure:
    """The question's chart (`e.shown`), one panel per metric sharing the first dimension's axis."""
    if not rows:
        return figures.empty(theme)
    kind = e.shown
    if kind == "map":
        return _map(e, rows, theme)
    if kind == "pivot":
        return _pivot(e, rows, theme, labels)
    width = len(e.by)
    x_key = e.by[0] if e.by else None
    series_key = e.by[1] if width == 2 else None
    names = _series(e, rows) if series_key else [None]
    n = len(e.metrics)
    gap = 0.06 if n > 1 else 0
    height = (1 - gap * (n - 1)) / n
    layout = {"template": figures.template(theme), "margin": {**figures.MARGIN, "t": 30},
              "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", "legend": LEGEND_ON_TOP,
              "annotations": [], "hovermode": "x unified" if x_key in ex.ORDERED else "closest",
              "barmode": "stack" if kind == "stacked" else "group", "showlegend": bool(series_key or compared)}
    traces = []
    for k, metric in enumerate(e.metrics):
        m = CATALOGUE.metrics[metric]
        suffix = "" if k == 0 else str(k + 1)
        top = 1 - k * (height + gap)
        layout[f"xaxis{suffix}"] = {"anchor": f"y{suffix}", "showticklabels": k == n - 1, "automargin": True,
                                    **({"matches": "x"} if k else {}),
                                    **(date_ticks(e.grain, rows) if x_key == "date" else
                                       {"type": "category"} if x_key else {})}
        layout[f"yaxis{suffix}"] = {"domain": [max(top - height, 0), min(top, 1)], "anchor": f"x{suffix}",
                                    "rangemode": "tozero", **AXIS[m.fmt], "nticks": 5, "automargin": True}
        if n > 1:
            layout["annotations"].append({"text": m.label, "x": 0, "y": top, "xref": "paper", "yref": "paper",
                                          "xanchor": "left", "yanchor": "bottom", "showarrow": False,
                                          "font": {"size": 12}})
        column = width + k
        for s, series in enumerate(names):
            picked = [r for r in rows if series_key is None or r[1] == series]
            x = [_x(x_key, r[0], labels) for r in picked] if x_key else [m.label]
            y = [_number(r[column]) for r in picked]
            label = name_of(series_key, series, labels) if series_key else m.label
            colour = PALETTE[s % len(PALETTE)] if series_key else PALETTE[k % len(PALETTE)]
            raw = {"customdata": [r[0] for r in picked]} if x_key and x_key != "date" else {}  # for click-to-filter
            traces.append(_trace(kind, x, y, label, colour, suffix, HOVER[m.fmt], legendgroup=label,
                                 showlegend=(k == 0 and bool(series_key)), **raw))
        if compared and not series_key:
            x = [_x(x_key, r[0], labels) for r in rows] if x_key else [m.label]
            y = [_number((compared.get(tuple(r[:width])) or [None] * n)[k]) for r in rows]
            traces.append(_trace("line" if kind in ("line", "area") else kind, x, y,
                                 f"{m.label} ({fmt.COMPARED[e.vs]})", figures.faded(PALETTE[k % len(PALETTE)]),
                                 suffix, HOVER[m.fmt], dash="dash", legendgroup="compared", showlegend=k == 0))
    return go.Figure({"data": traces, "layout": layout}, _validate=False)


def date_ticks(grain: str, rows: list[tuple]) -> dict:
    """A date axis labelled by its periods: a month's or a quarter's ticks on their first days, few
    enough to read (Plotly's own steps fall mid-month and name a month twice)."""
    ticks = dict(DATE_TICKS.get(grain, {}))
    if grain in ("month", "quarter"):
        months = len({r[0] for r in rows}) * (3 if grain == "quarter" else 1)
        step = next(m for m in (1, 3, 6, 12, 24) if months / m <= 13 or m == 24)
        ticks["dtick"] = f"M{max(step, 3 if grain == 'quarter' else 1)}"
    return ticks


def _trace(kind: str, x, y, name: str, colour: str, axis: str, hover: str, dash: str | None = None, **extra) -> dict:
    common = {"x": x, "y": y, "name": name, "xaxis": f"x{axis}", "yaxis": f"y{axis}",
              "hovertemplate": f"{name}: {hover}<extra></extra>", **extra}
    if kind in ("bar", "stacked", "table", "number"):
        return {"type": "bar", "marker": {"color": colour}, **common}
    line = {"color": colour, "width": 2, **({"dash": dash} if dash else {})}
    if kind == "area":
        return {"type": "scatter", "mode": "lines", "line": line, "stackgroup": f"s{axis}", **common}
    return {"type": "scatter", "mode": "lines+markers" if len(x) <= 40 else "lines", "line": line, **common}


def _x(key: str, value, labels: dict):
    return value if key == "date" else name_of(key, value, labels)


def _number(v):
    return None if v is None else float(v)


def _series(e: ex.Exploration, rows: list[tuple]) -> list:
    """The second dimension's values drawn as series: the MAX_SERIES largest by the first metric
    (the table holds every one)."""
    totals: dict = {}
    for r in rows:
        totals[r[1]] = totals.get(r[1], 0) + float(r[2] or 0)
    return sorted(totals, key=lambda v: -totals[v])[:MAX_SERIES]


def _pivot(e: ex.Exploration, rows: list[tuple], theme: str | None, labels: dict) -> go.Figure:
    """Two dimensions as a heatmap of the first metric (rows: the first dimension, columns: the second)."""
    m = CATALOGUE.metrics[e.metrics[0]]
    ys, xs = _ranked(e.by[0], rows, 0), _ranked(e.by[1], rows, 1)
    at = {(r[0], r[1]): _number(r[2]) for r in rows}
    fig = figures.base(theme)
    fig.add_heatmap(z=[[at.get((y, x)) for x in xs] for y in ys], x=[name_of(e.by[1], x, labels) for x in xs],
                    y=[_x(e.by[0], y, labels) for y in ys], colorscale=figures.sequential(theme),
                    hovertemplate=f"%{{y}} · %{{x}}<br>{m.label}: {HOVER[m.fmt].replace('%{y', '%{z')}<extra></extra>",
                    colorbar={"title": {"text": m.label}})
    fig.update_yaxes(autorange="reversed", type="category" if e.by[0] != "date" else "-")
    fig.update_xaxes(type="category")
    return fig


def _ranked(key: str, rows: list[tuple], at: int) -> list:
    """A pivot's row or column values: in their own order (dates, hours), else largest total first."""
    if key in ex.ORDERED:
        return sorted({r[at] for r in rows if r[at] is not None}) + [None] * any(r[at] is None for r in rows)
    totals: dict = {}
    for r in rows:
        totals[r[at]] = totals.get(r[at], 0) + float(r[2] or 0)
    return sorted(totals, key=lambda v: -totals[v])


def _map(e: ex.Exploration, rows: list[tuple], theme: str | None) -> go.Figure:
    """The first metric by state on Brazil's map (the customer's or the seller's state)."""
    m = CATALOGUE.metrics[e.metrics[0]]
    fig = figures.base(theme)
    fig.add_choropleth(geojson=GEOJSON, featureidkey="properties.sigla", locations=[r[0] for r in rows],
                       z=[_number(r[1]) for r in rows], text=[ex.value_name(e.by[0], r[0]) for r in rows],
                       colorscale=figures.sequential(theme), marker={"line": {"width": 0.5}},
                       colorbar={"title": {"text": m.label}},
                       hovertemplate=f"%{{text}}<br>{m.label}: {HOVER[m.fmt].replace('%{y', '%{z')}<extra></extra>")
    fig.update_geos(fitbounds="locations", visible=False, bgcolor="rgba(0,0,0,0)", projection_type="mercator")
    return fig


def numbers(e: ex.Exploration, rows: list[tuple], compared: dict | None) -> list:
    """Each metric as a big number with its change against the compared period."""
    values = rows[0] if rows else [None] * len(e.metrics)
    before = (compared or {}).get(()) or [None] * len(e.metrics)
    out = []
    for k, metric in enumerate(e.metrics):
        m = CATALOGUE.metrics[metric]
        change = []
        if e.vs:
            text, colour = fmt.change(values[k], before[k], m.fmt, m.better, e.vs)
            change = [html.Div(text, className=f"small {colour}")]
        out.append(html.Div([html.Div(m.label, className="small text-body-secondary"),
                             html.Div(fmt.BY_FORMAT[m.fmt](values[k]), className="kpi-value"), *change],
                            className="explore-number-item", title=m.definition))
    return out


def columns(e: ex.Exploration) -> list[dict]:
    """The table's columns: the dimensions, each metric, and with a comparison its value then and change."""
    out = [{"field": k, "headerName": CATALOGUE.dimensions[k].label + (f" ({e.grain})" if k == "date" else "")}
           for k in e.by]
    for k in e.metrics:
        m = CATALOGUE.metrics[k]
        number = {"type": "numericColumn", "valueFormatter": {"function": f"{GRID_FORMAT[m.fmt]}(params.value)"}}
        out.append({"field": k, "headerName": m.label, "headerTooltip": m.definition, **number})
        if e.vs:
            out.append({"field": f"{k}__before", "headerName": f"{m.label} ({fmt.COMPARED[e.vs]})", **number})
            out.append({"field": f"{k}__change", "headerName": "Change"})
    return out


def table_rows(e: ex.Exploration, rows: list[tuple], compared: dict | None, labels: dict) -> list[dict]:
    """The answer's rows as the table (and the export) shows them: dimensions named, numbers plain."""
    width = len(e.by)
    out = []
    for r in rows:
        row = {k: (r[i].isoformat() if k == "date" else name_of(k, r[i], labels)) for i, k in enumerate(e.by)}
        before = (compared or {}).get(tuple(r[:width])) if compared is not None else None
        for j, k in enumerate(e.metrics):
            row[k] = _number(r[width + j])
            if e.vs:
                m = CATALOGUE.metrics[k]
                then = None if before is None else _number(before[j])
                row[f"{k}__before"] = then
                row[f"{k}__change"] = ("no data then" if then is None or row[k] is None else fmt.change(
                    row[k], then, m.fmt, m.better, e.vs)[0].replace(f" {fmt.COMPARED[e.vs]}", ""))
        out.append(row)
    return out
