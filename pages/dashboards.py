"""Dashboards: every dashboard the user may open, searchable, and a new one (layout only)."""
import dash
import dash_bootstrap_components as dbc
from dash import html

from data.sharing import MAX_NAME
from pages._cards import card_title, grid
from pages.questions import COLUMNS as QUESTION_COLUMNS

dash.register_page(__name__, path="/dashboards", name="Dashboards", group="Analyze", order=13,
                   title="Dashboards · Olist Analytics")

COLUMNS = [{**QUESTION_COLUMNS[0], "headerName": "Dashboard (open)"}, {"field": "cards", "headerName": "Cards",
                                                                        "type": "numericColumn"},
           *QUESTION_COLUMNS[1:]]


def layout(**_query):
    return html.Div([dbc.Card(dbc.CardBody([
        dbc.Row([
            dbc.Col(card_title("Dashboards", "The dashboards you own and those shared with you: grids of saved "
                               "questions and text under the filter bar.")),
            dbc.Col(dbc.Input(id="dashboards-search", type="search", debounce=True,
                              placeholder="Search names, descriptions, owners"), xs=12, md=4),
        ], className="mb-2 g-2 align-items-center"),
        dbc.Row([
            dbc.Col(dbc.Input(id="dashboards-new-name", placeholder="A new dashboard's name", maxLength=MAX_NAME,
                              size="sm"), xs=12, md=4),
            dbc.Col(dbc.Button("New dashboard", id="dashboards-new", size="sm", color="primary"), width="auto"),
            dbc.Col(dbc.Button("Start from the Overview", id="dashboards-from-overview", size="sm", color="secondary",
                               outline=True, title="The Overview's figures as your own dashboard, to change"),
                    width="auto"),
            dbc.Col(html.Div(id="dashboards-message", className="small text-danger", role="alert")),
        ], className="mb-2 g-2 align-items-center"),
        grid("dashboards-list", COLUMNS, page_size=20),
        html.Div(id="dashboards-empty", className="small text-body-secondary"),
    ]), className="mb-3")])
