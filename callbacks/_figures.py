"""Figure helpers every page shares: one template per theme, empty states, compact margins."""
from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import plotly.io as pio

from callbacks._context import VIEW
from callbacks._palette import PALETTE, colours
from data import queries

MARGIN = {"l": 10, "r": 10, "t": 10, "b": 10}
# A legend above the plot that grows upwards as it wraps (on a phone), pushing the plot down instead of covering it.
LEGEND_ON_TOP = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0}
NO_DATA = "No data matches the filters."
GEOJSON = "/assets/brazil-states.geojson"  # fetched once by the browser, not sent with every answer


def _template(name: str) -> dict:
    """Plotly's light or dark template with the page's colours (callbacks._palette), not Plotly's purple."""
    found = pio.templates[name].to_plotly_json()
    found["layout"]["colorway"] = PALETTE
    return found


TEMPLATES = {name: _template(name) for name in ("plotly_white", "plotly_dark")}


def template(theme: str | None) -> dict:
    return TEMPLATES["plotly_dark" if theme == "dark" else "plotly_white"]


def sequential(theme: str | None):
    """A colour scale for heatmaps and maps, from zero: light to dark blue, or on a dark page from the
    page's own dark to Bootstrap's blue, so that low values do not glare as white cells and the cells'
    light labels stay readable on the brightest."""
    return [[0, "#1d2b3a"], [1, "#3d8bfd"]] if theme == "dark" else "Blues"  # light text stays readable


def base(theme: str | None) -> go.Figure:
    """A figure in the theme's template. Built unvalidated (as plotly.express does): validation cost
    about 10 ms per chart, most of a cached answer's time; the helpers here only set known properties."""
    fig = go.Figure(layout={"template": template(theme)}, _validate=False)
    fig.update_layout(margin=MARGIN, paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)")
    if VIEW.get():  # the same view with new data keeps the reader's zoom (callbacks._context.VIEW)
        fig.update_layout(uirevision=VIEW.get())
    return fig


def empty(theme: str | None, message: str = NO_DATA) -> go.Figure:
    """An empty state inside the card: the layout keeps its size, the message says why."""
    fig = base(theme)
    fig.add_annotation(text=message, showarrow=False, font={"size": 14})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def donut(rows: list[dict], label: str, value: str, theme: str | None, money: bool = False, name=str,
          selected=()) -> go.Figure:
    """A donut whose slices keep their value's colour (`label` is the dimension); a percentage on the
    slices large enough to hold one, the rest in the legend and hover (six leader lines stacked).
    customdata carries the raw value (for click-to-filter); the `selected` values stand out of the
    ring and the others fade, as the bars do."""
    if not rows:
        return empty(theme)
    fig = base(theme)
    fmt = "R$ %{value:,.2f}" if money else "%{value:,}"
    total = sum(float(r[value]) for r in rows) or 1.0
    keys = [r[label] for r in rows]
    picked = [not selected or k in selected for k in keys]
    fig.add_pie(labels=[name(k) for k in keys], values=[float(r[value]) for r in rows], customdata=keys,
                hole=0.55, sort=False,
                marker={"colors": [c if p else faded(c) for c, p in zip(colours(label, keys), picked)]},
                text=[f"{float(r[value]) / total:.1%}" if float(r[value]) / total >= 0.04 else "" for r in rows],
                textinfo="text", textposition="inside", insidetextorientation="horizontal",
                hovertemplate=f"%{{label}}<br>{fmt}<br>%{{percent:.1%}}<extra></extra>")
    fig.update_layout(legend={"orientation": "v"}, uniformtext={"minsize": 10, "mode": "hide"}, clickmode="event")
    return fig


def faded(hex_colour: str) -> str:
    """The colour at the opacity of a value a cross-filter did not pick (a pie has no per-slice opacity)."""
    r, g, b = (int(hex_colour[k:k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r},{g},{b},{DIM})"


def hbars(rows: list[dict], label: str, theme: str | None, name=None, selected=()) -> go.Figure:
    """Revenue bars, largest on top; customdata carries the raw value (for click-to-filter) and orders.
    `name` turns a value into what the axis shows; the `selected` values stay bright and the others
    dim, so a cross-filtered chart keeps its shape and shows what was picked. Every label is drawn
    (dtick 1): the card must be tall enough for its rows."""
    if not rows:
        return empty(theme)
    rows = rows[::-1]
    name = name or str
    fig = base(theme)
    fig.add_bar(y=[name(r[label]) for r in rows], x=[float(r["revenue"]) for r in rows], orientation="h",
                customdata=[[r[label], r["orders"]] for r in rows],
                marker={"opacity": [1 if not selected or r[label] in selected else DIM for r in rows]},
                hovertemplate="%{y}<br>R$ %{x:,.2f}<br>%{customdata[1]:,} orders<extra></extra>")
    fig.update_layout(xaxis={"tickprefix": "R$ ", "separatethousands": True},
                      yaxis={"automargin": True, "dtick": 1, "tickfont": {"size": 11}},
                      clickmode="event")
    return fig


DIM = 0.3  # the opacity of values a cross-filter did not pick


INCOMPLETE = 0.35  # the opacity of a period the range or the data does not fully cover


def mark_incomplete(fig: go.Figure, f, grain: str, complete) -> go.Figure:
    """Pale bars and markers for the periods the range or the data does not fully cover (a week cut
    by the range's edge, the export's thinning last days), so a short last bar does not read as a
    collapse; a legend entry says what pale means. `complete` is the last day the data fully covers
    (data.queries.complete_through). Every trace whose x are the periods is marked."""
    covered_to = min(f.end, complete) if complete else f.end

    def partial(day) -> bool:
        day = date.fromisoformat(str(day)[:10])
        return not (f.start <= day and queries.period_end(grain, day) <= covered_to)

    marked = False
    for trace in fig.data:
        if trace.type not in ("bar", "scatter") or not trace.x or trace.x[0] is None:
            continue
        flags = [partial(x) for x in trace.x]
        if not any(flags):
            continue
        marked = True
        if trace.type == "bar":
            trace.marker.opacity = [INCOMPLETE if p else 1 for p in flags]
        else:
            trace.marker.opacity = [INCOMPLETE if p else 1 for p in flags]
            trace.mode = "lines+markers"
    if marked:
        fig.add_bar(x=[None], y=[None], name="Incomplete period", marker={"color": "#adb5bd", "opacity": INCOMPLETE},
                    hoverinfo="skip")
    return fig


def two_axes(fig: go.Figure, left: dict, right_title: str, right_percent: bool = False) -> go.Figure:
    """Lay out a chart whose traces on yaxis="y2" read off a right-hand axis; legend on top."""
    right = {"title": right_title, "overlaying": "y", "side": "right", "showgrid": False, "rangemode": "tozero"}
    if right_percent:
        right["tickformat"] = ".0%"
    fig.update_layout(legend=LEGEND_ON_TOP, yaxis=left, yaxis2=right)
    return fig


def revenue_and_orders(rows: list[dict], theme: str | None, revenue_axis: dict) -> go.Figure:
    """Revenue bars and an orders line over `rows` of period, revenue and orders."""
    if not rows:
        return empty(theme)
    x = [r["period"] for r in rows]
    fig = base(theme)
    fig.add_bar(x=x, y=[float(r["revenue"]) for r in rows], name="Revenue (R$)",
                hovertemplate="%{x|%d %b %Y}<br>R$ %{y:,.2f}<extra></extra>")
    fig.add_scatter(x=x, y=[r["orders"] for r in rows], name="Orders", yaxis="y2", mode="lines+markers",
                    hovertemplate="%{x|%d %b %Y}<br>%{y:,} orders<extra></extra>")
    return two_axes(fig, {"tickprefix": "R$ ", "separatethousands": True, **revenue_axis}, "Orders")


def share_curve(curve: list[tuple[float, float]], theme: str | None, name: str, hover: str, x_title: str) -> go.Figure:
    """A cumulative-share curve (Lorenz, Pareto) of (share of members, share of revenue) points over
    the diagonal of equal shares."""
    fig = base(theme)
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="Equality", line={"dash": "dot", "color": "gray"},
                    hoverinfo="skip")
    fig.add_scatter(x=[p[0] for p in curve], y=[p[1] for p in curve], mode="lines", name=name, fill="tozeroy",
                    line={"color": PALETTE[0]}, hovertemplate=hover)  # a share, not an alarm: the page's blue
    fig.update_layout(legend=LEGEND_ON_TOP, xaxis={"tickformat": ".0%", "title": x_title},
                      yaxis={"tickformat": ".0%", "title": "Revenue"})
    return fig


def small_multiples(panels: list[tuple[str, list, list]], theme: str | None, hover: str, cols: int = 4,
                    hgap: float = 0.05, vgap: float = 0.09) -> go.Figure:
    """One line chart per (title, x, y) panel in a grid, sharing the x axis. The axes and titles are
    laid out here and the figure built unvalidated: make_subplots took 60 to 500 ms for 12 panels."""
    rows = -(-len(panels) // cols)
    width, height = (1 - (cols - 1) * hgap) / cols, (1 - (rows - 1) * vgap) / rows
    layout = {"template": template(theme), "margin": {**MARGIN, "t": 30}, "showlegend": False,
              "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", "annotations": []}
    traces = []
    for k, (title, x, y) in enumerate(panels):
        r, c, n = k // cols, k % cols, "" if k == 0 else str(k + 1)
        left, top = c * (width + hgap), 1 - r * (height + vgap)
        layout[f"xaxis{n}"] = {"domain": [max(left, 0), min(left + width, 1)], "anchor": f"y{n}",
                               "showticklabels": k + cols >= len(panels), "tickfont": {"size": 9},
                               **({"matches": "x"} if k else {})}
        layout[f"yaxis{n}"] = {"domain": [max(top - height, 0), min(top, 1)], "anchor": f"x{n}",
                               "rangemode": "tozero", "tickprefix": "R$ ", "separatethousands": True, "nticks": 4,
                               "tickfont": {"size": 9}}
        layout["annotations"].append({"text": title, "x": left + width / 2, "y": top, "xref": "paper",
                                      "yref": "paper", "xanchor": "center", "yanchor": "bottom", "showarrow": False,
                                      "font": {"size": 11}})
        traces.append({"type": "scatter", "x": x, "y": y, "mode": "lines", "name": title, "xaxis": f"x{n}",
                       "yaxis": f"y{n}", "line": {"width": 2}, "hovertemplate": f"{title}<br>{hover}<extra></extra>"})
    return go.Figure({"data": traces, "layout": layout}, _validate=False)
