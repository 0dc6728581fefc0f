"""Saved questions: every question the user may open, searchable (layout only)."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from pages._cards import card_title, grid

dash.register_page(__name__, path="/questions", name="Questions", group="Analyze", order=12, title="Questions · Olist Analytics")

COLUMNS = [{"field": "link", "headerName": "Question (open)", "cellRenderer": "markdown", "minWidth": 240},
           {"field": "description", "headerName": "Description", "tooltipField": "description", "maxWidth": 480},
           {"field": "owner", "headerName": "Owner"},
           {"field": "shared", "headerName": "Shared with"},
           {"field": "updated", "headerName": "Last change"},
           {"field": "updated_by", "headerName": "By"}]


def layout(**_query):
    return html.Div([dbc.Card(dbc.CardBody([
        dbc.Row([
            dbc.Col(card_title("Saved questions", "The questions you own and those shared with you. Save one "
                               "from Explore; open one to change its filters, duplicate or edit it.")),
            dbc.Col(dbc.Input(id="questions-search", type="search", debounce=True, placeholder="Search names, "
                              "descriptions, owners"), xs=12, md=4),
            dbc.Col(dcc.Link("New question in Explore →", href="/explore", className="btn btn-sm btn-primary"),
                    width="auto"),
        ], className="mb-2 g-2 align-items-center"),
        dcc.Loading(grid("questions-list", COLUMNS, page_size=20)),
        html.Div(id="questions-empty", className="small text-body-secondary"),
    ]), className="mb-3")])
