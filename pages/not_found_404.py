"""The page for a path that does not exist (Dash shows it for unknown routes)."""
import dash
from dash import html

dash.register_page(__name__, path="/404", name="Not found", title="Not found · Olist Analytics")

layout = html.Div([
    html.H2("This page does not exist"),
    html.P(["Check the address, or go back to the ", html.A("Overview", href="/"), "."]),
], className="py-5 text-center")
