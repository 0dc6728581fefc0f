"""A dashboard's grid and its cards (layout only): one card renderer for every saved question.

A card is a frame (title, tools, loading and empty states in place) around a question drawn by
Explore's own drawing (callbacks/_explore_figures.py), answered by callbacks/dashboards.py; a text
card is Markdown shown as text (no HTML). The grid is dash-snap-grid's (react-grid-layout): cards
are dragged by their title bar and resized from their corner, on a 12-column grid.
"""
import dash_bootstrap_components as dbc
from dash import dcc, html
from dash_snap_grid import Grid

from data import exploration as ex
from data.dashboards import COLUMNS, MODES
from pages._cards import MAP_CONFIG

ROW_HEIGHT = 80


def grid(d, questions: dict, editable: bool, openable=frozenset()):
    """The dashboard's grid: every card at its place. `questions` maps a question id to the saved
    question (None once deleted); `openable` holds the ids of those the user may open on their own
    (their cards link to them)."""
    return Grid(id="dashboard-grid", cols=COLUMNS, rowHeight=ROW_HEIGHT, compactType="vertical",
                layout=[{"i": f"card-{c['id']}", "x": c["x"], "y": c["y"], "w": c["w"], "h": c["h"]}
                        for c in d.cards],
                children=[card(d.dashboard_id, c, questions.get(c.get("question_id")), editable,
                                c.get("question_id") in openable)
                           for c in sorted(d.cards, key=lambda c: (c["y"], c["x"]))],  # a phone stacks them so
                isDraggable=editable, isResizable=editable, draggableHandle=".card-handle",
                draggableCancel=".card-tool", margin=[12, 12], containerPadding=[0, 0])


def card(dashboard_id: int, c: dict, question, editable: bool, openable: bool = False):
    cid = c["id"]
    tools = []
    if editable and c["kind"] == "question":
        tools.append(html.Span(dbc.Select(id={"type": "card-mode", "card": cid}, value=c.get("filters", "intersect"),
                                          size="sm", options=[{"label": "Filters: both", "value": "intersect"},
                                                              {"label": "Filters: the bar's", "value": "override"}],
                                          className="card-tool card-mode"), title=MODE_TIP))
    if editable:
        tools.append(html.Button("×", id={"type": "card-remove", "card": cid}, className="card-tool btn btn-sm "
                                 "btn-link text-body-secondary p-0 ms-2", title="Remove this card"))
    if c["kind"] == "text":
        title, body = "", dcc.Markdown(c.get("text", ""), className="card-text small", link_target="_blank")
    else:
        title = question.name if question else "A deleted question"
        body = [
            dcc.Store(id={"type": "card-ref", "card": cid},
                      data={"dashboard": dashboard_id, "card": cid,
                            "by": ex.parse(question.query)[0].by[:1] if question else []}),
            dcc.Loading(html.Div([
                html.Div(id={"type": "card-number", "card": cid}, className="explore-number"),
                dcc.Graph(id={"type": "card-graph", "card": cid}, config=MAP_CONFIG, className="card-graph",
                          responsive=True, style={"height": "100%"}),
            ], className="card-chart"), parent_className="card-loading"),
            html.Div(id={"type": "card-note", "card": cid}, className="card-note small text-body-secondary"),
        ]
    if question is not None and openable:  # a link of its own: a drag by the title must not follow it
        tools.insert(0, dcc.Link("Open ↗", href=f"/questions/{question.question_id}", title="Open the question",
                                 className="card-tool small ms-2 text-nowrap"))
    head = html.Div([
        html.Div([html.Span("⠿ ", className="text-body-tertiary") if editable else None, html.Span(title)],
                 className="card-handle card-title small text-truncate flex-grow-1"),
        html.Div(tools, className="d-flex align-items-center"),
    ], className="d-flex justify-content-between align-items-center")
    return html.Div(dbc.Card(dbc.CardBody([head, html.Div(body, className="card-body-fill")],
                                          className="d-flex flex-column p-2")),
                    id=f"card-{cid}", className="dashboard-card")


MODE_TIP = ("How the filter bar meets the question's own filters: both (a state the question names and "
            "one the bar names must both hold), or the bar's in place of the question's")
MODE_NAMES = dict(zip(MODES, ("both filters", "the bar's filters")))
