"""Sellers callbacks: leaderboard (search, export, links to each seller), concentration, states,
and the one-seller page (not-found, KPIs against the marketplace, trend, categories, reviews)."""
from __future__ import annotations

import statistics
from dataclasses import replace

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, html, no_update

from callbacks import _compare as compare
from callbacks import _figures as figures
from callbacks import _format as fmt
from callbacks._format import plain
from callbacks._labels import linked
from callbacks._urls import cross_filter
from callbacks._context import filters_from, guarded, together, warehouse
from callbacks._export import can_export, send
from data import queries
from data import names
from data.filters import ALL_STATUSES
from data.sellers import concentration


@callback(Output("sellers-board", "rowData"), Input("filters", "data"))
@guarded
def board(data):
    f = filters_from(data)
    if f is None:
        return []
    return plain(linked(warehouse().leaderboard(f, 500), f))


CARDS = [compare.Kpi("sellers", "count"), compare.Kpi("top10", "pct", "none"), compare.Kpi("median", "money")]


@callback(compare.outputs("sellers", CARDS), Input("filters", "data"))
@guarded
def kpis(data):
    return compare.answer(data, CARDS, _kpi_values)


def _kpi_values(f) -> dict:
    """Every seller's revenue (shared with the Lorenz curve): how many, how concentrated, the median."""
    values = [revenue for _state, revenue in warehouse().seller_revenues(f)]
    return {"sellers": len(values), "top10": concentration(values)["top10"],
            "median": statistics.median(values) if values else None}


@callback(Output("sellers-lorenz", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def lorenz(data, theme):
    f = filters_from(data)
    curve = concentration([v for _s, v in warehouse().seller_revenues(f)])["curve"] if f else []
    if not curve:
        return figures.empty(theme)
    return figures.share_curve(curve, theme, "Sellers", "smallest %{x:.0%} of sellers<br>%{y:.1%} of revenue"
                               "<extra></extra>", "Sellers")


@callback(Output("sellers-states", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def states(data, theme):
    """Sellers' revenue by their state, every state within the other filters; the chosen ones stand
    out (a click toggles one)."""
    f = filters_from(data)
    rows = warehouse().sellers_by_state(replace(f, seller_states=())) if f else []
    if not rows:
        return figures.empty(theme)
    fig = figures.base(theme)
    x = [r["state"] for r in rows]
    fig.add_bar(x=x, y=[float(r["revenue"]) for r in rows], name="Revenue (R$)", customdata=x,
                marker={"opacity": [1 if not f.seller_states or s in f.seller_states else figures.DIM for s in x]},
                hovertemplate="%{x}<br>R$ %{y:,.2f}<extra></extra>")
    fig.add_scatter(x=x, y=[r["sellers"] for r in rows], name="Sellers", yaxis="y2", mode="markers",
                    hovertemplate="%{x}<br>%{y:,} sellers<extra></extra>")
    return figures.two_axes(fig, {"tickprefix": "R$ ", "separatethousands": True}, "Sellers")


filter_by_seller_state = cross_filter("sellers-states", "seller_state")


# The leaderboard's search box filters the grid in the browser (AG Grid's quick filter).
@callback(Output("sellers-board", "dashGridOptions"), Input("sellers-search", "value"),
          State("sellers-board", "dashGridOptions"))
def search(text, options):
    return {**(options or {}), "quickFilterText": text or ""}


@callback([Output(f"sellers-board-{x}", "disabled") for x in ("csv", "xlsx")], Input("url", "pathname"))
def export_allowed(_):
    return [not can_export()] * 2


@callback(Output("sellers-board-download", "data"), Input("sellers-board-csv", "n_clicks"),
          Input("sellers-board-xlsx", "n_clicks"), State("filters", "data"), prevent_initial_call=True)
@guarded
def export(_csv, _xlsx, data):
    f = filters_from(data)
    return send(warehouse().leaderboard(f, 500) if f else [], "sellers", ctx.triggered_id.endswith("xlsx"),
                "Sellers")


# One seller.

@callback(Output("seller-header", "children"), Output("seller-body", "style"), Input("seller-id", "data"))
@guarded
def header(seller_id):
    found = warehouse().seller(seller_id or "")
    if found is None:
        return dbc.Alert([html.Strong("No such seller. "), f"No seller has the id {str(seller_id)[:60]!r}. ",
                          html.A("Back to the sellers", href="/sellers")], color="warning"), {"display": "none"}
    note = " (not in the sellers file)" if found["unknown"] else ""
    return html.Div([html.H4(names.seller(found["seller_id"], found["city"], found["state"]), className="mb-0"),
                     html.Div(f"Seller {found['seller_id']}{note}", className="text-body-secondary"),
                     html.A("← all sellers", href="/sellers", className="small")]), {}


def _seller_filters(data, seller_id):
    """(this seller's view, the marketplace's view) of the filters, or (None, None) for no seller."""
    f = filters_from(data)
    found = warehouse().seller(seller_id or "") if f else None
    if found is None:
        return None, None
    return replace(f, sellers=(found["seller_id"],)), f


SELLER_CARDS = [compare.Kpi("revenue", "money"), compare.Kpi("orders", "count"), compare.Kpi("review_score", "score"),
                compare.Kpi("on_time_rate", "pct"), compare.Kpi("delivery_days", "days", "down"),
                compare.Kpi("cancellation_rate", "pct", "down")]


@callback(compare.outputs("seller", SELLER_CARDS), Input("filters", "data"), Input("seller-id", "data"))
@guarded
def seller_kpis(data, seller_id):
    """The seller's KPIs with their change against the compared period (as on every page), and under
    the rates the marketplace's value over the same filters."""
    mine, everyone = _seller_filters(data, seller_id)
    if mine is None:
        return [no_update] * (3 * len(SELLER_CARDS))
    w = warehouse()

    def of_seller(f):
        rows = w.leaderboard(replace(f, sellers=mine.sellers), 1)
        return {"orders": 0, **(rows[0] if rows else {})}

    answer = compare.answer(data, SELLER_CARDS, of_seller)
    market, mix = together(lambda: w.kpis(everyone), lambda: w.status_mix(everyone))
    canceled = sum(r["orders"] for r in mix if r["status"] == "canceled")
    market = {**market, "cancellation_rate": canceled / sum(r["orders"] for r in mix) if mix else None}
    for k, card in enumerate(SELLER_CARDS):
        if card.key in ("review_score", "on_time_rate", "delivery_days", "cancellation_rate"):
            answer[k] = [answer[k], html.Div(f"marketplace {fmt.BY_FORMAT[card.fmt](market[card.key])}",
                                             className="text-body-secondary",
                                             style={"fontSize": ".8rem", "fontWeight": 400})]
    return answer


@callback(Output("seller-trend", "figure"), Input("filters", "data"), Input("seller-id", "data"),
          Input("theme", "data"))
@guarded
def seller_trend(data, seller_id, theme):
    mine, _ = _seller_filters(data, seller_id)
    rows = warehouse().timeseries(mine, queries.auto_grain(mine)) if mine else []
    fig = figures.revenue_and_orders(rows, theme, {})
    return figures.mark_incomplete(fig, mine, queries.auto_grain(mine), warehouse().bounds()["complete"]) if rows else fig


@callback(Output("seller-categories", "figure"), Input("filters", "data"), Input("seller-id", "data"),
          Input("theme", "data"))
@guarded
def seller_categories(data, seller_id, theme):
    mine, _ = _seller_filters(data, seller_id)
    return (figures.hbars(warehouse().top_categories(mine, 10), "category", theme, names.category)
            if mine else figures.empty(theme))


@callback(Output("seller-reviews", "rowData"), Input("filters", "data"), Input("seller-id", "data"))
@guarded
def seller_reviews(data, seller_id):
    mine, _ = _seller_filters(data, seller_id)
    if mine is None:
        return []
    return warehouse().worst_reviews(replace(mine, statuses=ALL_STATUSES), 20)
