"""Customers callbacks: KPI cards, new and returning, first-to-second order, cohorts, RFM (a click on a
segment lists its customers) and lifetime value."""
from __future__ import annotations

from decimal import Decimal

from dash import Input, Output, State, callback, no_update

from callbacks import _compare as compare
from callbacks import _figures as figures
from callbacks import _format as fmt
from callbacks._context import filters_from, guarded, together, warehouse
from callbacks._export import table_export
from callbacks._format import plain
from data import queries
from data.customers import SEGMENT_NAMES
from data.metrics import ratio


CARDS = [compare.Kpi("customers", "count"), compare.Kpi("new", "count"), compare.Kpi("returning", "count"),
         compare.Kpi("repeat_rate", "pct"), compare.Kpi("second_order", "days", "down"), compare.Kpi("ltv", "money")]


@callback(compare.outputs("customers", CARDS), Input("filters", "data"))
@guarded
def kpis(data):
    return compare.answer(data, CARDS, _kpi_values)


def _kpi_values(f) -> dict:
    w = warehouse()  # three questions, each cached on its own (the last two shared with the charts)
    s, gap, tiers = together(lambda: w.customer_summary(f), lambda: w.second_order(f), lambda: w.ltv_tiers(f))
    lifetime = sum((t["revenue"] for t in tiers), Decimal(0))
    return {"customers": s["customers"], "new": s["new"], "returning": s["returning"], "repeat_rate": s["repeat_rate"],
            "second_order": gap["median_days"], "ltv": ratio(lifetime, sum(t["customers"] for t in tiers))}


@callback(Output("customers-new-returning", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def new_returning(data, theme):
    f = filters_from(data)
    rows = warehouse().new_returning(f, queries.auto_grain(f)) if f else []
    if not rows:
        return figures.empty(theme)
    fig = figures.base(theme)
    x = [r["period"] for r in rows]
    for key, name in (("new", "New"), ("returning", "Returning")):
        fig.add_bar(x=x, y=[r[key] for r in rows], name=name,
                    hovertemplate=f"%{{x|%d %b %Y}}<br>{name}: %{{y:,}} customers<extra></extra>")
    fig.update_layout(barmode="stack", legend=figures.LEGEND_ON_TOP, yaxis={"separatethousands": True})
    return figures.mark_incomplete(fig, f, queries.auto_grain(f), warehouse().bounds()["complete"])


@callback(Output("customers-second-order", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def second_order(data, theme):
    f = filters_from(data)
    gap = warehouse().second_order(f) if f else None
    if not gap or not gap["returned"]:
        return figures.empty(theme, "Nobody whose first order is in the range ordered again.")
    fig = figures.base(theme)
    labels = [f"{b['from']}+ days" if b["to"] is None else f"{b['from']}-{b['to']} days" for b in gap["bins"]]
    fig.add_bar(x=labels, y=[b["customers"] for b in gap["bins"]],
                hovertemplate="%{x}<br>%{y:,} customers<extra></extra>")
    fig.update_layout(yaxis={"separatethousands": True, "title": "Customers"},
                      title={"text": f"{gap['returned']:,} of {gap['acquired']:,} new customers ordered again "
                                     f"({fmt.pct(gap['rate'])})", "font": {"size": 12}, "x": 0.01, "y": 0.98},
                      margin={**figures.MARGIN, "t": 30})
    return fig


@callback(Output("customers-cohorts", "figure"), Input("filters", "data"), Input("customers-cohort-measure", "value"),
          Input("theme", "data"))
@guarded
def cohorts(data, measure, theme):
    f = filters_from(data)
    cells = warehouse().cohorts(f) if f else []
    sizes = {c["cohort"]: c["customers"] for c in cells if c["offset"] == 0}
    if not sizes:
        return figures.empty(theme)
    months = sorted(sizes)
    width = max(c["offset"] for c in cells) + 1
    grid = {(c["cohort"], c["offset"]): c["customers"] for c in cells}
    counts = [[grid.get((m, k)) for k in range(width)] for m in months]
    pcts = [[None if n is None else n / sizes[m] for n in row] for m, row in zip(months, counts)]
    # The offset-0 column is 100% by definition: out of the colour scale (so later months read), drawn
    # in a neutral grey of its own. Colours follow the values as shown (to 0.1%), so equal labels match.
    shown = [[None if k == 0 else (round(p, 3) if measure == "pct" else n) if p is not None else None
              for k, (p, n) in enumerate(zip(prow, crow))] for prow, crow in zip(pcts, counts)]
    text = [[("" if n is None else (f"{p:.0%}" if k == 0 else f"{p:.1%}") if measure == "pct" else
              ("" if n is None else f"{n:,}")) for k, (p, n) in enumerate(zip(prow, crow))]
            for prow, crow in zip(pcts, counts)]
    custom = [[[n or 0, p or 0] for p, n in zip(prow, crow)] for prow, crow in zip(pcts, counts)]
    labels = [f"{m:%b %Y} ({sizes[m]:,})" for m in months]
    fig = figures.base(theme)
    hover = ("cohort %{y}<br>%{x} months later<br>%{customdata[0]:,} customers (%{customdata[1]:.1%})"
             "<extra></extra>")
    fig.add_heatmap(z=[[1] for _ in months], x=["0"], y=labels, text=[[row[0]] for row in text],
                    texttemplate="%{text}", customdata=[[row[0]] for row in custom], showscale=False, xgap=1, ygap=1,
                    colorscale=[[0, "#495057"], [1, "#495057"]] if theme == "dark" else [[0, "#dee2e6"], [1, "#dee2e6"]],
                    textfont={"color": "#f8f9fa" if theme == "dark" else "#212529"}, hovertemplate=hover)
    fig.add_heatmap(z=shown, x=[str(k) for k in range(width)], y=labels, text=text, texttemplate="%{text}",
                    customdata=custom, colorscale=figures.sequential(theme), showscale=False, xgap=1, ygap=1,
                    hovertemplate=hover)
    # Every cohort labelled: the chart grows with the number of cohorts (the card scrolls with the page).
    fig.update_layout(xaxis={"title": "Months since first order", "side": "top", "type": "category"},
                      yaxis={"autorange": "reversed", "automargin": True, "type": "category", "dtick": 1,
                             "tickfont": {"size": 11}},
                      height=max(420, 20 * len(months) + 90))
    return fig


@callback(Output("customers-rfm", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def rfm(data, theme):
    f = filters_from(data)
    rows = warehouse().rfm_segments(f) if f else []
    if not rows:
        return figures.empty(theme)
    rows = rows[::-1]
    fig = figures.base(theme)
    fig.add_bar(y=[r["segment"] for r in rows], x=[r["customers"] for r in rows], orientation="h", name="Customers",
                customdata=[[r["segment"], r["customer_share"], float(r["revenue"]), r["revenue_share"],
                             r["recency"], r["frequency"], float(r["monetary"])] for r in rows],
                text=[f"{r['customer_share']:.1%} of customers, {r['revenue_share']:.1%} of revenue" for r in rows],
                textposition="auto", cliponaxis=False,
                hovertemplate="%{y}: %{x:,} customers (%{customdata[1]:.1%})<br>R$ %{customdata[2]:,.2f} "
                              "(%{customdata[3]:.1%} of revenue)<br>%{customdata[4]:.0f} days since the last order, "
                              "%{customdata[5]:.2f} orders, R$ %{customdata[6]:,.2f} each on average<extra></extra>")
    # A linear axis: bar lengths compare as the shares do (a log axis made 1% look like a third of 20%).
    fig.update_layout(xaxis={"title": "Customers", "separatethousands": True}, yaxis={"automargin": True},
                      uniformtext={"minsize": 9, "mode": "show"}, clickmode="event")
    return fig


@callback(Output("customers-segment", "data"), Input("customers-rfm", "clickData"), prevent_initial_call=True)
def pick_segment(click):
    try:
        name = click["points"][0]["customdata"][0]
    except (TypeError, KeyError, IndexError):
        return no_update
    return name if name in SEGMENT_NAMES else no_update


def _segment(f, chosen):
    """The clicked segment, or the first one of the view (Champions when there are any)."""
    if chosen in SEGMENT_NAMES:
        return chosen
    rows = warehouse().rfm_segments(f)
    return rows[0]["segment"] if rows else None


@callback(Output("customers-members", "rowData"), Output("customers-members-note", "children"),
          Input("filters", "data"), Input("customers-segment", "data"))
@guarded
def members(data, chosen):
    f = filters_from(data)
    segment = _segment(f, chosen) if f else None
    if segment is None:
        return [], "No customers match the filters."
    rows = warehouse().segment_members(f, segment, 500)
    shown = ("no customers in this view" if not rows else "1 customer" if len(rows) == 1 else
             f"the {len(rows):,} customers with the largest spend" if len(rows) == 500 else
             f"{len(rows):,} customers, largest spend first")
    return plain(rows), f"{segment}: {shown}. Click another segment in the chart to list it."


@callback(Output("customers-ltv", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def ltv(data, theme):
    f = filters_from(data)
    rows = warehouse().ltv_tiers(f) if f else []
    if not rows:
        return figures.empty(theme)
    fig = figures.base(theme)
    x = [r["tier"] for r in rows]
    fig.add_bar(x=x, y=[r["customers"] for r in rows], name="Customers",
                hovertemplate="%{x}<br>%{y:,} customers<extra></extra>")
    fig.add_scatter(x=x, y=[float(r["revenue_share"] or 0) for r in rows], name="Share of revenue", yaxis="y2",
                    mode="markers+lines", hovertemplate="%{x}<br>%{y:.1%} of lifetime revenue<extra></extra>")
    return figures.two_axes(fig, {"separatethousands": True, "title": "Customers"}, "Share of revenue",
                            right_percent=True)


def _members_export(f, chosen):
    segment = _segment(f, chosen)
    return warehouse().segment_members(f, segment, 100_000) if segment else []


table_export("customers-members", _members_export, lambda f: "customers",
             "Customers", State("customers-segment", "data"))
