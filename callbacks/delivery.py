"""Delivery callbacks: KPI cards, trends, the distribution, states, and reviews by lateness."""
from __future__ import annotations

from dataclasses import replace

from dash import Input, Output, callback

from callbacks import _compare as compare
from callbacks import _figures as figures
from callbacks._context import filters_from, guarded, warehouse
from callbacks._urls import cross_filter
from data import names, queries

CARDS = [compare.Kpi("on_time_rate", "pct"), compare.Kpi("late_share", "pct", "down"),
         compare.Kpi("delivery_days", "days", "down"), compare.Kpi("estimated_days", "days", "none"),
         compare.Kpi("handoff_days", "days", "down")]


@callback(compare.outputs("delivery", CARDS), Input("filters", "data"))
@guarded
def kpis(data):
    return compare.answer(data, CARDS, lambda f: warehouse().delivery_kpis(f))


def _trend(f):
    return warehouse().delivery_trend(f, queries.auto_grain(f))


@callback(Output("delivery-trend", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def trend(data, theme):
    f = filters_from(data)
    rows = _trend(f) if f else []
    if not rows:
        return figures.empty(theme)
    x = [r["period"] for r in rows]
    fig = figures.base(theme)
    fig.add_scatter(x=x, y=[float(r["on_time_rate"]) for r in rows], name="On-time rate", mode="lines+markers",
                    hovertemplate="%{x|%d %b %Y}<br>%{y:.1%} on time<extra></extra>")
    fig.add_bar(x=x, y=[float(r["late_share"]) for r in rows], name="Late share", yaxis="y2", opacity=0.5,
                hovertemplate="%{x|%d %b %Y}<br>%{y:.1%} late<extra></extra>")
    figures.mark_incomplete(fig, f, queries.auto_grain(f), warehouse().bounds()["complete"])
    return figures.two_axes(fig, {"tickformat": ".0%", "title": "On time", "rangemode": "tozero"}, "Late",
                            right_percent=True)


@callback(Output("delivery-promise", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def promise(data, theme):
    f = filters_from(data)
    rows = _trend(f) if f else []
    if not rows:
        return figures.empty(theme)
    x = [r["period"] for r in rows]
    fig = figures.base(theme)
    for key, name in (("estimated_days", "Promised"), ("delivery_days", "Actual")):
        fig.add_scatter(x=x, y=[float(r[key]) for r in rows], name=name, mode="lines+markers",
                        hovertemplate=f"%{{x|%d %b %Y}}<br>{name}: %{{y:.1f}} days<extra></extra>")
    fig.update_layout(legend=figures.LEGEND_ON_TOP, yaxis={"title": "Days", "rangemode": "tozero"})
    return figures.mark_incomplete(fig, f, queries.auto_grain(f), warehouse().bounds()["complete"])


@callback(Output("delivery-histogram", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def histogram(data, theme):
    f = filters_from(data)
    rows = warehouse().delivery_histogram(f) if f else []
    if not rows:
        return figures.empty(theme)
    fig = figures.base(theme)
    fig.add_bar(x=[r["days"] for r in rows], y=[r["orders"] for r in rows],
                customdata=[["60 or more" if r["days"] == 60 else str(r["days"])] for r in rows],
                hovertemplate="%{customdata[0]} days<br>%{y:,} orders<extra></extra>")
    fig.update_layout(bargap=0.05, xaxis={"title": "Days from purchase to delivery"},
                      yaxis={"title": "Orders", "separatethousands": True})
    return fig


@callback(Output("delivery-states", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def states(data, theme):
    """Every state's delivery days and late share; the chosen states bright (a click toggles one)."""
    f = filters_from(data)
    rows = warehouse().delivery_by_state(replace(f, states=())) if f else []
    if not rows:
        return figures.empty(theme)
    x = [r["state"] for r in rows]
    text = [names.state(s) for s in x]
    opacity = [1 if not f.states or s in f.states else figures.DIM for s in x]
    fig = figures.base(theme)
    fig.add_bar(x=x, y=[float(r["delivery_days"]) for r in rows], name="Delivery days", customdata=x,
                hovertext=text, marker={"opacity": opacity}, hovertemplate="%{hovertext}<br>%{y:.1f} days<extra></extra>")
    fig.add_scatter(x=x, y=[float(r["late_share"]) for r in rows], name="Late share", yaxis="y2", mode="markers",
                    customdata=x, hovertext=text, marker={"opacity": opacity},
                    hovertemplate="%{hovertext}<br>%{y:.1%} late<extra></extra>")
    fig.update_layout(clickmode="event", xaxis={"dtick": 1, "tickangle": -90 if len(x) > 14 else 0})
    return figures.two_axes(fig, {"title": "Days"}, "Late", right_percent=True)


filter_by_state = cross_filter("delivery-states", "state")


def lateness_figure(f, theme):
    """Mean review score by days late; Delivery and Reviews both show it."""
    rows = [r for r in warehouse().reviews_by_lateness(f) if r["review_score"] is not None] if f else []
    if not rows:
        return figures.empty(theme)
    fig = figures.base(theme)
    fig.add_bar(x=[r["days_late"] for r in rows], y=[float(r["review_score"]) for r in rows],
                customdata=[[r["orders"], r["reviews"]] for r in rows],
                marker_color=["#2a9d8f" if r["days_late"] <= 0 else "#e76f51" for r in rows],
                hovertemplate="%{x} days late<br>mean score %{y:.2f}<br>%{customdata[0]:,} orders, "
                              "%{customdata[1]:,} reviews<extra></extra>")
    fig.update_layout(bargap=0.1, xaxis={"title": "Days late (negative: early)"},
                      yaxis={"title": "Mean review score", "range": [0, 5.2]})
    return fig


@callback(Output("delivery-reviews", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def reviews(data, theme):
    return lateness_figure(filters_from(data), theme)
