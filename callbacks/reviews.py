"""Reviews callbacks: KPI cards, score mix and trend, categories, lateness, the two tables and exports."""
from __future__ import annotations

from dataclasses import replace

from dash import Input, Output, State, callback, ctx

from callbacks import _compare as compare
from callbacks import _figures as figures
from callbacks._context import filters_from, guarded, warehouse
from callbacks._export import can_export, send
from callbacks.delivery import lateness_figure
from callbacks._format import plain
from callbacks._labels import linked
from callbacks._urls import cross_filter, with_chosen
from data import names, queries

SCORE_COLOURS = ["#d62828", "#f77f00", "#fcbf49", "#90be6d", "#2a9d8f"]


CARDS = [compare.Kpi("review_score", "score"), compare.Kpi("reviews", "count"),
         compare.Kpi("low_score_share", "pct", "down"), compare.Kpi("comment_share", "pct")]


@callback(compare.outputs("reviews", CARDS), Input("filters", "data"))
@guarded
def kpis(data):
    return compare.answer(data, CARDS, _kpi_values)


def _kpi_values(f) -> dict:
    return warehouse().review_kpis(f)


@callback(Output("reviews-mix", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def score_mix(data, theme):
    f = filters_from(data)
    rows = warehouse().score_mix(f) if f else []
    if not any(r["reviews"] for r in rows):
        return figures.empty(theme)
    total = sum(r["reviews"] for r in rows)
    fig = figures.base(theme)
    fig.add_bar(x=[str(r["score"]) for r in rows], y=[r["reviews"] for r in rows], marker_color=SCORE_COLOURS,
                customdata=[[r["reviews"] / total] for r in rows],
                hovertemplate="score %{x}<br>%{y:,} reviews (%{customdata[0]:.1%})<extra></extra>")
    fig.update_layout(xaxis={"title": "Score"}, yaxis={"title": "Reviews", "separatethousands": True})
    return fig


@callback(Output("reviews-trend", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def trend(data, theme):
    f = filters_from(data)
    rows = warehouse().review_trend(f, queries.auto_grain(f)) if f else []
    if not rows:
        return figures.empty(theme)
    x = [r["period"] for r in rows]
    fig = figures.base(theme)
    fig.add_bar(x=x, y=[r["reviews"] for r in rows], name="Reviews", yaxis="y2", opacity=0.35,
                hovertemplate="%{x|%d %b %Y}<br>%{y:,} reviews<extra></extra>")
    fig.add_scatter(x=x, y=[float(r["review_score"]) for r in rows], name="Average score", mode="lines+markers",
                    hovertemplate="%{x|%d %b %Y}<br>average %{y:.2f}<extra></extra>")
    figures.mark_incomplete(fig, f, queries.auto_grain(f), warehouse().bounds()["complete"])
    return figures.two_axes(fig, {"title": "Average score", "range": [1, 5]}, "Reviews")


@callback(Output("reviews-categories", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def categories(data, theme):
    """The 12 most reviewed categories' average scores, and any chosen ones; the chosen bright (a click
    toggles one)."""
    f = filters_from(data)
    rows = (with_chosen(warehouse().reviews_by_category(replace(f, categories=()), 100), "category",
                        f.categories, 12) if f else [])
    if not rows:
        return figures.empty(theme)
    rows = sorted(rows, key=lambda r: r["review_score"])
    fig = figures.base(theme)
    fig.add_bar(y=[names.category(r["category"]) for r in rows], x=[float(r["review_score"]) for r in rows],
                orientation="h", customdata=[[r["category"], r["reviews"]] for r in rows],
                marker={"opacity": [1 if not f.categories or r["category"] in f.categories else figures.DIM
                                    for r in rows]},
                hovertemplate="%{y}<br>average %{x:.2f}<br>%{customdata[1]:,} reviews<extra></extra>")
    fig.update_layout(xaxis={"range": [1, 5], "title": "Average score"}, yaxis={"automargin": True, "dtick": 1},
                      clickmode="event")
    return fig


filter_by_category = cross_filter("reviews-categories", "category")


@callback(Output("reviews-lateness", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def lateness(data, theme):
    return lateness_figure(filters_from(data), theme)


@callback(Output("reviews-low", "rowData"), Input("filters", "data"))
@guarded
def low_scores(data):
    f = filters_from(data)
    return plain(warehouse().low_scores(f, 100)) if f else []


@callback(Output("reviews-sellers", "rowData"), Input("filters", "data"))
@guarded
def sellers(data):
    f = filters_from(data)
    return plain(linked(warehouse().reviews_by_seller(f, 500), f)) if f else []


@callback([Output(f"reviews-{t}-{x}", "disabled") for t in ("low", "sellers") for x in ("csv", "xlsx")],
          Input("url", "pathname"))
def export_allowed(_):
    return [not can_export()] * 4


@callback(Output("reviews-low-download", "data"), Input("reviews-low-csv", "n_clicks"),
          Input("reviews-low-xlsx", "n_clicks"), State("filters", "data"), prevent_initial_call=True)
@guarded
def export_low(_csv, _xlsx, data):
    f = filters_from(data)
    return send(warehouse().low_scores(f, 100) if f else [], "low-score-reviews",
                ctx.triggered_id.endswith("xlsx"), "Low scores")


@callback(Output("reviews-sellers-download", "data"), Input("reviews-sellers-csv", "n_clicks"),
          Input("reviews-sellers-xlsx", "n_clicks"), State("filters", "data"), prevent_initial_call=True)
@guarded
def export_sellers(_csv, _xlsx, data):
    f = filters_from(data)
    return send(warehouse().reviews_by_seller(f, 500) if f else [], "sellers-by-reviews",
                ctx.triggered_id.endswith("xlsx"), "Sellers")
