"""Explore callbacks: the controls write the question into the URL; the answer is drawn from it.

The shell's `explore-shown` store holds the page and the question it shows ({"page": its path,
"question": data.exploration.to_query}), set when the page is rendered from a URL and when a
control changes it. Drawing reads that store
and the filter bar's `filters`, both the shell's, so no callback here mixes a page control with a
shell input (on other pages such a callback would name controls that are not there).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode

from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, html, no_update
from dash.exceptions import PreventUpdate

from callbacks import _explore_figures as draw
from callbacks import _figures as figures
from callbacks._context import filters_from, guarded, together, warehouse
from callbacks._export import can_export, send
from data import exploration as ex
from data.queries import auto_grain
from data.semantic.planner import UnknownName

WHERE = {"type": "explore-where", "key": ALL}


def question_args(metrics, by, grain, chart, vs, sort, limit, where: dict) -> dict:
    """The controls' values as the URL's query values (data.exploration.parse reads either)."""
    return {"metrics": metrics or [], "by": by or [], "grain": grain,
            **({"chart": chart} if chart else {}), **({"vs": vs} if vs not in (None, "none") else {}),
            **({"sort": sort} if sort not in (None, "auto") else {}),
            **({"limit": str(limit)} if limit not in (None, "auto") else {}),
            **{k: [str(v) for v in values] for k, values in where.items() if values}}


def with_question(search: str | None, question: dict) -> str:
    """The URL's query with its filter-bar part kept and Explore's own part replaced by `question`."""
    args = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items() if k not in ex.OWN}
    return "?" + urlencode({**args, **question}, safe=",")


@callback(
    Output("url", "search", allow_duplicate=True), Output("explore-shown", "data", allow_duplicate=True),
    Output("explore-metrics", "value"), Output("explore-by", "value"), Output("explore-chart", "options"),
    Output("explore-chart", "value"), Output("explore-sort", "options"), Output("explore-sort", "value"),
    Output("explore-grain", "disabled"), Output("explore-where-count", "children"),
    Output("explore-notices", "children"),
    Input("explore-metrics", "value"), Input("explore-by", "value"), Input("explore-grain", "value"),
    Input("explore-chart", "value"), Input("explore-vs", "value"), Input("explore-sort", "value"),
    Input("explore-limit", "value"), Input(WHERE, "value"),
    State(WHERE, "id"), State("url", "search"), State("explore-shown", "data"), State("explore-rendered", "data"),
    prevent_initial_call=True,
)
def compose(metrics, by, grain, chart, vs, sort, limit, where_values, where_ids, search, shown, rendered):
    """A control changed: the question it makes, written into the URL (one history entry). A chart
    the user did not pick follows the question (bars become a line when the date is added).

    Dash also calls this when the page is drawn (its outputs lie outside the page), with every
    control at once: the URL then already says what the controls show, and is left as it is."""
    drawn = len(ctx.triggered_prop_ids) > 1  # the page was just drawn, from `rendered`
    before = ((rendered if drawn else shown) or {}).get("question") or {}
    picked_chart = ctx.triggered_id == "explore-chart" or "chart" in before
    where = {i["key"]: v or [] for i, v in zip(where_ids, where_values)}
    e, notices = ex.parse(question_args(metrics, by, grain, None, vs, sort, limit, where))
    if picked_chart and chart in ex.charts_for(e):
        e = replace(e, chart=chart)
    question = ex.to_query(e)
    if drawn and question == (rendered or {}).get("question"):
        raise PreventUpdate
    alerts = [html.Div(n, className="alert alert-warning py-1 px-2 small mb-2") for n in notices]
    written = with_question(search, question)
    return (written if written != search else no_update, {**(rendered or {}), "question": question},
            list(e.metrics), list(e.by), ex.chart_options(e), e.shown, ex.sort_options(e), e.sort or "auto",
            "date" not in e.by, ex.more_count(e), alerts)


# A page rendered from a URL tells the shell which question it shows.
clientside_callback("function(question) { return question; }",
                    Output("explore-shown", "data", allow_duplicate=True), Input("explore-rendered", "data"),
                    prevent_initial_call="initial_duplicate")


@callback(Output({"type": "explore-where", "key": ALL}, "options"), Input("explore-rendered", "data"),
          State(WHERE, "id"), State(WHERE, "value"))
@guarded
def where_options(_question, ids, values):
    """The More filters' choices: the values each dimension can take (a product: the chosen ones),
    as the URL writes them (text), numbers in their order."""
    out = []
    for i, chosen in zip(ids, values):
        key = i["key"]
        known = [str(v) for v in warehouse().domain(key)] if key != "product" else []
        known += [str(v) for v in (chosen or []) if str(v) not in known]
        out.append([{"label": ex.value_name(key, v), "value": v} for v in sorted(known, key=_ordered)])
    return out


def _ordered(v: str):
    return (0, int(v), "") if v.lstrip("-").isdigit() else (1, 0, v)


def question_of(shown) -> ex.Exploration:
    """The question in the shell's `explore-shown` store (ValueError, a 400, for a crafted one)."""
    if not isinstance(shown, dict):
        raise ValueError("the shown question is not a question")
    return ex.parse(shown.get("question"))[0]


@dataclass
class Answered:
    """A question's answer, the compared period's lined up with it, and the sellers' names it shows."""
    found: object
    before: object
    compared: dict | None
    labels: dict


def answered(e: ex.Exploration, f) -> Answered:
    """Ask the semantic layer `e` over filters `f` (and the compared period's, at once)."""
    wh = warehouse()

    def ask(g):
        return lambda: wh.answer(g, e.metrics, e.by, e.grain, e.order_by(), e.row_limit(), e.filters())
    if e.vs:
        then = f.compared(e.vs)
        found, before = together(ask(f), ask(then))
        compared = draw.aligned(e, found.rows, before.rows, (f.start, f.end), (then.start, then.end))
    else:
        found, before, compared = ask(f)(), None, None
    labels = {}
    if "seller" in e.by:
        at = e.by.index("seller")
        labels = wh.seller_labels(tuple(sorted({str(r[at]) for r in found.rows})))
    return Answered(found, before, compared, labels)


@dataclass
class Drawn:
    """A question drawn: its chart (or, `flat`, none), big numbers, table, and where it came from."""
    e: ex.Exploration
    figure: object
    flat: bool
    number: list
    columns: list
    table: list
    line: object


def drawn(e: ex.Exploration, f, theme) -> Drawn:
    """The one renderer of a question, for Explore and every dashboard card: answered under
    filters `f` (an automatic grain by their range), drawn as the question says."""
    began = time.perf_counter()
    e = replace(e, grain=e.grain or auto_grain(f))
    try:
        a = answered(e, f)
    except UnknownName as exc:
        return Drawn(e, figures.empty(theme, f"This question cannot be answered: {exc}."), False, [], [], [], "")
    kind = e.shown
    flat = kind in ("number", "table")
    figure = figures.empty(theme) if flat else draw.chart(e, a.found.rows, a.compared, theme, a.labels)
    number = draw.numbers(e, a.found.rows, a.compared) if kind == "number" else []
    table = draw.table_rows(e, a.found.rows, a.compared, a.labels)
    source = "the fact tables" if a.found.answered_from == "star" else a.found.answered_from
    took = (time.perf_counter() - began) * 1000
    line = html.Span(f"{len(table):,} rows, answered from {source} in {a.found.ms:,.1f} ms"
                     + (f" (the compared period from {a.before.answered_from})" if a.before else "")
                     + f"; drawn in {took:,.0f} ms", title=a.found.explain)
    return Drawn(e, figure, flat, number, draw.columns(e), table, line)


@callback(
    Output("explore-chart-graph", "figure"), Output("explore-chart-graph", "style"), Output("explore-number", "children"),
    Output("explore-table", "columnDefs"), Output("explore-table", "rowData"), Output("explore-answered", "children"),
    Output("explore-title", "children"),
    Input("explore-shown", "data"), Input("filters", "data"), Input("theme", "data"),
)
@guarded
def answer(shown, data, theme):
    """Draw the question's answer: its chart (or big numbers), the table, and which table answered."""
    f = filters_from(data)
    if not shown or f is None:
        raise PreventUpdate
    d = drawn(question_of(shown), f, theme)
    return (d.figure, {"display": "none"} if d.flat else {"height": "460px"}, d.number, d.columns, d.table, d.line,
            ex.describe(d.e))


@callback(Output("explore-csv", "disabled"), Output("explore-xlsx", "disabled"), Output("explore-export-note", "children"),
          Input("explore-rendered", "data"))
def export_allowed(_):
    allowed = can_export()
    return not allowed, not allowed, "" if allowed else "Viewers cannot export; ask an admin for the analyst role."


@callback(Output("explore-download", "data"), Input("explore-csv", "n_clicks"), Input("explore-xlsx", "n_clicks"),
          State("explore-shown", "data"), State("filters", "data"), prevent_initial_call=True)
@guarded
def export(_csv, _xlsx, shown, data):
    """The answer's table as CSV or Excel (decided on the server: a viewer gets nothing)."""
    f = filters_from(data)
    if not shown or f is None or not can_export():
        return no_update
    e = question_of(shown)
    e = replace(e, grain=e.grain or auto_grain(f))
    a = answered(e, f)
    rows = draw.table_rows(e, a.found.rows, a.compared, a.labels)
    headers = {c["field"]: c["headerName"] for c in draw.columns(e)}
    return send([{headers[k]: v for k, v in r.items()} for r in rows], "explore_" + ex.file_name(e),
                ctx.triggered_id == "explore-xlsx", "Explore")


# PNG: the chart as drawn, at twice its size, made in the browser by Plotly (nothing leaves the page).
clientside_callback(
    """function(clicks) {
        const plot = document.querySelector("#explore-chart-graph .js-plotly-plot");
        if (clicks && plot && window.Plotly) {
            window.Plotly.downloadImage(plot, {format: "png", filename: "explore", scale: 2});
        }
        return window.dash_clientside.no_update;
    }""",
    Output("explore-png", "title"), Input("explore-png", "n_clicks"), prevent_initial_call=True,
)
