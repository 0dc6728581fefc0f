"""Payments callbacks: KPI cards, types over time, installments, and the reconciliation table."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from dash import Input, Output, State, callback, ctx

from callbacks import _compare as compare
from callbacks import _figures as figures
from callbacks import _format as fmt
from callbacks import _palette as palette
from callbacks._context import filters_from, guarded, warehouse
from callbacks._export import can_export, send
from callbacks._format import plain
from data import names, queries
from data.metrics import ratio
from data.payments import average_installments


def tolerance_of(raw) -> tuple[Decimal, str]:
    """The tolerance typed in, in R$ (a bad or negative value counts as 0, and says so)."""
    try:
        value = Decimal(str(raw)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return Decimal("0"), "The tolerance is not a number: using R$ 0.00. "
    if value < 0 or not value.is_finite():
        return Decimal("0"), "The tolerance cannot be negative: using R$ 0.00. "
    return value, ""


CARDS = [compare.Kpi("value", "money"), compare.Kpi("count", "count"), compare.Kpi("card_installments", "score", "none"),
         compare.Kpi("voucher_share", "pct", "none")]


@callback(compare.outputs("payments", CARDS), Input("filters", "data"))
@guarded
def kpis(data):
    return compare.answer(data, CARDS, _kpi_values)


def _kpi_values(f) -> dict:
    rows = warehouse().installments(f)
    value = sum((r["value"] for r in rows), Decimal(0))
    voucher = sum((r["value"] for r in rows if r["payment_type"] == "voucher"), Decimal(0))
    return {"value": value if rows else None, "count": sum(r["payments"] for r in rows),
            "card_installments": average_installments(rows).get("credit_card"), "voucher_share": ratio(voucher, value)}


def _by_type(f, measure: str, theme, money: bool):
    rows = warehouse().payment_types_over_time(f, queries.auto_grain(f)) if f else []
    if not rows:
        return figures.empty(theme)
    fig = figures.base(theme)
    for kind in sorted({r["payment_type"] for r in rows}):
        mine = [r for r in rows if r["payment_type"] == kind]
        fig.add_bar(x=[r["period"] for r in mine], y=[float(r[measure]) for r in mine], name=names.payment_type(kind),
                    marker_color=palette.colour("payment_type", kind),
                    hovertemplate=f"%{{x|%d %b %Y}}<br>{names.payment_type(kind)}: "
                                  + ("R$ %{y:,.2f}" if money else "%{y:,}") + "<extra></extra>")
    fig.update_layout(barmode="stack", legend=figures.LEGEND_ON_TOP,
                      yaxis={"tickprefix": "R$ " if money else "", "separatethousands": True})
    return figures.mark_incomplete(fig, f, queries.auto_grain(f), warehouse().bounds()["complete"])


@callback(Output("payments-value", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def value_by_type(data, theme):
    return _by_type(filters_from(data), "value", theme, money=True)


@callback(Output("payments-count", "figure"), Input("filters", "data"), Input("theme", "data"))
@guarded
def count_by_type(data, theme):
    return _by_type(filters_from(data), "payments", theme, money=False)


@callback(Output("payments-installments", "figure"), Output("payments-average", "figure"),
          Input("filters", "data"), Input("theme", "data"))
@guarded
def installments(data, theme):
    f = filters_from(data)
    rows = warehouse().installments(f) if f else []
    if not rows:
        return figures.empty(theme), figures.empty(theme)
    dist = figures.base(theme)
    for kind in sorted({r["payment_type"] for r in rows}):
        mine = [r for r in rows if r["payment_type"] == kind]
        dist.add_bar(x=[r["installments"] for r in mine], y=[r["payments"] for r in mine],
                     name=names.payment_type(kind), marker_color=palette.colour("payment_type", kind), hovertemplate="%{x} installments<br>%{y:,} payments<extra></extra>")
    dist.update_layout(barmode="stack", legend=figures.LEGEND_ON_TOP,
                       xaxis={"title": "Installments", "dtick": 1}, yaxis={"separatethousands": True})
    means = sorted(((k, v) for k, v in average_installments(rows).items() if v is not None), key=lambda kv: kv[1])
    avg = figures.base(theme)
    avg.add_bar(y=[names.payment_type(k) for k, _ in means], x=[float(v) for _, v in means], orientation="h",
                marker_color=palette.colours("payment_type", [k for k, _ in means]),
                hovertemplate="%{y}<br>%{x:.2f} installments on average<extra></extra>")
    avg.update_layout(yaxis={"automargin": True}, xaxis={"title": "Mean installments"})
    return dist, avg


@callback(Output("payments-reconcile", "rowData"), Output("payments-reconcile-totals", "children"),
          Input("filters", "data"), Input("payments-tolerance", "value"))
@guarded
def reconcile(data, raw_tolerance):
    f = filters_from(data)
    if f is None:
        return [], ""
    tolerance, notice = tolerance_of(raw_tolerance)
    found = warehouse().reconciliation(f, tolerance)
    t = found["totals"]
    if not t["orders"]:
        return [], f"{notice}No order's payments differ from its items plus freight by more than R$ {tolerance:,.2f}."
    shown = f" (the largest {len(found['rows']):,} below)" if len(found["rows"]) < t["orders"] else ""
    return plain(found["rows"]), (
        f"{notice}{t['orders']:,} orders differ by more than R$ {tolerance:,.2f}{shown}: items plus freight "
        f"{fmt.money(t['order_value'])}, payments {fmt.money(t['payment_value'])}, "
        f"net difference {fmt.money(t['difference'])}.")


@callback([Output(f"payments-reconcile-{x}", "disabled") for x in ("csv", "xlsx")], Input("url", "pathname"))
def export_allowed(_):
    return [not can_export()] * 2


@callback(Output("payments-reconcile-download", "data"), Input("payments-reconcile-csv", "n_clicks"),
          Input("payments-reconcile-xlsx", "n_clicks"), State("filters", "data"), State("payments-tolerance", "value"),
          prevent_initial_call=True)
@guarded
def export(_csv, _xlsx, data, raw_tolerance):
    f = filters_from(data)
    tolerance, _ = tolerance_of(raw_tolerance)
    rows = warehouse().reconciliation(f, tolerance, 100_000)["rows"] if f else []
    return send(rows, "reconciliation", ctx.triggered_id.endswith("xlsx"),
                "Reconciliation")
