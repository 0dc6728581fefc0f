"""Explore: compose a question from the catalogue's metrics and dimensions, and save it (layout only).

The question is the URL's (data.exploration): the layout sets every control from it. Dash's router
calls `layout` on every change of the query string; when the question in the URL is the one the
page already shows (a control wrote it, or the filter bar changed), it returns no_update, so an
open picker stays open and nothing is drawn twice (callbacks/explore.py).
"""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from data import exploration as ex
from data.semantic.catalogue import CATALOGUE
from pages._cards import MAP_CONFIG, card_title, grid
from pages._sharing import details_dialog

dash.register_page(__name__, path="/explore", name="Explore", group="Analyze", order=11, title="Explore · Olist Analytics")


def _option(key: str, label: str, note: str, search: str) -> dict:
    """A picker's option: its name over its definition in small print, found by either."""
    return {"label": html.Div([html.Div(label), html.Div(note, className="option-note")]), "value": key,
            "search": f"{label} {key.replace('_', ' ')} {search}"}


def _grouped(groups, describe) -> list[dict]:
    """Options under group headings (a heading is a disabled option)."""
    out = []
    for name, keys in groups:
        out.append({"label": html.Div(name, className="option-group"), "value": f"group:{name}", "disabled": True,
                    "search": ""})
        out += [describe(k, name) for k in keys]
    return out


def metric_options() -> list[dict]:
    return _grouped(ex.METRIC_GROUPS, lambda k, group: _option(
        k, CATALOGUE.metrics[k].label, CATALOGUE.metrics[k].definition, group))


def dimension_options() -> list[dict]:
    def describe(k, group):
        d = CATALOGUE.dimensions[k]
        note = "per day, week, month, quarter or year" if k == "date" else f"{group}; {d.level} level"
        return _option(k, d.label, note, group)
    return _grouped(ex.DIMENSION_GROUPS, describe)


def _labelled(label: str, control, width: dict, tip: str | None = None):
    return dbc.Col([html.Label(label, className="small mb-0", title=tip), control], **width, className="mb-2")


def composer(e: ex.Exploration):
    """The question's controls, set to `e`."""
    return dbc.Card(dbc.CardBody([
        dbc.Row([
            _labelled("Metrics (1 to 4)", dcc.Dropdown(
                id="explore-metrics", options=metric_options(), value=list(e.metrics), multi=True, clearable=False,
                closeOnSelect=False, debounce=True, maxHeight=420, placeholder="Pick up to four metrics"),
                {"xs": 12, "lg": 4}, "What to measure; each has its definition from the glossary"),
            _labelled("By (up to 2)", dcc.Dropdown(
                id="explore-by", options=dimension_options(), value=list(e.by), multi=True, closeOnSelect=False,
                debounce=True, maxHeight=420, placeholder="No dimension: one number"),
                {"xs": 12, "lg": 3}, "What to group by: the date (with a grain) and up to one more"),
            _labelled("Grain", dcc.Dropdown(
                id="explore-grain", options=[{"label": "Automatic", "value": "auto"}] + [
                    {"label": g.capitalize(), "value": g} for g in ex.GRAINS],
                value=e.grain or "auto", clearable=False, disabled="date" not in e.by), {"xs": 6, "lg": 2},
                "The period of each point when the date is a dimension; automatic: by the range's length"),
            _labelled("Compare the answer with", dcc.Dropdown(
                id="explore-vs", options=[{"label": "Nothing", "value": "none"}] + [
                    {"label": text.capitalize(), "value": k} for k, text in ex.COMPARE.items()],
                value=e.vs or "none", clearable=False), {"xs": 6, "lg": 3}),
        ]),
        dbc.Row([
            _labelled("Chart", dbc.RadioItems(
                id="explore-chart", options=ex.chart_options(e), value=e.shown, inline=True, className="small"),
                {"xs": 12, "lg": 7}),
            _labelled("Sort", dcc.Dropdown(id="explore-sort", options=ex.sort_options(e), value=e.sort or "auto",
                                           clearable=False), {"xs": 6, "lg": 3}),
            _labelled("Rows", dcc.Dropdown(
                id="explore-limit", options=[{"label": "Automatic", "value": "auto"}] + [
                    {"label": f"{n:,}", "value": n} for n in ex.LIMITS], value=e.limit or "auto", clearable=False),
                {"xs": 6, "lg": 2}),
        ]),
        html.Details([
            html.Summary(["More filters", html.Span(ex.more_count(e), id="explore-where-count",
                                                    className="badge text-bg-secondary ms-1")],
                         className="small"),
            dbc.Row([_labelled(CATALOGUE.dimensions[k].label, dcc.Dropdown(
                id={"type": "explore-where", "key": k}, options=[{"label": ex.value_name(k, v), "value": v}
                                                                  for v in e.where.get(k, ())],
                value=list(e.where.get(k, ())), multi=True, placeholder="Any",
                closeOnSelect=False, debounce=True), {"xs": 6, "md": 3, "lg": 3}) for k in ex.WHERE],
                className="pt-2"),
        ], open=bool(e.where), id="explore-more"),
    ]), className="mb-3")


def notice(text: str):
    return html.Div(text, className="alert alert-warning py-1 px-2 small mb-2")


def layout(explore_shown=None, **query):
    e, notices = ex.parse(query)
    return page("/explore", e, notices, explore_shown)


def page(key: str, e: ex.Exploration, notices: list[str], shown, header=None, saved_id: int | None = None,
         tools=None):
    """Explore's page for the question `e` at `key` (its path), or no_update when that page shows
    it already. `header` and `tools` go above the composer (a saved question's name, its tools)."""
    rendered = {"page": key, "question": ex.to_query(e)}
    if shown == rendered:
        return dash.no_update  # this question is on the page already (a control wrote it, or a filter moved)
    return html.Div([
        dcc.Store(id="explore-rendered", data=rendered),
        dcc.Store(id="question-id", data=saved_id),
        html.Div(header, id="question-header"),
        html.Div(tools, id="question-tools"),
        html.Div([notice(n) for n in notices], id="explore-notices"),
        composer(e),
        dbc.Card(dbc.CardBody([
            dbc.Row([
                dbc.Col(html.Div(ex.describe(e), id="explore-title", className="card-title",
                                 title="Each metric's definition is in the Metrics picker and the table's headers."),
                        xs=12, md=True),  # on a phone the buttons go under the title, not beside it
                dbc.Col([
                    *save_buttons(saved_id),
                    dbc.Button("PNG", id="explore-png", size="sm", color="secondary", outline=True, className="me-1",
                               title="Download the chart as a PNG image"),
                    dbc.Button("CSV", id="explore-csv", size="sm", color="secondary", outline=True, className="me-1",
                               title="Export the answer as CSV"),
                    dbc.Button("Excel", id="explore-xlsx", size="sm", color="secondary", outline=True,
                               title="Export the answer as Excel"),
                ], width="auto"),
            ]),
            html.Div([html.Span(id="explore-export-note"), html.Span(id="question-message", className="ms-2")],
                     className="small text-body-secondary"),
            dcc.Loading([
                html.Div(id="explore-number", className="explore-number"),
                dcc.Graph(id="explore-chart-graph", config={**MAP_CONFIG, "toImageButtonOptions": {
                    "filename": "explore", "scale": 2}}, style={"height": "460px"}),
            ]),
            html.Div(id="explore-answered", className="small text-body-secondary mt-1"),
            dcc.Download(id="explore-download"),
        ]), className="mb-3"),
        dbc.Card(dbc.CardBody([
            card_title("The answer as a table", "Every row of the answer, as the chart shows it."),
            dcc.Loading(grid("explore-table", [], page_size=20)),
        ]), className="mb-3"),
        details_dialog("question", "Save the question"),
    ])


def save_buttons(saved_id: int | None) -> list:
    """Save (a new question from Explore; the changes, on a saved question), and Save as new."""
    buttons = [dbc.Button("Save" if saved_id is None else "Save changes", id="question-save", size="sm",
                          color="primary", className="me-1", title="Keep this question, with its filters")]
    buttons.append(dbc.Button("Save as new", id="question-save-as", size="sm", color="primary", outline=True,
                              className="me-1", style=None if saved_id is not None else {"display": "none"}))
    return buttons
